/**
 * Answers to HTTP/1.0 clients. The proxy speaks HTTP/1.1 to the engine and
 * writes its own answers in HTTP/1.1; when a request came in HTTP/1.0, every
 * byte on its way to the client passes through an `Http10Relay`
 * (`BufferedConn.output`), which rewrites it into HTTP/1.0:
 *
 * - the status line says `HTTP/1.0`;
 * - a chunked body is de-chunked and sent delimited by the close (the proxy
 *   closes after it), `Transfer-Encoding` and `Trailer` removed; a
 *   `Content-Length` stays;
 * - `Connection: keep-alive` only when the proxy keeps the connection (it does
 *   only when the client asked for it) and the answer has a known length;
 * - interim 1xx answers are dropped (HTTP/1.0 knows none).
 *
 * Pure: bytes in, bytes out. The heads it reads were written by the proxy (or
 * checked by it on their way from the engine), so each arrives whole at the
 * start of a write.
 */
import { ChunkedDecoder } from "./chunked.ts";
import {
  CONNECTION,
  KEEP_ALIVE,
  parseResponseHead,
  type ResponseHead,
  TRAILER,
  TRANSFER_ENCODING,
} from "./http_head.ts";

const HEAD = 0;
const LENGTH = 1;
const CHUNKED = 2;
const TO_CLOSE = 3;

const MAX_HEAD = 128 * 1024;
const KEEP_ALIVE_FIELD = new TextEncoder().encode("Connection: keep-alive\r\n");
const VERSION = new TextEncoder().encode("HTTP/1.0");
const VERSION_SUFFIX = new TextEncoder().encode(" HTTP/1.0\r");
const HEAD_METHOD = new TextEncoder().encode("HEAD ");

/** Where the head in `buf[start, end)` ends (past its empty line), or -1. */
function headEnd(buf: Uint8Array, start: number, end: number): number {
  for (let i = start + 3; i < end; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

function startsWith(buf: Uint8Array, at: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

export class Http10Relay {
  #state = HEAD;
  /** The next final answer is to a HEAD request: no body follows its head. */
  #headRequest = false;
  #left = 0;
  #decoder: ChunkedDecoder | null = null;
  #pending: Uint8Array | null = null;
  #response: ResponseHead | undefined;
  /** What one `transform` call sends, in order. */
  #parts: Uint8Array[] = [];

  /**
   * The relay for the request whose head is at `buf[start, end)`: `previous`
   * (reused) or a new one when the request line says `HTTP/1.0`; `null` when
   * it does not. Chosen before the head is parsed, so that a malformed HTTP/1.0
   * request is refused in HTTP/1.0 too.
   */
  static select(
    buf: Uint8Array,
    start: number,
    end: number,
    previous: unknown,
  ): Http10Relay | null {
    let lineEnd = start;
    while (lineEnd < end && buf[lineEnd] !== 13) lineEnd++;
    const at = lineEnd - (VERSION_SUFFIX.length - 1);
    if (at <= start || !startsWith(buf, at, VERSION_SUFFIX)) return null;
    const relay = previous instanceof Http10Relay ? previous : new Http10Relay();
    relay.#begin(startsWith(buf, start, HEAD_METHOD));
    return relay;
  }

  #begin(headRequest: boolean): void {
    this.#state = HEAD;
    this.#pending = null;
    this.#decoder = null;
    this.#headRequest = headRequest;
  }

  /**
   * The bytes to send for `bytes`, which the caller was about to write: `bytes`
   * itself or a part of it when nothing changes, else a new array. Throws
   * `HttpError` (502) on chunked framing the proxy would not have passed.
   */
  transform(bytes: Uint8Array): Uint8Array {
    const parts = this.#parts;
    parts.length = 0;
    let buf = bytes;
    let pos = 0;
    if (this.#pending !== null) {
      buf = new Uint8Array(this.#pending.length + bytes.length);
      buf.set(this.#pending);
      buf.set(bytes, this.#pending.length);
      this.#pending = null;
    }
    while (pos < buf.length) {
      if (this.#state === HEAD) {
        const end = headEnd(buf, pos, buf.length);
        if (end < 0) {
          if (buf.length - pos > MAX_HEAD) throw new Error("Answer head too large to rewrite");
          this.#pending = buf.slice(pos);
          break;
        }
        this.#head(buf, pos, end);
        pos = end;
      } else if (this.#state === LENGTH) {
        const take = Math.min(this.#left, buf.length - pos);
        parts.push(buf.subarray(pos, pos + take));
        pos += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = HEAD;
      } else if (this.#state === CHUNKED) {
        pos = this.#decoder!.feed(buf, pos, buf.length, this.#onData);
        if (this.#decoder!.done) {
          this.#decoder = null;
          this.#state = HEAD;
        }
      } else {
        parts.push(buf.subarray(pos));
        pos = buf.length;
      }
    }
    return this.#joined();
  }

  #onData = (buf: Uint8Array, start: number, end: number): void => {
    if (end > start) this.#parts.push(buf.subarray(start, end));
  };

  /** Rewrites the head at `buf[start, end)` and sets how its body is read. */
  #head(buf: Uint8Array, start: number, end: number): void {
    const response = parseResponseHead(buf, start, end, this.#response);
    this.#response = response;
    const status = response.status;
    if (status >= 100 && status < 200 && status !== 101) return; // interim: dropped
    const noBody = this.#headRequest || status === 204 || status === 304 || status < 200;
    this.#headRequest = false;
    const keepAlive = !response.close && (noBody || response.contentLength >= 0);

    let size = end - start + KEEP_ALIVE_FIELD.length;
    const out = new Uint8Array(size);
    out.set(VERSION);
    let lineEnd = start;
    while (buf[lineEnd] !== 10) lineEnd++;
    out.set(buf.subarray(start + VERSION.length, lineEnd + 1), VERSION.length);
    size = lineEnd + 1 - start;
    const { fields, kinds } = response;
    for (let i = 0; i < response.count; i++) {
      const kind = kinds[i];
      if (
        kind === TRANSFER_ENCODING || kind === TRAILER || kind === CONNECTION ||
        kind === KEEP_ALIVE
      ) continue;
      // The whole line: name to the CRLF after the value.
      let stop = fields[i * 4 + 3];
      while (buf[stop] !== 10) stop++;
      out.set(buf.subarray(fields[i * 4], stop + 1), size);
      size += stop + 1 - fields[i * 4];
    }
    if (keepAlive) {
      out.set(KEEP_ALIVE_FIELD, size);
      size += KEEP_ALIVE_FIELD.length;
    }
    out[size++] = 13;
    out[size++] = 10;
    this.#parts.push(out.subarray(0, size));

    if (noBody) this.#state = HEAD;
    else if (response.chunked) {
      this.#decoder = new ChunkedDecoder(502);
      this.#state = CHUNKED;
    } else if (response.contentLength > 0) {
      this.#left = response.contentLength;
      this.#state = LENGTH;
    } else if (response.contentLength === 0) this.#state = HEAD;
    else this.#state = TO_CLOSE;
  }

  #joined(): Uint8Array {
    const parts = this.#parts;
    if (parts.length === 1) return parts[0];
    let length = 0;
    for (const part of parts) length += part.length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    parts.length = 0;
    return out;
  }
}
