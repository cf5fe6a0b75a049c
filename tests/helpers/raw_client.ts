/** A raw TCP client for sending exact bytes to the proxy and reading what comes back. */

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  text: string;
}

import net from "node:net";
import { concat } from "./bytes.ts";

/** What the client needs of a connection (a `Deno.Conn`, or a node socket adapted). */
export interface ClientConn {
  read(buf: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): void | Promise<void>;
  close(): void;
}

/** A node socket as a `ClientConn`: how a test connects from another loopback address. */
class NodeConn implements ClientConn {
  #socket: net.Socket;
  #chunks: Uint8Array[] = [];
  #ended = false;
  #wake: (() => void) | null = null;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    const wake = () => {
      this.#wake?.();
      this.#wake = null;
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(new Uint8Array(chunk));
      wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      wake();
    });
    socket.on("error", () => {});
  }

  async read(buf: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const chunk = this.#chunks[0];
    const n = Math.min(chunk.length, buf.length);
    buf.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) =>
      this.#socket.write(bytes, (error) => error ? reject(error) : resolve(bytes.length))
    );
  }

  closeWrite(): void {
    this.#socket.end();
  }

  close(): void {
    this.#socket.destroy();
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");

export class RawClient {
  readonly conn: ClientConn;
  #buf = new Uint8Array(0);
  #eof = false;

  private constructor(conn: ClientConn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Connects from the loopback address `from` (such as 127.0.0.2): another client. */
  static connectFrom(from: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port, localAddress: from });
      socket.once("connect", () => resolve(new RawClient(new NodeConn(socket))));
      socket.once("error", reject);
    });
  }

  static async connectUnix(path: string): Promise<RawClient> {
    return new RawClient(await Deno.connect({ transport: "unix", path }));
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
