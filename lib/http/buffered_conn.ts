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
  /** Rewrites what is written (answers to an HTTP/1.0 client); `null`: bytes go as they are. */
  output: { transform(bytes: Uint8Array): Uint8Array } | null = null;
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

  /**
   * Gives the connection `spare` (or a new buffer of the same size) to read
   * into next and returns the current one; everything read must be consumed.
   */
  swap(spare: Uint8Array | null): Uint8Array {
    const old = this.buf;
    this.buf = spare ?? new Uint8Array(old.length);
    this.start = this.end = 0;
    return old;
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
    this.#free = this.buf.length - this.end;
    this.#pending = this.conn.read(this.buf.subarray(this.end)).then(this.#onRead, this.#onError);
    return this.#pending;
  }

  #free = 0;
  // Bound once: a read costs no closure allocation.
  #onRead = (n: number | null): boolean => {
    this.#pending = null;
    if (n === null) return this.#ended(null);
    this.end += n;
    if (n === this.#free && this.buf.length < this.#grow) {
      this.ensureCapacity(Math.min(this.buf.length * 2, this.#grow));
    }
    return true;
  };
  #onError = (error: unknown): boolean => {
    this.#pending = null;
    return this.#ended(error);
  };

  #ended(error: unknown): false {
    this.eof = true;
    this.error = error;
    const onEnd = this.onEnd;
    this.onEnd = null;
    onEnd?.();
    return false;
  }

  /** Writes all of `bytes`; a single write in the usual case. */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.output !== null) {
      bytes = this.output.transform(bytes);
      if (bytes.length === 0) return;
    }
    let offset = await this.conn.write(bytes);
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
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

/**
 * Copies from one connection to another with two buffers taking turns: while
 * one chunk is being written, the next one is read. Used for bulk streams
 * (image exports, logs, exec and attach tunnels).
 */
export class Relay {
  #from: BufferedConn;
  #to: BufferedConn;
  #writing: Promise<void> | null = null;
  #spare: Uint8Array | null = null;

  constructor(from: BufferedConn, to: BufferedConn) {
    this.#from = from;
    this.#to = to;
  }

  /** Writes `from.buf[from.start, end)` and consumes it. */
  async send(end: number): Promise<void> {
    const from = this.#from;
    const data = from.buf.subarray(from.start, end);
    from.start = end;
    if (this.#writing !== null) await this.#writing; // the other buffer is free again
    const writing = this.#to.write(data);
    writing.catch(() => {}); // awaited on the next send or flush
    this.#writing = writing;
    if (from.start === from.end && !from.reading) {
      // The next read goes into the free buffer while this one is written.
      this.#spare = from.swap(this.#spare);
    } else {
      await this.flush(); // unread bytes remain in this buffer: no overlap this time
    }
  }

  /** Waits for the last write. */
  async flush(): Promise<void> {
    const writing = this.#writing;
    this.#writing = null;
    if (writing !== null) await writing;
  }
}
