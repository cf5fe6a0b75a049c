/**
 * Engine responses on their way to the client: the head (rewritten only when
 * hop-by-hop fields must go or the proxy will close), then the body under the
 * engine's own framing, relayed as it arrives — streams such as `/events` or
 * `logs -f` never end by a timeout. Go's `httputil.ReverseProxy` is the model.
 */
import { type BufferedConn, Relay } from "../http/buffered_conn.ts";
import type { ByteWriter } from "../http/byte_writer.ts";
import { ChunkedDecoder } from "../http/chunked.ts";
import { responseHeadIsClean, writeResponseHead } from "../http/forward_head.ts";
import type { ResponseHead } from "../http/http_head.ts";

/** How the body of a response is delimited. */
export const NO_BODY = 0;
export const LENGTH = 1;
export const CHUNKED = 2;
export const TO_CLOSE = 3;
export type BodyMode = typeof NO_BODY | typeof LENGTH | typeof CHUNKED | typeof TO_CLOSE;

/** The engine closed the connection or failed while the proxy read from it. */
export class UpstreamClosedError extends Error {
  override name = "UpstreamClosedError";
  constructor(readonly anyBytes: boolean) {
    super("The engine closed the connection");
  }
}

/** The framing of `response`'s body, for a request with `method`. */
export function bodyMode(method: string, response: ResponseHead): BodyMode {
  const status = response.status;
  if (method === "HEAD" || status === 204 || status === 304 || status < 200) return NO_BODY;
  if (response.chunked) return CHUNKED;
  if (response.contentLength >= 0) return LENGTH;
  return TO_CLOSE;
}

/** Whether an answer hands the connection over to a tunnel: a 101, or Docker's raw-stream 200. */
export function isHijack(response: ResponseHead): boolean {
  if (response.status === 101) return true;
  const type = response.contentType;
  return response.status === 200 && response.contentLength < 0 && !response.chunked &&
    (type.startsWith("application/vnd.docker.raw-stream") ||
      type.startsWith("application/vnd.docker.multiplexed-stream"));
}

/** Relays one response; `sent` counts the bytes the client was sent. */
export class ResponseRelay {
  sent = 0;
  #decoder: ChunkedDecoder | null = null;

  /**
   * Sends the response whose head is `engine.buf[responseStart, engine.start)`
   * and its body to `client`. Throws `UpstreamClosedError` when the engine ends
   * early, `HttpError` (502) on malformed chunked framing, and the client's
   * error when the client goes away.
   *
   * Not itself async: the usual small answer, all in hand, is one write
   * straight from the buffer, and costs no async frame of its own (a few
   * hundred bytes of garbage per request).
   */
  relay(
    client: BufferedConn,
    engine: BufferedConn,
    responseStart: number,
    response: ResponseHead,
    mode: BodyMode,
    close: boolean,
    scratch: ByteWriter,
  ): Promise<void> {
    this.sent = 0;
    const bodyEnd = engine.start + response.contentLength;
    if (mode === LENGTH && bodyEnd <= engine.end && responseHeadIsClean(response, close)) {
      this.sent = bodyEnd - responseStart;
      const bytes = engine.buf.subarray(responseStart, bodyEnd);
      engine.start = bodyEnd;
      return client.write(bytes);
    }
    return this.#relay(client, engine, responseStart, response, mode, close, scratch);
  }

  /** Any other answer: the head (rewritten when it must be), then the body as it arrives. */
  async #relay(
    client: BufferedConn,
    engine: BufferedConn,
    responseStart: number,
    response: ResponseHead,
    mode: BodyMode,
    close: boolean,
    scratch: ByteWriter,
  ): Promise<void> {
    const headEnd = engine.start;
    let head: Uint8Array | null = null;
    if (!responseHeadIsClean(response, close)) {
      scratch.reset();
      writeResponseHead(scratch, engine.buf, responseStart, response, close);
      head = scratch.view();
    }
    // The head, with the body bytes that came with it, in one write.
    let end: number;
    if (mode === NO_BODY) end = headEnd;
    else if (mode === LENGTH) end = headEnd + Math.min(engine.available, response.contentLength);
    else if (mode === CHUNKED) {
      this.#decoder = new ChunkedDecoder(502);
      end = this.#decoder.feed(engine.buf, headEnd, engine.end);
    } else end = engine.end;
    if (head === null) {
      this.sent += end - responseStart;
      await client.write(engine.buf.subarray(responseStart, end));
    } else {
      scratch.bytes(engine.buf, headEnd, end);
      this.sent += scratch.length;
      await client.write(scratch.view());
    }
    engine.start = end;
    let left = mode === LENGTH ? response.contentLength - (end - headEnd) : 0;
    const done = () =>
      mode === NO_BODY || (mode === LENGTH && left === 0) ||
      (mode === CHUNKED && this.#decoder!.done);
    if (done()) return;

    // The rest: the next read proceeds while the previous piece is written.
    const relay = new Relay(engine, client);
    for (;;) {
      engine.reset();
      if (!(await engine.fill())) {
        if (mode === TO_CLOSE && engine.error === null) break;
        throw new UpstreamClosedError(true);
      }
      if (mode === LENGTH) {
        end = engine.start + Math.min(engine.available, left);
        left -= end - engine.start;
      } else if (mode === CHUNKED) {
        end = this.#decoder!.feed(engine.buf, engine.start, engine.end);
      } else {
        end = engine.end;
      }
      this.sent += end - engine.start;
      await relay.send(end);
      if (done()) break;
    }
    await relay.flush();
  }
}
