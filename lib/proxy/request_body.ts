/**
 * Request bodies on their way to the engine: read from the client under the
 * framing the client declared (Content-Length or chunked, decoded strictly) and
 * re-framed by the proxy, so the engine only ever sees framing the proxy wrote.
 *
 * A body is either streamed (uploads of any size: build contexts, image loads,
 * `docker cp`) or, when the proxy must read it before deciding, collected whole
 * up to a limit.
 */
import type { BufferedConn } from "../http/buffered_conn.ts";
import { ByteWriter } from "../http/byte_writer.ts";
import { ChunkedDecoder, LAST_CHUNK, writeChunkHeader } from "../http/chunked.ts";
import { HttpError, type RequestHead } from "../http/http_head.ts";

/** The client went away before its request body was complete. */
export class ClientGoneError extends Error {
  override name = "ClientGoneError";
  constructor() {
    super("Client closed during the request body");
  }
}

/** The framing state of the body of the request in flight on one connection. */
export class RequestBody {
  #left = 0;
  #decoder: ChunkedDecoder | null = null;
  #out: ByteWriter | null = null;

  /** Starts the body of `head` (none when it declares none). */
  begin(head: RequestHead): void {
    this.#left = head.chunked ? 0 : Math.max(head.contentLength, 0);
    this.#decoder = head.chunked ? new ChunkedDecoder(400) : null;
  }

  /**
   * Moves the body bytes `client` has buffered into `out`, re-framed (chunked
   * bodies stay chunked, with the proxy's own chunk heads). Returns whether the
   * body is complete. Throws `HttpError` (400) on malformed chunked framing.
   */
  take(client: BufferedConn, out: ByteWriter): boolean {
    if (this.#decoder === null) {
      const take = Math.min(client.available, this.#left);
      out.bytes(client.buf, client.start, client.start + take);
      client.start += take;
      this.#left -= take;
      return this.#left === 0;
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

  /**
   * Streams the rest of the body to `engine` as the client sends it. Throws
   * `ClientGoneError` when the client leaves first, `HttpError` on malformed
   * framing; either way the engine must not be sent anything more.
   */
  async pump(client: BufferedConn, engine: BufferedConn): Promise<void> {
    const out = this.#out ??= new ByteWriter(1024);
    for (;;) {
      client.reset();
      if (!(await client.fill())) throw new ClientGoneError();
      out.reset();
      const done = this.take(client, out);
      if (out.length > 0) await engine.write(out.view());
      if (done) return;
    }
  }

  /**
   * Reads the whole body, de-chunked, for a decision that needs it. Throws
   * `HttpError` 413 once it exceeds `limit` bytes, 400 on malformed framing, and
   * `ClientGoneError` when the client leaves first.
   */
  async collect(client: BufferedConn, limit: number): Promise<Uint8Array> {
    const body = new ByteWriter(Math.min(Math.max(this.#left, 256), limit + 1));
    const tooLarge = () =>
      new HttpError(413, `Request body larger than MAX_BODY_SIZE (${limit} bytes)`);
    if (this.#decoder === null && this.#left > limit) throw tooLarge();
    for (;;) {
      let done: boolean;
      if (this.#decoder === null) {
        const take = Math.min(client.available, this.#left);
        body.bytes(client.buf, client.start, client.start + take);
        client.start += take;
        this.#left -= take;
        done = this.#left === 0;
      } else {
        const decoder = this.#decoder;
        client.start = decoder.feed(client.buf, client.start, client.end, (buf, start, end) => {
          if (body.length + end - start > limit) throw tooLarge();
          body.bytes(buf, start, end);
        });
        done = decoder.done;
        if (done) this.#decoder = null;
      }
      if (done) return body.view();
      client.reset();
      if (!(await client.fill())) throw new ClientGoneError();
    }
  }
}

/** The request head's body framing for a body the proxy holds whole: `Content-Length: n`. */
export function hasBody(head: RequestHead): boolean {
  return head.chunked || head.contentLength > 0;
}
