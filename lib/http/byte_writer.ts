/** A growable byte buffer for assembling one write: heads, chunk frames, small bodies. */
export class ByteWriter {
  buf: Uint8Array;
  length = 0;
  #encoder = new TextEncoder();

  constructor(size = 1024) {
    this.buf = new Uint8Array(size);
  }

  reset(): void {
    this.length = 0;
  }

  /** Makes room for `extra` more bytes. */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }

  /** Appends ASCII text (the caller guarantees every char is below 0x80). */
  ascii(text: string): void {
    this.reserve(text.length);
    this.#encoder.encodeInto(text, this.buf.subarray(this.length));
    this.length += text.length;
  }

  bytes(source: Uint8Array, start = 0, end = source.length): void {
    this.reserve(end - start);
    this.buf.set(source.subarray(start, end), this.length);
    this.length += end - start;
  }

  /** The bytes written so far (a view; valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
