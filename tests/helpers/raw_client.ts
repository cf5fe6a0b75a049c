/** A raw TCP client for sending exact bytes to the proxy and reading what comes back. */

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  text: string;
}

import { concat } from "./bytes.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");

export class RawClient {
  readonly conn: Deno.TcpConn;
  #buf = new Uint8Array(0);
  #eof = false;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    for (let offset = 0; offset < bytes.length;) {
      offset += await this.conn.write(bytes.subarray(offset));
    }
  }

  /** Reads more bytes; false at EOF or on a reset. */
  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(64 * 1024);
    let n: number | null = null;
    try {
      n = await this.conn.read(chunk);
    } catch {
      n = null;
    }
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const joined = new Uint8Array(this.#buf.length + n);
    joined.set(this.#buf);
    joined.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = joined;
    return true;
  }

  #take(n: number): Uint8Array {
    const bytes = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return bytes;
  }

  /** Reads one response; `null` when the connection ends before a full head. */
  async readResponse(options: { head?: boolean } = {}): Promise<RawResponse | null> {
    let end: number;
    for (;;) {
      end = decoder.decode(this.#buf).indexOf("\r\n\r\n");
      if (end >= 0) break;
      if (!(await this.#more())) return null;
    }
    const headText = decoder.decode(this.#take(end + 4));
    const [statusLine, ...lines] = headText.slice(0, -4).split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(statusLine.split(" ")[1]);
    let body: Uint8Array = new Uint8Array(0);
    const noBody = options.head || status === 204 || status === 304 ||
      (status >= 100 && status < 200);
    if (noBody) {
      // Nothing follows the head.
    } else if (headers["transfer-encoding"] === "chunked") {
      const parts: Uint8Array[] = [];
      for (;;) {
        let lineEnd: number;
        while ((lineEnd = decoder.decode(this.#buf).indexOf("\r\n")) < 0) {
          if (!(await this.#more())) return null;
        }
        const size = parseInt(decoder.decode(this.#take(lineEnd + 2)), 16);
        while (this.#buf.length < size + 2) if (!(await this.#more())) return null;
        parts.push(this.#take(size));
        this.#take(2);
        if (size === 0) break;
      }
      body = concat(parts);
    } else if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      while (this.#buf.length < length) if (!(await this.#more())) return null;
      body = this.#take(length);
    } else {
      while (await this.#more()) { /* to EOF */ }
      body = this.#take(this.#buf.length);
    }
    return { status, headers, body, text: new TextDecoder().decode(body) };
  }

  /** Reads until the proxy closes; returns what arrived. */
  async readToEnd(): Promise<Uint8Array> {
    while (await this.#more()) { /* to EOF */ }
    return this.#take(this.#buf.length);
  }

  /** Whether the proxy closed the connection (reads to EOF, discarding). */
  async closedByPeer(): Promise<boolean> {
    await this.readToEnd();
    return this.#eof;
  }

  closeWrite(): void {
    this.conn.closeWrite();
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Closed.
    }
  }
}
