/**
 * One client connection, request by request. The whole pipeline reads top to
 * bottom in `#exchange`:
 *
 *   read the head (strict HTTP/1.1, limits, timeouts)
 *   -> the client's profile (by listener, address or client container)
 *   -> canonical target and Engine API route (or 400, or 403)
 *   -> the profile's decision: switches, rules, query constraints (or 403;
 *      in audit mode forwarded and logged as would-deny)
 *   -> forward the canonical request and its re-framed body to the engine
 *   -> relay the response, or turn the connection into a tunnel once the
 *      engine has switched protocols.
 *
 * Every denial goes through `#deny`, every malformed request through
 * `#refuse`. Each request on a keep-alive or pipelined connection is decided
 * on its own, and the engine is only ever sent bytes the proxy wrote itself.
 */
import type { BufferedConn } from "./buffered_conn.ts";
import { BufferedConn as Conn } from "./buffered_conn.ts";
import { ByteWriter } from "./byte_writer.ts";
import type { ClientDirectory } from "./client_directory.ts";
import type { Limits } from "./config.ts";
import { engineHealth, HEALTHCHECK_HEADER } from "./engine_health.ts";
import { writeFraming, writeRequestFields, writeResponseHead } from "./forward_head.ts";
import {
  CONTENT_TYPE,
  fieldValue,
  HeadScanner,
  HttpError,
  latin1,
  OTHER,
  parseRequestHead,
  parseResponseHead,
  type RequestHead,
  type ResponseHead,
} from "./http_head.ts";
import type { Logger, LogLevel } from "./log.ts";
import { parseAddress } from "./policy/cidr.ts";
import type { ClientContainer, Profile } from "./policy/profile.ts";
import { selectProfile } from "./policy/profile.ts";
import { hasBody, RequestBody } from "./request_body.ts";
import type { RequestTarget } from "./request_target.ts";
import {
  bodyMode,
  CHUNKED,
  isHijack,
  ResponseRelay,
  TO_CLOSE,
  UpstreamClosedError,
} from "./response_relay.ts";
import type { ActivePolicy, RouteCache } from "./route_cache.ts";
import { CONTINUE_100, errorResponse, plainResponse } from "./responses.ts";
import { after } from "./timer.ts";
import { tunnel } from "./tunnel.ts";
import { EngineUnavailableError, type Upstream, type UpstreamPool } from "./upstream_pool.ts";

export interface ProxyContext {
  /** The policy in force; a reload replaces it, and each connection follows on its next request. */
  active: ActivePolicy;
  /** Resolves client addresses to containers, for profiles that match by client container. */
  clients: ClientDirectory | null;
  limits: Limits;
  logger: Logger;
  pool: UpstreamPool;
  /** Set once shutdown has begun: finish the request in flight, then close. */
  shuttingDown: boolean;
}

export type Phase = "idle" | "head" | "request" | "stream" | "tunnel" | "closed";

const CLIENT_BUFFER = 4 * 1024;
const TUNNEL_BUFFER = 64 * 1024;
const LINGER_MS = 1000;
const LINGER_BYTES = 1 << 20;
const RESPONSE_LIMITS = { maxRequestLine: 8192, maxHeaderBytes: 64 * 1024, maxHeaderCount: 500 };

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** A request on its way: the engine connection, where its response head lies, the body pump. */
interface Sent {
  upstream: Upstream;
  responseStart: number;
  responseEnd: number;
  pump: Promise<void> | null;
}

function shorten(text: string): string {
  return text.length > 200 ? text.slice(0, 200) + "..." : text;
}

/** `host:port` of a client, IPv4-mapped IPv6 shown as IPv4. */
export function describePeer(
  addr: Deno.Addr,
): { peer: string; local: boolean; host: string | null } {
  if (addr.transport === "unix" || addr.transport === "unixpacket") {
    return { peer: "unix", local: true, host: null };
  }
  if (addr.transport !== "tcp" && addr.transport !== "udp") {
    return { peer: "?", local: false, host: null };
  }
  const host = addr.hostname.startsWith("::ffff:") ? addr.hostname.slice(7) : addr.hostname;
  const local = host === "::1" || host.startsWith("127.");
  return {
    peer: host.includes(":") ? `[${host}]:${addr.port}` : `${host}:${addr.port}`,
    local,
    host,
  };
}

/** Whether a request body is a form, whose fields the engine would merge into the query. */
function isFormBody(buf: Uint8Array, head: RequestHead): boolean {
  if (!hasBody(head)) return false;
  for (let i = 0; i < head.count; i++) {
    if (head.kinds[i] !== CONTENT_TYPE) continue;
    const type = fieldValue(buf, head, i).toLowerCase().trim();
    if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/")) {
      return true;
    }
  }
  return false;
}

export class ClientConnection {
  readonly client: BufferedConn;
  readonly peer: string;
  readonly local: boolean;
  /** The listener it came in on, as `LISTEN` writes it. */
  readonly listener: string;
  phase: Phase = "idle";
  /** When an idle or partial head expires (ms since epoch), 0 for never. */
  deadline = 0;
  #ctx: ProxyContext;
  #host: string | null;
  #scanner = new HeadScanner();
  #responseScanner = new HeadScanner();
  #out = new ByteWriter(512);
  #body = new RequestBody();
  #relay = new ResponseRelay();
  #upstream: Upstream | null = null;
  /** Reused for every request and response head on this connection. */
  #head: RequestHead | undefined;
  #response: ResponseHead | undefined;
  #closeAfter = false;
  #aborted = false;
  /** Whether the request body has been sent whole (or there was none). */
  #pumpDone = true;
  /** The current request asked for a protocol upgrade. */
  #upgrading = false;
  /** The request body turned out malformed while it was being forwarded. */
  #bodyError: HttpError | null = null;
  // The profile, chosen for the policy in force when the connection's last
  // request began, and what the current request was decided as.
  #active: ActivePolicy | null = null;
  #routes: RouteCache | null = null;
  #container: ClientContainer | null = null;
  #operation: string | null = null;
  /** `allowed`, or `would-deny` in audit mode. */
  #verdict = "allowed";
  #note: string | undefined = undefined;

  constructor(conn: Deno.Conn, ctx: ProxyContext, listener = "") {
    this.client = new Conn(conn, CLIENT_BUFFER);
    const { peer, local, host } = describePeer(conn.remoteAddr);
    this.peer = peer;
    this.local = local;
    this.#host = host;
    this.listener = listener;
    this.#ctx = ctx;
  }

  /** The profile of the request in flight (or of the last one). */
  get profile(): Profile | null {
    return this.#routes?.profile ?? null;
  }

  /** Serves requests until the connection ends; never throws. */
  async serve(): Promise<void> {
    try {
      while (await this.#exchange()) {
        // The next request on the same connection.
      }
    } catch (error) {
      this.#ctx.logger.debug("Connection ended", { client: this.peer, error: String(error) });
    } finally {
      this.close();
    }
  }

  /** Shutdown: idle connections, streams and tunnels close now, requests finish first. */
  shutdown(): void {
    if (this.phase === "request") this.#closeAfter = true;
    else this.close();
  }

  /** Closes the connection if its idle or header timeout has passed. */
  expire(now: number): void {
    if ((this.phase !== "idle" && this.phase !== "head") || this.deadline === 0) return;
    if (now < this.deadline) return;
    if (this.phase === "head") {
      this.#log("warning", "-", "-", "rejected", 408, 0, performance.now(), "Request head timeout");
      this.client.write(errorResponse(408, "Request head timeout", { close: true }))
        .catch(() => {})
        .finally(() => this.close());
      this.phase = "closed";
      return;
    }
    this.close();
  }

  close(): void {
    if (this.phase === "closed" && this.client.closed) return;
    this.phase = "closed";
    this.client.close();
    if (this.#upstream !== null) {
      this.#ctx.pool.destroy(this.#upstream);
      this.#upstream = null;
    }
  }

  // --- The pipeline -------------------------------------------------------

  async #exchange(): Promise<boolean> {
    const ctx = this.#ctx;
    const client = this.client;

    // 1. Read the request head.
    const headEnd = await this.#readHead();
    if (headEnd < 0) return false;
    const started = performance.now();

    // 2. Parse it strictly.
    let head: RequestHead;
    try {
      head = parseRequestHead(client.buf, client.start, headEnd, this.#head);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      await this.#refuse(error, null, started);
      return false;
    }
    this.#head = head;
    this.phase = "request";
    this.deadline = 0;
    this.#operation = null;
    this.#verdict = "allowed";
    this.#note = undefined;

    // 3. The client's profile: once per connection, again after a reload.
    const routes = ctx.active === this.#active ? this.#routes! : await this.#chooseProfile();

    // 4. The canonical target (what is checked is what is forwarded), the
    // Engine API route it names, and the profile's decision on it.
    const route = routes.route(head.method, head.target, head.upgrade !== "");
    client.start = headEnd; // the head's fields stay readable until the body is read
    if (route.error !== null) {
      await this.#refuse(new HttpError(400, route.error), head, started);
      return false;
    }
    const target = route.target!;

    // The proxy's own health check, for local clients only.
    if (
      this.local && target.path === "/_ping" &&
      (head.method === "GET" || head.method === "HEAD") && !hasBody(head) &&
      hasField(client.buf, head, HEALTHCHECK_HEADER)
    ) {
      return await this.#healthcheck(head, started);
    }

    const decision = route.decision!;
    this.#operation = decision.operation;
    if (!decision.forward) {
      return await this.#deny(head, target, decision.status, decision.reason, started);
    }
    if (decision.readsQuery && isFormBody(client.buf, head)) {
      return await this.#deny(
        head,
        target,
        403,
        "with a form body, whose fields the engine would read as query parameters the policy " +
          "checked: send no form body",
        started,
      );
    }
    if (decision.denied) {
      this.#verdict = "would-deny";
      this.#note = decision.reason;
    }

    // 5. Forward.
    this.#out.reset();
    writeRequestFields(this.#out, client.buf, head, {
      target: route.forward,
      requestLine: route.requestLine!,
      upgrade: true,
    });
    writeFraming(this.#out, head, true, head.chunked ? -2 : head.contentLength);
    return await this.#forward(head, route.forward, started, decision.oneWay);
  }

  /** Reads until a whole request head is buffered; returns its end, or -1 when the connection ends. */
  async #readHead(): Promise<number> {
    const ctx = this.#ctx;
    const client = this.client;
    const limits = ctx.limits;
    client.shrink();
    this.phase = "idle";
    this.#aborted = false;
    this.deadline = limits.idleTimeoutMs > 0 ? Date.now() + limits.idleTimeoutMs : 0;
    this.#scanner.reset(client.start);
    try {
      for (;;) {
        const headEnd = this.#scanner.scan(client.buf, client.end, limits);
        if (headEnd >= 0) return (this.phase as Phase) === "closed" ? -1 : headEnd;
        if (this.#closeAfter || ctx.shuttingDown) return -1;
        if (this.phase === "idle" && this.#scanner.started) {
          this.phase = "head";
          this.deadline = limits.headerTimeoutMs > 0 ? Date.now() + limits.headerTimeoutMs : 0;
        }
        if (client.end === client.buf.length && client.start > 0) {
          this.#scanner.shift(client.compact());
        }
        if (!(await client.fill())) return -1;
      }
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      await this.#refuse(error, null, performance.now());
      return -1;
    }
  }

  /**
   * Chooses the profile for the policy in force: by listener, address and,
   * when some profile needs it, the client container the engine reports.
   */
  async #chooseProfile(): Promise<RouteCache> {
    const active = this.#ctx.active;
    const policy = active.policy;
    let container: ClientContainer | null | undefined = undefined;
    if (policy.usesContainers && this.#host !== null && this.#ctx.clients !== null) {
      container = await this.#ctx.clients.lookup(this.#host);
    }
    this.#container = container ?? null;
    const profile = selectProfile(policy, {
      listener: this.listener,
      address: this.#host === null ? null : parseAddress(this.#host),
      container,
    });
    this.#active = active;
    this.#routes = active.routes(profile);
    return this.#routes;
  }

  /** Answers a malformed request and closes the connection. */
  async #refuse(error: HttpError, head: RequestHead | null, started: number): Promise<void> {
    this.#log(
      "warning",
      head?.method ?? "-",
      head === null ? "-" : shorten(head.target),
      "rejected",
      error.status,
      0,
      started,
      error.message,
    );
    await this.#answerAndClose(
      errorResponse(error.status, error.message, { close: true, head: head?.method === "HEAD" }),
    );
  }

  /**
   * Every denial goes through here: 403 (400 for a query the engine would read
   * ambiguously) with Docker's error body, naming the request, its operation
   * and what would allow it.
   */
  async #deny(
    head: RequestHead,
    target: RequestTarget,
    status: number,
    reason: string,
    started: number,
  ): Promise<boolean> {
    const operation = this.#operation === null ? "" : ` (${this.#operation})`;
    const message = status === 400
      ? `Refused by socket-proxy: ${head.method} ${target.path}${operation}: ${reason}`
      : `Forbidden by socket-proxy: ${head.method} ${target.path}${operation} ${reason}`;
    // A body the proxy will not read leaves the connection out of step: close it.
    const close = hasBody(head) || head.close || this.#closing();
    const bytes = errorResponse(status, message, { close, head: head.method === "HEAD" });
    this.#log(
      "warning",
      head.method,
      target.path + target.query,
      "denied",
      status,
      bytes.length,
      started,
      reason,
    );
    if (close) {
      await this.#answerAndClose(bytes);
      return false;
    }
    await this.client.write(bytes);
    return true;
  }

  #closing(): boolean {
    return this.#closeAfter || this.#ctx.shuttingDown;
  }

  /**
   * Writes a final answer, then closes gracefully: the write half first, then
   * what the client still sends is read and dropped for a moment, so that the
   * answer is not lost to a reset.
   */
  async #answerAndClose(bytes: Uint8Array): Promise<void> {
    const client = this.client;
    this.phase = "closed";
    try {
      await client.write(bytes);
    } catch {
      return;
    }
    client.closeWrite();
    const cancel = after(LINGER_MS, () => client.close());
    try {
      let dropped = 0;
      while (dropped < LINGER_BYTES) {
        dropped += client.available;
        client.start = client.end;
        client.reset();
        if (!(await client.fill())) break;
      }
    } finally {
      cancel();
    }
  }

  // --- Forwarding ----------------------------------------------------------

  /**
   * Keeps a read open on the client while the engine works, so a client that
   * goes away is noticed at once and the engine side is closed too (a stream
   * such as `/events` may otherwise sit idle forever). Bytes that arrive are
   * kept: they are the next pipelined request.
   */
  #watchClient(): void {
    const client = this.client;
    if (client.reading || client.eof || client.closed) return;
    // A client that pipelines more than a request head's worth while the
    // engine works is not read further until it is served; during a stream,
    // which may never end, it is closed instead.
    const limits = this.#ctx.limits;
    if (client.available > limits.maxRequestLine + limits.maxHeaderBytes) {
      if (this.phase === "stream") {
        this.#ctx.logger.warning("Client closed: it pipelined too much during a stream", {
          client: this.peer,
        });
        this.close();
      }
      return;
    }
    if (client.end === client.buf.length && client.start > 0) client.compact();
    client.onEnd = this.#onClientEnd;
    client.fill().then(this.#onWatched);
  }

  // Bound once, so watching costs no allocation per request.
  #onClientEnd = (): void => {
    // A client that half-closes after asking for an upgrade may just have sent
    // all its input early: the tunnel passes the EOF on. Otherwise, as Go's
    // server does, the end of the client's stream cancels the request.
    if (this.#upgrading && this.client.error === null) return;
    if (this.phase === "request" || this.phase === "stream") this.#abort();
  };
  #onWatched = (more: boolean): void => {
    if (more && (this.phase === "request" || this.phase === "stream")) this.#watchClient();
  };

  /** The client is gone: drop the engine side of the exchange. */
  #abort(): void {
    this.#aborted = true;
    if (this.#upstream !== null) {
      this.#ctx.pool.destroy(this.#upstream);
      this.#upstream = null;
    }
  }

  /** Streams the rest of the body; a client that leaves or breaks framing aborts the exchange. */
  async #pumpBody(upstream: Upstream): Promise<void> {
    try {
      await this.#body.pump(this.client, upstream);
    } catch (error) {
      // Malformed framing mid-body: the engine gets no more, the client a 400.
      if (error instanceof HttpError) this.#bodyError = error;
      this.#abort();
      throw error;
    }
    this.#watchClient();
  }

  /**
   * Sends the request in `this.#out` (head and whatever body is in hand) and
   * reads the engine's response head. A pooled connection the engine closed
   * while idle is replaced, and an idempotent request replayed once. Returns
   * `null` when the exchange already ended (answered, or the client left).
   */
  async #send(
    head: RequestHead,
    target: string,
    started: number,
    bodyDone: boolean,
  ): Promise<Sent | null> {
    const ctx = this.#ctx;
    const client = this.client;
    const request = this.#out.view();
    // A request whose bytes are all in hand can be replayed on a fresh
    // connection if a pooled one turns out to be stale (the engine restarted):
    // when it is idempotent, as Go's transport does, so that a request the
    // engine did act on is never sent twice.
    const replayable = bodyDone && IDEMPOTENT.has(head.method);
    let upstream: Upstream | null = bodyDone ? ctx.pool.takeIdle() : null;
    const sent: Sent = { upstream: null!, responseStart: 0, responseEnd: 0, pump: null };
    for (let attempt = 0;; attempt++) {
      const reused = upstream !== null;
      try {
        upstream ??= await ctx.pool.connect();
      } catch (error) {
        if (!(error instanceof EngineUnavailableError)) throw error;
        await this.#badGateway(head, target, started, this.#cannotConnect(error.message));
        return null;
      }
      this.#upstream = upstream;
      sent.upstream = upstream;
      try {
        await upstream.write(request);
        if (!bodyDone) {
          this.#pumpDone = false;
          sent.pump = this.#pumpBody(upstream).finally(() => this.#pumpDone = true);
          sent.pump.catch(() => {}); // awaited by the caller; errors handled there
        } else {
          this.#watchClient();
        }
        this.#responseScanner.reset(upstream.start);
        for (;;) {
          const end = this.#responseScanner.scan(upstream.buf, upstream.end, RESPONSE_LIMITS);
          if (end < 0) {
            if (upstream.end === upstream.buf.length && upstream.start > 0) {
              this.#responseScanner.shift(upstream.compact());
            }
            if (!(await upstream.fill())) {
              throw new UpstreamClosedError(this.#responseScanner.started);
            }
            continue;
          }
          const b = upstream.buf;
          const at = upstream.start;
          sent.responseStart = at;
          sent.responseEnd = end;
          const interim = b[at + 9] === 49 && !(b[at + 10] === 48 && b[at + 11] === 49);
          if (!interim) return sent;
          // An interim 1xx (not 101): pass it on and read the final response.
          await client.write(upstream.buf.subarray(at, end));
          upstream.start = end;
          this.#responseScanner.reset(upstream.start);
        }
      } catch (error) {
        if (this.#bodyError !== null) {
          await this.#refuse(this.#bodyError, head, started);
          return null;
        }
        if (this.#aborted || this.phase === "closed") return null;
        // A pooled connection that ends before any answer was closed by the
        // engine while idle: so are its siblings.
        const stale = reused && attempt === 0 &&
          (!(error instanceof UpstreamClosedError) || !error.anyBytes);
        ctx.pool.destroy(upstream);
        this.#upstream = null;
        upstream = null;
        if (stale) ctx.pool.discardIdle();
        if (stale && replayable) continue;
        const message = error instanceof HttpError
          ? this.#badResponse(error.message)
          : this.#cannotConnect((error as Error).message);
        await this.#badGateway(head, target, started, message);
        return null;
      }
    }
  }

  async #forward(
    head: RequestHead,
    target: string,
    started: number,
    oneWay: boolean,
  ): Promise<boolean> {
    const ctx = this.#ctx;
    const client = this.client;
    this.#upgrading = head.upgrade !== "";
    this.#bodyError = null;
    this.#pumpDone = true;
    this.#body.begin(head);
    if (hasBody(head) && head.expectContinue) await client.write(CONTINUE_100);
    let bodyDone: boolean;
    try {
      bodyDone = this.#body.take(client, this.#out);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      await this.#refuse(error, head, started);
      return false;
    }
    const sent = await this.#send(head, target, started, bodyDone);
    if (sent === null) return false;
    const { upstream, responseStart, responseEnd, pump } = sent;

    // The response head.
    let response;
    try {
      response = parseResponseHead(upstream.buf, responseStart, responseEnd, this.#response);
      this.#response = response;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.#abort();
      return await this.#badGateway(head, target, started, this.#badResponse(error.message));
    }
    upstream.start = responseEnd;

    if (isHijack(response)) {
      if (response.status === 101 && head.upgrade === "") {
        this.#abort();
        return await this.#badGateway(
          head,
          target,
          started,
          this.#badResponse("Switched protocols without being asked"),
        );
      }
      if (pump !== null) await pump.catch(() => {});
      return await this.#tunnel(upstream, responseStart, response, head, target, started, oneWay);
    }

    const mode = bodyMode(head.method, response);
    const close = head.close || this.#closing() || mode === TO_CLOSE || !this.#pumpDone;
    if (mode === CHUNKED || mode === TO_CLOSE) {
      this.phase = "stream";
      if (ctx.shuttingDown) {
        this.close();
        return false;
      }
      if (this.#pumpDone) this.#watchClient();
    }

    let complete = false;
    let clientGone = false;
    const relay = this.#relay;
    relay.sent = 0;
    try {
      await relay.relay(client, upstream, responseStart, response, mode, close, this.#out);
      complete = true;
    } catch (error) {
      // The engine went away mid-response (the client can only be told by a
      // close), or the client did.
      clientGone = !(error instanceof UpstreamClosedError) && !(error instanceof HttpError);
      if (!clientGone && relay.sent === 0 && !this.#aborted) {
        this.#abort();
        if (pump !== null) await pump.catch(() => {});
        return await this.#badGateway(
          head,
          target,
          started,
          this.#badResponse((error as Error).message),
        );
      }
    }
    if (!this.#pumpDone) {
      // The engine answered without reading the whole body: it will not read on.
      this.#abort();
    }
    if (pump !== null) await pump.catch(() => {});
    const reusable = complete && !this.#aborted && mode !== TO_CLOSE && !response.close;
    if (this.#upstream !== null) {
      if (reusable) ctx.pool.release(this.#upstream, Date.now());
      else ctx.pool.destroy(this.#upstream);
      this.#upstream = null;
    }
    const ending = complete
      ? undefined
      : clientGone || this.#aborted
      ? "client went away"
      : "engine closed the stream";
    this.#log("info", head.method, target, "allowed", response.status, relay.sent, started, ending);
    return complete && !close && !this.#aborted;
  }

  /** The engine switched protocols: the connection becomes a tunnel until both sides end. */
  async #tunnel(
    upstream: Upstream,
    responseStart: number,
    response: ResponseHead,
    head: RequestHead,
    target: string,
    started: number,
    oneWay: boolean,
  ): Promise<boolean> {
    const client = this.client;
    this.phase = "tunnel";
    client.onEnd = null;
    if (this.#ctx.shuttingDown) return false;
    if (response.hopByHop && response.status !== 101) {
      this.#out.reset();
      writeResponseHead(this.#out, upstream.buf, responseStart, response, false);
      await client.write(this.#out.view());
    } else {
      await client.write(upstream.buf.subarray(responseStart, upstream.start));
    }
    // Bytes already read past the engine's head, then past the client's request,
    // go first.
    client.ensureCapacity(TUNNEL_BUFFER);
    upstream.ensureCapacity(TUNNEL_BUFFER);
    const totals = await tunnel(client, upstream, oneWay);
    this.#log(
      "info",
      head.method,
      target,
      "allowed",
      response.status,
      totals.toClient,
      started,
      oneWay
        ? "tunnel closed, nothing from the client passed (stdin not allowed)"
        : `tunnel closed, ${totals.toEngine}B to the engine`,
    );
    return false;
  }

  #cannotConnect(detail: string): string {
    return `Cannot connect to the Docker daemon at unix://${this.#ctx.pool.socketPath}: ${detail} ` +
      "(is the docker daemon running?)";
  }

  #badResponse(detail: string): string {
    return `Bad response from the Docker daemon at unix://${this.#ctx.pool.socketPath}: ${detail}`;
  }

  /** Answers 502 when the engine cannot be reached or answered nonsense. */
  async #badGateway(
    head: RequestHead,
    target: string,
    started: number,
    message: string,
  ): Promise<boolean> {
    this.#log("err", head.method, target, "allowed", 502, 0, started, message);
    const close = head.chunked || head.contentLength > 0 || head.close || this.#closing() ||
      this.#aborted;
    const bytes = errorResponse(502, message, { close, head: head.method === "HEAD" });
    if (close) {
      await this.#answerAndClose(bytes);
      return false;
    }
    await this.client.write(bytes);
    return true;
  }

  /** Answers the `healthcheck` command: 200 when the engine answers `/_ping`, 503 when not. */
  async #healthcheck(head: RequestHead, started: number): Promise<boolean> {
    const { healthy, detail } = await engineHealth(this.#ctx.pool);
    const options = { head: head.method === "HEAD", close: head.close };
    const bytes = healthy
      ? plainResponse(200, "OK", options)
      : errorResponse(503, `Docker engine unavailable: ${detail}`, options);
    const status = healthy ? 200 : 503;
    this.#log("debug", head.method, "/_ping", "healthcheck", status, bytes.length, started, detail);
    await this.client.write(bytes);
    return !head.close;
  }

  /** One access log line: the request, what was decided, the answer, and who asked. */
  #log(
    level: LogLevel,
    method: string,
    target: string,
    decision: string,
    status: number,
    bytes: number,
    started: number,
    reason?: string,
  ): void {
    const logger = this.#ctx.logger;
    if (decision === "allowed" && this.#verdict !== "allowed") {
      decision = this.#verdict;
      reason = reason === undefined ? this.#note : `${this.#note}; ${reason}`;
      if (level === "info") level = "warning";
    }
    if (!logger.enabled(level)) return;
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const profile = this.#routes?.profile;
    const profileName = profile?.file === null ? undefined : profile?.name || undefined;
    const container = this.#container?.name;
    if (logger.format === "json") {
      logger.log(level, "request", {
        client: this.peer,
        container,
        listener: this.listener || undefined,
        profile: profileName,
        method,
        path: target,
        operation: this.#operation ?? undefined,
        decision,
        status,
        bytes,
        ms,
        reason: reason || undefined,
      });
      return;
    }
    logger.log(
      level,
      `${this.peer}${container ? ` (${container})` : ""} ${method} ${target}` +
        `${
          this.#operation ? ` (${this.#operation})` : ""
        } ${decision} ${status} ${bytes}B ${ms}ms` +
        (profileName ? ` profile=${profileName}` : "") + (reason ? " " + reason : ""),
    );
  }
}

/** Whether the request holds a field named `lowerName` (not one the parser classifies). */
function hasField(buf: Uint8Array, head: RequestHead, lowerName: string): boolean {
  for (let i = 0; i < head.count; i++) {
    if (head.kinds[i] !== OTHER) continue;
    const start = head.fields[i * 4];
    const end = head.fields[i * 4 + 1];
    if (end - start === lowerName.length && latin1(buf, start, end).toLowerCase() === lowerName) {
      return true;
    }
  }
  return false;
}
