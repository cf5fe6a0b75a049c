/**
 * The chunked transfer coding, as a byte-at-a-time state machine that never
 * buffers: data bytes are reported as spans of the input.
 *
 * Request bodies are decoded strictly and re-encoded by the proxy (so the engine
 * only ever sees framing the proxy wrote); response bodies from the engine are
 * scanned to find where they end and forwarded as they are.
 */
import { HttpError } from "./http_head.ts";

const SIZE = 0; // reading hex digits
const EXTENSION = 1; // after `;`, until CR
const SIZE_LF = 2; // after the size line's CR
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILER_START = 6; // at the start of a trailer line (or the final CRLF)
const TRAILER = 7; // inside a trailer line
const TRAILER_LF = 8; // after a trailer line's CR
const END_LF = 9; // after the final CR
const DONE = 10;

const MAX_SIZE_DIGITS = 16;
const MAX_TRAILER_BYTES = 64 * 1024;

function hexDigit(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  const lower = b | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

export class ChunkedDecoder {
  #state = SIZE;
  #size = 0;
  #digits = 0;
  #remaining = 0;
  #trailerBytes = 0;
  #status: number;

  /** `status` is what a framing error answers: 400 for requests, 502 for responses. */
  constructor(status = 400) {
    this.#status = status;
  }

  get done(): boolean {
    return this.#state === DONE;
  }

  #fail(message: string): never {
    throw new HttpError(this.#status, message);
  }

  /**
   * Consumes `buf[start, end)`, calling `onData` for each span of chunk data.
   * Returns where it stopped: `end`, or just past the body once it is complete.
   */
  feed(
    buf: Uint8Array,
    start: number,
    end: number,
    onData?: (buf: Uint8Array, start: number, end: number) => void,
  ): number {
    let pos = start;
    while (pos < end) {
      switch (this.#state) {
        case DATA: {
          const take = Math.min(this.#remaining, end - pos);
          onData?.(buf, pos, pos + take);
          pos += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = DATA_CR;
          continue;
        }
        case SIZE: {
          const b = buf[pos++];
          const digit = hexDigit(b);
          if (digit >= 0) {
            if (
              ++this.#digits > MAX_SIZE_DIGITS ||
              this.#size > (Number.MAX_SAFE_INTEGER - digit) / 16
            ) {
              this.#fail("Chunk size overflows");
            }
            this.#size = this.#size * 16 + digit;
          } else if (this.#digits === 0) {
            this.#fail("Malformed chunk size");
          } else if (b === 0x3b) { // ;
            this.#state = EXTENSION;
          } else if (b === 13) {
            this.#state = SIZE_LF;
          } else {
            this.#fail("Malformed chunk size");
          }
          continue;
        }
        case EXTENSION: {
          const b = buf[pos++];
          if (b === 13) this.#state = SIZE_LF;
          else if (b !== 9 && (b < 0x20 || b === 0x7f)) {
            this.#fail("Control byte in chunk extension");
          }
          continue;
        }
        case SIZE_LF:
          if (buf[pos++] !== 10) this.#fail("Malformed chunk size line");
          if (this.#size === 0) {
            this.#state = TRAILER_START;
          } else {
            this.#remaining = this.#size;
            this.#state = DATA;
          }
          this.#size = 0;
          this.#digits = 0;
          continue;
        case DATA_CR:
          if (buf[pos++] !== 13) this.#fail("Chunk data longer than its size");
          this.#state = DATA_LF;
          continue;
        case DATA_LF:
          if (buf[pos++] !== 10) this.#fail("Malformed chunk ending");
          this.#state = SIZE;
          continue;
        case TRAILER_START: {
          const b = buf[pos++];
          if (b === 13) {
            this.#state = END_LF;
          } else if (b === 32 || b === 9 || b === 10) {
            this.#fail("Malformed trailer");
          } else if (b < 0x20 || b === 0x7f) {
            this.#fail("Control byte in trailer");
          } else {
            this.#state = TRAILER;
          }
          this.#countTrailer();
          continue;
        }
        case TRAILER: {
          const b = buf[pos++];
          if (b === 13) this.#state = TRAILER_LF;
          else if (b !== 9 && (b < 0x20 || b === 0x7f)) this.#fail("Control byte in trailer");
          this.#countTrailer();
          continue;
        }
        case TRAILER_LF:
          if (buf[pos++] !== 10) this.#fail("Bare CR in trailer");
          this.#state = TRAILER_START;
          continue;
        case END_LF:
          if (buf[pos++] !== 10) this.#fail("Malformed end of chunked body");
          this.#state = DONE;
          return pos;
        default:
          return pos;
      }
    }
    return pos;
  }

  #countTrailer(): void {
    if (++this.#trailerBytes > MAX_TRAILER_BYTES) this.#fail("Trailer section too large");
  }
}

const HEX = "0123456789abcdef";

/**
 * Writes the chunk header for `length` bytes into `out` at `at`; returns the new offset.
 * The caller writes the data and then `\r\n`.
 */
export function writeChunkHeader(out: Uint8Array, at: number, length: number): number {
  let digits = 1;
  while (length >= 16 ** digits) digits++;
  for (let i = digits - 1; i >= 0; i--) {
    out[at + i] = HEX.charCodeAt(length % 16);
    length = Math.floor(length / 16);
  }
  out[at + digits] = 13;
  out[at + digits + 1] = 10;
  return at + digits + 2;
}

/** The last chunk and the empty trailer section. */
export const LAST_CHUNK = new Uint8Array([48, 13, 10, 13, 10]);
