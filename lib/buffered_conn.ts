/**
 * A connection with a read buffer: `buf[start, end)` holds bytes read but not
 * yet consumed. At most one read is outstanding; `fill()` returns it when one is
 * already pending, which lets a connection keep a read open to notice a peer
 * that goes away while the proxy waits on the other side.
 */

const MAX_READ_BUFFER = 256 * 1024;

export class BufferedConn {
  readonly conn: Deno.Conn;
  buf: Uint8Array;
  start = 0;
  end = 0;
  /** The peer closed its write half, or the connection failed. */
  eof = false;
  error: unknown = null;
  closed = false;
  /** Called once when a read ends the stream (EOF or error). */
  onEnd: (() => void) | null = null;
  #pending: Promise<boolean> | null = null;
  #initialSize: number;
  #grow: number;

  constructor(conn: Deno.Conn, size: number, growTo = MAX_READ_BUFFER) {
    this.conn = conn;
    this.buf = new Uint8Array(size);
    this.#initialSize = size;
    this.#grow = growTo;
  }

  get available(): number {
    return this.end - this.start;
  }

  get reading(): boolean {
    return this.#pending !== null;
  }

  /** Moves unread bytes to the front; returns how far they moved. */
  compact(): number {
    const by = this.start;
    if (by === 0 || this.#pending !== null) return 0;
    this.buf.copyWithin(0, this.start, this.end);
    this.end -= by;
    this.start = 0;
    return by;
  }

  /** Rewinds to the front of the buffer when everything read was consumed. */
  reset(): void {
    if (this.#pending === null && this.start === this.end) this.start = this.end = 0;
  }

  /** Gives back a buffer that grew for a bulk transfer, once it holds nothing. */
  shrink(): void {
    this.reset();
    if (this.end === 0 && this.#pending === null && this.buf.length > this.#initialSize * 4) {
      this.buf = new Uint8Array(this.#initialSize);
    }
  }

  /** Makes the buffer at least `size` bytes long. */
  ensureCapacity(size: number): void {
    if (this.buf.length >= size || this.#pending !== null) return;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.end));
    this.buf = grown;
  }

  /**
   * Reads more bytes after `end`. Resolves `false` at EOF or on error. Grows the
   * buffer when it is full, and for bulk streams when a read filled it.
   */
  fill(): Promise<boolean> {
    if (this.#pending !== null) return this.#pending;
    if (this.eof) return Promise.resolve(false);
    if (this.start === this.end) this.start = this.end = 0;
    if (this.end === this.buf.length) {
      if (this.start > 0) this.compact();
      else this.ensureCapacity(this.buf.length * 2);
    }
    const free = this.buf.length - this.end;
    this.#pending = this.conn.read(this.buf.subarray(this.end)).then(
      (n) => {
        this.#pending = null;
        if (n === null) return this.#ended(null);
        this.end += n;
        if (n === free && this.buf.length < this.#grow && this.start === 0) {
          this.ensureCapacity(Math.min(this.buf.length * 2, this.#grow));
        }
        return true;
      },
      (error) => {
        this.#pending = null;
        return this.#ended(error);
      },
    );
    return this.#pending;
  }

  #ended(error: unknown): false {
    this.eof = true;
    this.error = error;
    const onEnd = this.onEnd;
    this.onEnd = null;
    onEnd?.();
    return false;
  }

  /** Writes all of `bytes`. */
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      offset += await this.conn.write(offset === 0 ? bytes : bytes.subarray(offset));
    }
  }

  /** Closes the write half, keeping the read half open. */
  closeWrite(): void {
    try {
      this.conn.closeWrite();
    } catch {
      // Already closed.
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}
