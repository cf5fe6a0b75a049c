/**
 * One client connection, request by request. The whole pipeline reads top to
 * bottom in `#exchange`:
 *
 *   read the head (strict HTTP/1.1, limits, timeouts)
 *   -> canonical target (or 400)
 *   -> policy (or 403, every denial through `#deny`)
 *   -> forward the canonical request and its re-framed body to the engine
 *   -> relay the response, or turn the connection into a tunnel once the
 *      engine has switched protocols.
 *
 * Each request on a keep-alive or pipelined connection is decided on its own,
 * and the engine is only ever sent bytes the proxy wrote itself.
 */
import type { BufferedConn } from "./buffered_conn.ts";
import { BufferedConn as Conn, Relay } from "./buffered_conn.ts";
import { ByteWriter } from "./byte_writer.ts";
import { ChunkedDecoder, LAST_CHUNK, writeChunkHeader } from "./chunked.ts";
import type { Limits } from "./config.ts";
import type { Flags } from "./flags.ts";
import { responseHeadIsClean, writeRequestHead, writeResponseHead } from "./forward_head.ts";
import {
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
import { type Decision, explainDenial } from "./policy.ts";
import type { RequestTarget } from "./request_target.ts";
import type { RouteCache } from "./route_cache.ts";
import { CONTINUE_100, errorResponse, plainResponse } from "./responses.ts";
import { after } from "./timer.ts";
import { EngineUnavailableError, type Upstream, type UpstreamPool } from "./upstream_pool.ts";

export interface ProxyContext {
  flags: Flags;
  /** Memoized canonical targets and decisions for `flags`. */
  routes: RouteCache;
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
const HEALTHCHECK_HEADER = "x-socket-proxy-healthcheck";
const HEALTH_REQUEST = new TextEncoder().encode("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

const NO_BODY = 0;
const LENGTH = 1;
const CHUNKED = 2;
const TO_CLOSE = 3;

/** The engine closed the connection or failed while the proxy read from it. */
class UpstreamClosedError extends Error {
  override name = "UpstreamClosedError";
  constructor(readonly anyBytes: boolean) {
    super("The engine closed the connection");
  }
}

function isHijackType(contentType: string): boolean {
  return contentType.startsWith("application/vnd.docker.raw-stream") ||
    contentType.startsWith("application/vnd.docker.multiplexed-stream");
}

function shorten(text: string): string {
  return text.length > 200 ? text.slice(0, 200) + "..." : text;
}

/** `host:port` of a client, IPv4-mapped IPv6 shown as IPv4. */
export function describePeer(addr: Deno.Addr): { peer: string; local: boolean } {
  if (addr.transport === "unix" || addr.transport === "unixpacket") {
    return { peer: "unix", local: true };
  }
  if (addr.transport !== "tcp" && addr.transport !== "udp") return { peer: "?", local: false };
  const host = addr.hostname.startsWith("::ffff:") ? addr.hostname.slice(7) : addr.hostname;
  const local = host === "::1" || host.startsWith("127.");
  return { peer: host.includes(":") ? `[${host}]:${addr.port}` : `${host}:${addr.port}`, local };
}

export class ClientConnection {
  readonly client: BufferedConn;
  readonly peer: string;
  readonly local: boolean;
  phase: Phase = "idle";
  /** When an idle or partial head expires (ms since epoch), 0 for never. */
  deadline = 0;
  #ctx: ProxyContext;
  #scanner = new HeadScanner();
  #responseScanner = new HeadScanner();
  #out = new ByteWriter(512);
  #bodyOut: ByteWriter | null = null;
  #upstream: Upstream | null = null;
  /** Reused for every request and response head on this connection. */
  #head: RequestHead | undefined;
  #response: ResponseHead | undefined;
  #closeAfter = false;
  #aborted = false;
  // Request body state while it is forwarded.
  #bodyLeft = 0;
  #decoder: ChunkedDecoder | null = null;
  #responseDecoder: ChunkedDecoder | null = null;
  /** Response bytes sent to the client for the current request. */
  #sent = 0;
  /** The current request asked for a protocol upgrade. */
  #upgrading = false;
  /** The request body turned out malformed while it was being forwarded. */
  #bodyError: HttpError | null = null;

  constructor(conn: Deno.Conn, ctx: ProxyContext) {
    this.client = new Conn(conn, CLIENT_BUFFER);
    const { peer, local } = describePeer(conn.remoteAddr);
    this.peer = peer;
    this.local = local;
    this.#ctx = ctx;
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
    const limits = ctx.limits;

    // 1. Read the request head.
    client.shrink();
    this.phase = "idle";
    this.#aborted = false;
    this.deadline = limits.idleTimeoutMs > 0 ? Date.now() + limits.idleTimeoutMs : 0;
    this.#scanner.reset(client.start);
    let headEnd: number;
    try {
      for (;;) {
        headEnd = this.#scanner.scan(client.buf, client.end, limits);
        if (headEnd >= 0) break;
        if (this.#closeAfter || ctx.shuttingDown) return false;
        if (this.phase === "idle" && this.#scanner.started) {
          this.phase = "head";
          this.deadline = limits.headerTimeoutMs > 0 ? Date.now() + limits.headerTimeoutMs : 0;
        }
        if (client.end === client.buf.length && client.start > 0) {
          this.#scanner.shift(client.compact());
        }
        if (!(await client.fill())) return false;
      }
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      await this.#refuse(error, null, performance.now());
      return false;
    }
    if ((this.phase as Phase) === "closed") return false;
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

    // 3. The canonical target (what is checked is what is forwarded), and
    // 4. the policy's decision on it.
    const route = ctx.routes.route(head.method, head.target, head.upgrade !== "");
    if (route.error !== null) {
      client.start = headEnd;
      await this.#refuse(new HttpError(400, route.error), head, started);
      return false;
    }

    // The proxy's own health check, for local clients only.
    if (
      this.local && route.target!.path === "/_ping" &&
      (head.method === "GET" || head.method === "HEAD") && head.contentLength <= 0 &&
      !head.chunked && hasField(client.buf, head, HEALTHCHECK_HEADER)
    ) {
      client.start = headEnd;
      return await this.#healthcheck(head, started);
    }

    if (!route.decision!.allowed) {
      client.start = headEnd;
      return await this.#deny(head, route.target!, route.decision!, started);
    }

    // 5. Forward.
    this.#out.reset();
    writeRequestHead(this.#out, client.buf, head, {
      target: route.forward,
      requestLine: route.requestLine!,
      upgrade: true,
    });
    client.start = headEnd;
    return await this.#forward(head, route.forward, started);
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

  /** Every denial goes through here: 403 with Docker's error body. */
  async #deny(
    head: RequestHead,
    target: RequestTarget,
    decision: Decision,
    started: number,
  ): Promise<boolean> {
    const reason = explainDenial(this.#ctx.flags, decision);
    const message = `Forbidden by socket-proxy: ${head.method} ${target.path} ${reason}`;
    // A body the proxy will not read leaves the connection out of step: close it.
    const close = head.chunked || head.contentLength > 0 || head.close || this.#closing();
    const bytes = errorResponse(403, message, { close, head: head.method === "HEAD" });
    this.#log(
      "warning",
      head.method,
      target.path + target.query,
      "denied",
      403,
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

  /** Moves the request body bytes already buffered into `out`; returns whether the body is complete. */
  #takeBody(out: ByteWriter): boolean {
    const client = this.client;
    if (this.#decoder === null) {
      const take = Math.min(client.available, this.#bodyLeft);
      out.bytes(client.buf, client.start, client.start + take);
      client.start += take;
      this.#bodyLeft -= take;
      return this.#bodyLeft === 0;
    }
    const decoder = this.#decoder;
    client.start = decoder.feed(client.buf, client.start, client.end, (buf, start, end) => {
      out.reserve(end - start + 20);
      out.length = writeChunkHeader(out.buf, out.length, end - start);
      out.bytes(buf, start, end);
      out.ascii("\r\n");
    });
    if (!decoder.done) return false;
    out.bytes(LAST_CHUNK);
    this.#decoder = null;
    return true;
  }

  /** Streams the rest of the request body to the engine as the client sends it. */
  async #pumpBody(upstream: Upstream): Promise<void> {
    const client = this.client;
    const out = this.#bodyOut ??= new ByteWriter(1024);
    for (;;) {
      client.reset();
      if (!(await client.fill())) {
        // The client went away mid-upload: the engine must not wait for the rest.
        this.#abort();
        throw new Error("Client closed during the request body");
      }
      out.reset();
      let done: boolean;
      try {
        done = this.#takeBody(out);
      } catch (error) {
        // Malformed framing mid-body: the engine gets no more, the client a 400.
        if (error instanceof HttpError) this.#bodyError = error;
        this.#abort();
        throw error;
      }
      if (out.length > 0) await upstream.write(out.view());
      if (done) {
        this.#watchClient();
        return;
      }
    }
  }

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

  async #forward(head: RequestHead, target: string, started: number): Promise<boolean> {
    const ctx = this.#ctx;
    const client = this.client;
    const out = this.#out;
    const hasBody = head.chunked || head.contentLength > 0;
    this.#upgrading = head.upgrade !== "";
    this.#bodyError = null;
    this.#bodyLeft = head.chunked ? 0 : Math.max(head.contentLength, 0);
    this.#decoder = head.chunked ? new ChunkedDecoder(400) : null;
    if (hasBody && head.expectContinue) await client.write(CONTINUE_100);
    let bodyDone: boolean;
    try {
      bodyDone = this.#takeBody(out);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      await this.#refuse(error, head, started);
      return false;
    }
    const request = out.view();
    // A request whose bytes are all in hand can be replayed on a fresh
    // connection if a pooled one turns out to be stale (the engine restarted):
    // when it is idempotent, as Go's transport does, so that a request the
    // engine did act on is never sent twice.
    const replayable = bodyDone && IDEMPOTENT.has(head.method);

    let upstream: Upstream | null = bodyDone ? ctx.pool.takeIdle() : null;
    let pump: Promise<void> | null = null;
    let pumpDone = true;
    let responseStart = 0;
    let responseEnd = 0;
    for (let attempt = 0;; attempt++) {
      const reused = upstream !== null;
      try {
        upstream ??= await ctx.pool.connect();
      } catch (error) {
        if (!(error instanceof EngineUnavailableError)) throw error;
        return await this.#badGateway(head, target, started, this.#cannotConnect(error.message));
      }
      this.#upstream = upstream;
      try {
        await upstream.write(request);
        if (!bodyDone) {
          pumpDone = false;
          pump = this.#pumpBody(upstream).finally(() => pumpDone = true);
          pump.catch(() => {}); // awaited below; errors handled there
        } else {
          this.#watchClient();
        }
        this.#responseScanner.reset(upstream.start);
        for (;;) {
          responseEnd = this.#responseScanner.scan(upstream.buf, upstream.end, RESPONSE_LIMITS);
          if (responseEnd < 0) {
            if (upstream.end === upstream.buf.length && upstream.start > 0) {
              this.#responseScanner.shift(upstream.compact());
            }
            if (!(await upstream.fill())) {
              throw new UpstreamClosedError(this.#responseScanner.started);
            }
            continue;
          }
          responseStart = upstream.start;
          const b = upstream.buf;
          const interim = b[responseStart + 9] === 49 &&
            !(b[responseStart + 10] === 48 && b[responseStart + 11] === 49);
          if (!interim) break;
          // An interim 1xx (not 101): pass it on and read the final response.
          await client.write(upstream.buf.subarray(responseStart, responseEnd));
          upstream.start = responseEnd;
          this.#responseScanner.reset(upstream.start);
        }
        break;
      } catch (error) {
        if (this.#bodyError !== null) {
          await this.#refuse(this.#bodyError, head, started);
          return false;
        }
        if (this.#aborted || this.phase === "closed") return false;
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
        return await this.#badGateway(head, target, started, message);
      }
    }

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

    if (
      response.status === 101 ||
      (response.status === 200 && isHijackType(response.contentType) &&
        response.contentLength < 0 && !response.chunked)
    ) {
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
      return await this.#tunnel(upstream, responseStart, response, head, target, started);
    }

    let mode: number;
    if (
      head.method === "HEAD" || response.status === 204 || response.status === 304 ||
      response.status < 200
    ) mode = NO_BODY;
    else if (response.chunked) mode = CHUNKED;
    else if (response.contentLength >= 0) mode = LENGTH;
    else mode = TO_CLOSE;

    const close = head.close || this.#closing() || mode === TO_CLOSE || !pumpDone;
    if (mode === CHUNKED || mode === TO_CLOSE) {
      this.phase = "stream";
      if (ctx.shuttingDown) {
        this.close();
        return false;
      }
      if (pumpDone) this.#watchClient();
    }

    let complete = false;
    let clientGone = false;
    this.#sent = 0;
    try {
      const bodyEnd = upstream.start + response.contentLength;
      if (mode === LENGTH && bodyEnd <= upstream.end && responseHeadIsClean(response, close)) {
        // The usual small answer, all in hand: one write, straight from the buffer.
        this.#sent = bodyEnd - responseStart;
        await client.write(upstream.buf.subarray(responseStart, bodyEnd));
        upstream.start = bodyEnd;
      } else {
        await this.#relayBody(upstream, responseStart, response, mode, close);
      }
      complete = true;
    } catch (error) {
      // The engine went away mid-response (the client can only be told by a
      // close), or the client did.
      clientGone = !(error instanceof UpstreamClosedError) && !(error instanceof HttpError);
      if (!clientGone && this.#sent === 0 && !this.#aborted) {
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
    if (!pumpDone) {
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
    this.#log("info", head.method, target, "allowed", response.status, this.#sent, started, ending);
    return complete && !close && !this.#aborted;
  }

  /** Sends the response head and body to the client, counting bytes in `#sent`. */
  async #relayBody(
    upstream: Upstream,
    responseStart: number,
    response: ResponseHead,
    mode: number,
    close: boolean,
  ): Promise<void> {
    const client = this.client;
    const headEnd = upstream.start;
    const clean = responseHeadIsClean(response, close);
    let head: Uint8Array | null = null;
    if (!clean) {
      this.#out.reset();
      writeResponseHead(this.#out, upstream.buf, responseStart, response, close);
      head = this.#out.view();
    }
    // The head, with the body bytes that came with it, in one write.
    let end: number;
    if (mode === NO_BODY) end = headEnd;
    else if (mode === LENGTH) end = headEnd + Math.min(upstream.available, response.contentLength);
    else if (mode === CHUNKED) {
      end = this.#decoderFor502().feed(upstream.buf, headEnd, upstream.end);
    } else end = upstream.end;
    if (head === null) {
      this.#sent += end - responseStart;
      await client.write(upstream.buf.subarray(responseStart, end));
    } else {
      this.#out.bytes(upstream.buf, headEnd, end);
      this.#sent += this.#out.length;
      await client.write(this.#out.view());
    }
    upstream.start = end;
    let left = mode === LENGTH ? response.contentLength - (end - headEnd) : 0;
    const done = () =>
      mode === NO_BODY || (mode === LENGTH && left === 0) ||
      (mode === CHUNKED && this.#responseDecoder!.done);
    if (done()) return;

    // The rest: the next read proceeds while the previous piece is written.
    const relay = new Relay(upstream, client);
    for (;;) {
      upstream.reset();
      if (!(await upstream.fill())) {
        if (mode === TO_CLOSE && upstream.error === null) break;
        throw new UpstreamClosedError(true);
      }
      if (mode === LENGTH) {
        end = upstream.start + Math.min(upstream.available, left);
        left -= end - upstream.start;
      } else if (mode === CHUNKED) {
        end = this.#responseDecoder!.feed(upstream.buf, upstream.start, upstream.end);
      } else {
        end = upstream.end;
      }
      this.#sent += end - upstream.start;
      await relay.send(end);
      if (done()) break;
    }
    await relay.flush();
  }

  /** A fresh decoder for an engine response's chunked body. */
  #decoderFor502(): ChunkedDecoder {
    this.#responseDecoder = new ChunkedDecoder(502);
    return this.#responseDecoder;
  }

  /**
   * The engine switched protocols (`docker attach`, `exec`, BuildKit sessions):
   * relay bytes both ways until both sides are done. When one side closes its
   * write half, only the write half of the other side is closed, so the other
   * direction keeps flowing to its end.
   */
  async #tunnel(
    upstream: Upstream,
    responseStart: number,
    response: ResponseHead,
    head: RequestHead,
    target: string,
    started: number,
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
    // go first; `pipe` starts with what each buffer holds.
    client.ensureCapacity(TUNNEL_BUFFER);
    upstream.ensureCapacity(TUNNEL_BUFFER);
    const [toEngine, toClient] = await Promise.all([
      pipe(client, upstream),
      pipe(upstream, client),
    ]);
    this.#log(
      "info",
      head.method,
      target,
      "allowed",
      response.status,
      toClient,
      started,
      `tunnel closed, ${toEngine}B to the engine`,
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
    let healthy = false;
    let detail = "";
    try {
      const upstream = await this.#ctx.pool.connect();
      try {
        await upstream.write(HEALTH_REQUEST);
        while (upstream.available < 12 && (await upstream.fill()));
        const status = latin1(upstream.buf, upstream.start, upstream.start + 12);
        healthy = status === "HTTP/1.1 200" || status === "HTTP/1.0 200";
        detail = healthy ? "" : `engine answered ${status.slice(9) || "nothing"}`;
      } finally {
        this.#ctx.pool.destroy(upstream);
      }
    } catch (error) {
      detail = (error as Error).message;
    }
    const status = healthy ? 200 : 503;
    const bytes = healthy
      ? plainResponse(200, "OK", { head: head.method === "HEAD", close: head.close })
      : errorResponse(503, `Docker engine unavailable: ${detail}`, {
        head: head.method === "HEAD",
        close: head.close,
      });
    this.#log(
      "debug",
      head.method,
      "/_ping",
      "healthcheck",
      status,
      bytes.length,
      started,
      detail || undefined,
    );
    await this.client.write(bytes);
    return !head.close;
  }

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
    if (!logger.enabled(level)) return;
    const ms = Math.round((performance.now() - started) * 10) / 10;
    if (logger.format === "json") {
      logger.log(level, "request", {
        client: this.peer,
        method,
        path: target,
        decision,
        status,
        bytes,
        ms,
        reason,
      });
      return;
    }
    logger.log(
      level,
      `${this.peer} ${method} ${target} ${decision} ${status} ${bytes}B ${ms}ms` +
        (reason ? " " + reason : ""),
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

/**
 * Copies bytes from `from` to `to` until `from` ends, starting with what `from`
 * has buffered. At a clean end only `to`'s write half is closed; on an error
 * both sides are closed. Returns the bytes copied.
 */
async function pipe(from: BufferedConn, to: BufferedConn): Promise<number> {
  const relay = new Relay(from, to);
  let total = 0;
  try {
    for (;;) {
      if (from.available > 0) {
        total += from.available;
        await relay.send(from.end);
      }
      from.reset();
      if (!(await from.fill())) break;
    }
    await relay.flush();
    if (from.error !== null) throw from.error;
    to.closeWrite();
  } catch {
    from.close();
    to.close();
  }
  return total;
}
