/**
 * The forwarding stage: a decided request goes to the engine and its answer
 * back to the client. The canonical head (written by the pipeline into `out`)
 * and the re-framed body are sent on a pooled engine connection (replayed
 * once on a fresh one when a pooled one turns out stale and the request is
 * idempotent); the answer is relayed under the engine's framing, rewritten
 * for a scoped client, or the connection becomes a tunnel once the engine
 * has switched protocols. Go's `httputil.ReverseProxy` is the model.
 */
import type { BufferedConn } from "../http/buffered_conn.ts";
import { ByteWriter } from "../http/byte_writer.ts";
import { writeResponseHead } from "../http/forward_head.ts";
import {
  HeadScanner,
  HttpError,
  parseResponseHead,
  type RequestHead,
  type ResponseHead,
} from "../http/http_head.ts";
import type { LogRequest } from "./access_log.ts";
import { optional } from "./optional_modules.ts";
import type { Phase, ProxyContext } from "./proxy_context.ts";
import { hasBody, RequestBody } from "./request_body.ts";
import {
  bodyMode,
  CHUNKED,
  isHijack,
  NO_BODY,
  ResponseRelay,
  TO_CLOSE,
  UpstreamClosedError,
} from "./response_relay.ts";
import { CONTINUE_100, errorResponse } from "../http/responses.ts";
import type { EventFilter } from "../scoping/event_filter.ts";
import { tunnel } from "./tunnel.ts";
import {
  EngineTimeoutError,
  EngineUnavailableError,
  MAX_LOOKUP_TIMEOUT_MS,
  type Upstream,
} from "../engine/upstream_pool.ts";

const TUNNEL_BUFFER = 64 * 1024;
const RESPONSE_LIMITS = { maxRequestLine: 8192, maxHeaderBytes: 64 * 1024, maxHeaderCount: 500 };
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** What the forwarder needs of the client connection it works for. */
export interface ForwardHost {
  readonly client: BufferedConn;
  readonly ctx: ProxyContext;
  readonly peer: string;
  phase: Phase;
  /** Whether the connection closes after this request (shutdown, or asked to). */
  closing(): boolean;
  close(): void;
  answerAndClose(bytes: Uint8Array): Promise<void>;
  refuse(error: HttpError, head: RequestHead | null, started: number): Promise<void>;
  log: LogRequest;
  /** The engine missed the request's deadline: counts it, and says what happened and what would allow more. */
  engineTimedOut(): string;
}

/** How one request is forwarded. */
export interface ForwardOptions {
  /** A tunnel carries nothing from the client to the engine. */
  oneWay: boolean;
  /** The body is already in `out`, whole (it was read for a decision). */
  bodyInOut: boolean;
  /** A `200` JSON answer is rewritten before the client sees it. */
  rewrite: ((answer: unknown) => unknown) | null;
  /** A `200` event stream is filtered line by line. */
  events: EventFilter | null;
  /** Time the engine gets to begin its answer, in ms (`ENGINE_TIMEOUT` and what the client asked); 0: none. */
  deadlineMs: number;
}

/** A request on its way: the engine connection, where its response head lies, the body pump. */
interface Sent {
  upstream: Upstream;
  responseStart: number;
  responseEnd: number;
  pump: Promise<void> | null;
}

export class Forwarder {
  /** The request for the engine: the pipeline writes the head here. */
  readonly out = new ByteWriter(512);
  /** The request body's framing state. */
  readonly body = new RequestBody();
  #host: ForwardHost;
  #responseScanner = new HeadScanner();
  #relay = new ResponseRelay();
  #upstream: Upstream | null = null;
  #response: ResponseHead | undefined;
  #aborted = false;
  /** Whether the request body has been sent whole (or there was none). */
  #pumpDone = true;
  /** The current request asked for a protocol upgrade. */
  #upgrading = false;
  /** The current request is HTTP/1.0. */
  #http10 = false;
  /** When the engine's answer began (`performance.now()`, for metrics; 0 when not measured). */
  answered = 0;
  /** The request body turned out malformed while it was being forwarded. */
  #bodyError: HttpError | null = null;
  /**
   * When the engine's answer head is due (ms since the epoch), while the
   * request waits for it; 0 otherwise. The server's sweep calls
   * `expireEngine` once it has passed, as Go's `ResponseHeaderTimeout` does.
   */
  engineDeadline = 0;
  /** The engine missed the deadline: its connection was closed, the client is answered 504. */
  #timedOut = false;
  /** After a 504: whether the client connection goes on. */
  #goesOn = false;

  constructor(host: ForwardHost) {
    this.#host = host;
  }

  /** The connection closes: so does the engine side of the exchange in flight. */
  close(): void {
    if (this.#upstream !== null) {
      this.#host.ctx.pool.destroy(this.#upstream);
      this.#upstream = null;
    }
  }

  /**
   * Keeps a read open on the client while the engine works, so a client that
   * goes away is noticed at once and the engine side is closed too (a stream
   * such as `/events` may otherwise sit idle forever). Bytes that arrive are
   * kept: they are the next pipelined request.
   */
  #watchClient(): void {
    const client = this.#host.client;
    if (client.reading || client.eof || client.closed) return;
    // A client that pipelines more than a request head's worth while the
    // engine works is not read further until it is served; during a stream,
    // which may never end, it is closed instead.
    const limits = this.#host.ctx.limits;
    if (client.available > limits.maxRequestLine + limits.maxHeaderBytes) {
      if (this.#host.phase === "stream") {
        this.#host.ctx.logger.warning("Client closed: it pipelined too much during a stream", {
          client: this.#host.peer,
        });
        this.#host.close();
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
    if (this.#upgrading && this.#host.client.error === null) return;
    // An HTTP/1.0 client (`printf ... | nc`) may end its side once its request is sent.
    if (this.#http10 && this.#host.client.error === null) return;
    if (this.#host.phase === "request" || this.#host.phase === "stream") this.#abort();
  };
  #onWatched = (more: boolean): void => {
    if (more && (this.#host.phase === "request" || this.#host.phase === "stream")) {
      this.#watchClient();
    }
  };

  /**
   * The engine has not begun its answer in time: its connection is closed
   * (never reused), which wakes the request waiting on it to answer 504.
   */
  expireEngine(): void {
    if (this.engineDeadline === 0) return;
    this.engineDeadline = 0;
    this.#timedOut = true;
    if (this.#upstream !== null) {
      this.#host.ctx.pool.destroy(this.#upstream);
      this.#upstream = null;
    }
  }

  /** The client is gone: drop the engine side of the exchange. */
  #abort(): void {
    this.#aborted = true;
    if (this.#upstream !== null) {
      this.#host.ctx.pool.destroy(this.#upstream);
      this.#upstream = null;
    }
  }

  /** Streams the rest of the body; a client that leaves or breaks framing aborts the exchange. */
  async #pumpBody(upstream: Upstream): Promise<void> {
    try {
      await this.body.pump(this.#host.client, upstream);
    } catch (error) {
      // Malformed framing mid-body: the engine gets no more, the client a 400.
      if (error instanceof HttpError) this.#bodyError = error;
      this.#abort();
      throw error;
    }
    this.#watchClient();
  }

  /**
   * Sends the request in `this.out` (head and whatever body is in hand) and
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
    const ctx = this.#host.ctx;
    const client = this.#host.client;
    const request = this.out.view();
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
        this.engineDeadline = 0;
        await this.badGateway(head, target, started, this.cannotConnect(error.message));
        return null;
      }
      if (this.#timedOut) {
        ctx.pool.destroy(upstream);
        this.#goesOn = await this.#gatewayTimeout(head, target, started);
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
          if (!interim) {
            if (ctx.metrics !== null) this.answered = performance.now();
            return sent;
          }
          // An interim 1xx (not 101): pass it on and read the final response.
          await client.write(upstream.buf.subarray(at, end));
          upstream.start = end;
          this.#responseScanner.reset(upstream.start);
        }
      } catch (error) {
        if (this.#timedOut) {
          ctx.pool.destroy(upstream);
          this.#upstream = null;
          if (this.#host.phase === "closed") return null;
          this.#goesOn = await this.#gatewayTimeout(head, target, started);
          return null;
        }
        this.engineDeadline = 0;
        if (this.#bodyError !== null) {
          await this.#host.refuse(this.#bodyError, head, started);
          return null;
        }
        if (this.#aborted || this.#host.phase === "closed") return null;
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
          : this.cannotConnect((error as Error).message);
        await this.badGateway(head, target, started, message);
        return null;
      }
    }
  }

  /**
   * Forwards the request in `out` and relays the answer; resolves whether the
   * connection can serve another request.
   */
  async forward(
    head: RequestHead,
    target: string,
    started: number,
    options: ForwardOptions,
  ): Promise<boolean> {
    const ctx = this.#host.ctx;
    const client = this.#host.client;
    this.#aborted = false;
    this.#upgrading = head.upgrade !== "";
    this.#http10 = head.http10;
    this.#bodyError = null;
    this.#timedOut = false;
    this.#goesOn = false;
    this.#pumpDone = true;
    let bodyDone = true;
    if (!options.bodyInOut) {
      this.body.begin(head);
      if (hasBody(head) && head.expectContinue) await client.write(CONTINUE_100);
      try {
        bodyDone = this.body.take(client, this.out);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        await this.#host.refuse(error, head, started);
        return false;
      }
    }
    this.engineDeadline = options.deadlineMs > 0 ? Date.now() + options.deadlineMs : 0;
    const sent = await this.#send(head, target, started, bodyDone);
    this.engineDeadline = 0;
    if (sent === null) return this.#goesOn;
    const { upstream, responseStart, responseEnd, pump } = sent;

    // The response head.
    let response;
    try {
      response = parseResponseHead(upstream.buf, responseStart, responseEnd, this.#response);
      this.#response = response;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.#abort();
      return await this.badGateway(head, target, started, this.#badResponse(error.message));
    }
    upstream.start = responseEnd;

    if (isHijack(response)) {
      if (response.status === 101 && head.upgrade === "") {
        this.#abort();
        return await this.badGateway(
          head,
          target,
          started,
          this.#badResponse("Switched protocols without being asked"),
        );
      }
      if (pump !== null) await pump.catch(() => {});
      return await this.#tunnel(
        upstream,
        responseStart,
        response,
        head,
        target,
        started,
        options.oneWay,
      );
    }

    const mode = bodyMode(head.method, response);
    // HTTP/1.0 has no chunking: such a body goes to an HTTP/1.0 client de-chunked, ended by a close.
    const close = head.close || this.#host.closing() || mode === TO_CLOSE || !this.#pumpDone ||
      (head.http10 && mode === CHUNKED);
    if (mode === CHUNKED || mode === TO_CLOSE) {
      this.#host.phase = "stream";
      if (ctx.shuttingDown) {
        this.#host.close();
        return false;
      }
      if (this.#pumpDone) this.#watchClient();
    }

    let complete = false;
    let clientGone = false;
    const relay = this.#relay;
    relay.sent = 0;
    try {
      const body = mode !== NO_BODY && response.status === 200;
      if (options.events !== null && body) {
        relay.sent = await optional.scoping.relayEvents(
          client,
          upstream,
          responseStart,
          response,
          mode,
          close,
          options.events,
        );
      } else if (options.rewrite !== null && body) {
        relay.sent = await optional.relayRewritten(
          client,
          upstream,
          responseStart,
          response,
          mode,
          close,
          this.out,
          options.rewrite,
        );
      } else {
        await relay.relay(client, upstream, responseStart, response, mode, close, this.out);
      }
      complete = true;
    } catch (error) {
      // The engine went away mid-response (the client can only be told by a
      // close), or the client did.
      clientGone = !(error instanceof UpstreamClosedError) && !(error instanceof HttpError);
      if (!clientGone && relay.sent === 0 && !this.#aborted) {
        this.#abort();
        if (pump !== null) await pump.catch(() => {});
        return await this.badGateway(
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
    this.#host.log(
      "info",
      head.method,
      target,
      "allowed",
      response.status,
      relay.sent,
      started,
      ending,
    );
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
    const client = this.#host.client;
    this.#host.phase = "tunnel";
    client.onEnd = null;
    if (this.#host.ctx.shuttingDown) return false;
    if (response.hopByHop && response.status !== 101) {
      this.out.reset();
      writeResponseHead(this.out, upstream.buf, responseStart, response, false);
      await client.write(this.out.view());
    } else {
      await client.write(upstream.buf.subarray(responseStart, upstream.start));
    }
    // Bytes already read past the engine's head, then past the client's request,
    // go first.
    client.ensureCapacity(TUNNEL_BUFFER);
    upstream.ensureCapacity(TUNNEL_BUFFER);
    const totals = await tunnel(client, upstream, oneWay);
    this.#host.log(
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

  cannotConnect(detail: string): string {
    this.#host.ctx.metrics?.engineError("connect");
    return `Cannot connect to the Docker daemon at unix://${this.#host.ctx.pool.socketPath}: ${detail} ` +
      "(is the docker daemon running?)";
  }

  #badResponse(detail: string): string {
    this.#host.ctx.metrics?.engineError("response");
    return `Bad response from the Docker daemon at unix://${this.#host.ctx.pool.socketPath}: ${detail}`;
  }

  /** Answers 504 when the engine missed the deadline; the client connection stays usable. */
  async #gatewayTimeout(head: RequestHead, target: string, started: number): Promise<boolean> {
    this.engineDeadline = 0;
    const message = this.#host.engineTimedOut();
    return await this.#gatewayError(504, head, target, started, message);
  }

  /**
   * Answers a request one of whose look-ups (the objects a scope or a rule on
   * labels checks) failed: 504 when the engine did not answer it in time
   * (counted by `operation`), else 502.
   */
  lookupFailed(
    head: RequestHead,
    target: string,
    started: number,
    error: unknown,
    operation: string | null,
  ): Promise<boolean> {
    if (!(error instanceof EngineTimeoutError)) {
      return this.badGateway(head, target, started, this.cannotConnect((error as Error).message));
    }
    this.#host.ctx.metrics?.engineTimeout(operation);
    const message = `socket-proxy could not check ${head.method} ${target}: ${error.message}; ` +
      `it closed its connection to the engine. Raise ENGINE_TIMEOUT (up to ${
        MAX_LOOKUP_TIMEOUT_MS / 1000
      }s) if the engine is only slow`;
    return this.#gatewayError(504, head, target, started, message);
  }

  /** Answers 502 when the engine cannot be reached or answered nonsense. */
  badGateway(
    head: RequestHead,
    target: string,
    started: number,
    message: string,
  ): Promise<boolean> {
    return this.#gatewayError(502, head, target, started, message);
  }

  async #gatewayError(
    status: 502 | 504,
    head: RequestHead,
    target: string,
    started: number,
    message: string,
  ): Promise<boolean> {
    this.#host.log("err", head.method, target, "allowed", status, 0, started, message);
    // A body not read to its end leaves the connection out of step: it closes.
    const close = head.chunked || head.contentLength > 0 || head.close || this.#host.closing() ||
      this.#aborted;
    const bytes = errorResponse(status, message, { close, head: head.method === "HEAD" });
    if (close) {
      await this.#host.answerAndClose(bytes);
      return false;
    }
    await this.#host.client.write(bytes);
    return true;
  }
}
