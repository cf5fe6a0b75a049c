/**
 * A recording fake engine: a unix-socket HTTP server that logs every request it
 * receives, byte for byte. Its parser is deliberately separate from the
 * proxy's (and lenient), so it shows what a real server would have read.
 *
 * Routes, by the `fake` query parameter, else by the last path segment
 * (`/events?fake=stream` and `/x/stream` are both `/stream`), so tests can
 * reach them on real Engine API routes:
 *   /_ping                     200 "OK"
 *   /stream                    200 chunked, one chunk, then stays open
 *   /hijack (with Upgrade)     101, then echoes; on EOF writes "bye" and half-closes
 *   /raw200                    200 raw-stream without framing, then echoes like /hijack
 *   /big?size=N                200 with N bytes (Content-Length)
 *   /hold                      like any other, once the test releases it (see `hold`)
 *   /chunked?size=N            200 chunked, N bytes in 16 KiB chunks
 *   anything else              200 JSON naming the method and target
 */

export interface RecordedRequest {
  /** Everything received for this request: head and body, as sent. */
  raw: Uint8Array;
  method: string;
  target: string;
  headers: [string, string][];
  body: Uint8Array;
}

import { concat } from "./bytes.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");

function indexOf(haystack: Uint8Array, needle: number[], from: number, to: number): number {
  outer: for (let i = from; i + needle.length <= to; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

class Reader {
  buf = new Uint8Array(64 * 1024);
  start = 0;
  end = 0;
  constructor(
    readonly conn: Deno.Conn,
    readonly onBytes: (n: number, bytes: Uint8Array) => void,
  ) {}
  async more(): Promise<boolean> {
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end === this.buf.length) {
      const grown = new Uint8Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    let n: number | null = null;
    try {
      n = await this.conn.read(this.buf.subarray(this.end));
    } catch {
      return false;
    }
    if (n === null) return false;
    this.onBytes(n, this.buf.subarray(this.end, this.end + n));
    this.end += n;
    return true;
  }
  /** Bytes up to and including `delimiter`, or null at EOF. */
  async until(delimiter: number[]): Promise<Uint8Array | null> {
    let from = this.start;
    for (;;) {
      const at = indexOf(this.buf, delimiter, from, this.end);
      if (at >= 0) {
        const bytes = this.buf.slice(this.start, at + delimiter.length);
        this.start = at + delimiter.length;
        return bytes;
      }
      from = Math.max(this.start, this.end - delimiter.length);
      const before = this.start;
      if (!(await this.more())) return null;
      from -= before - this.start;
    }
  }
  async exactly(n: number): Promise<Uint8Array | null> {
    while (this.end - this.start < n) if (!(await this.more())) return null;
    const bytes = this.buf.slice(this.start, this.start + n);
    this.start += n;
    return bytes;
  }
}

/** How the proxy's engine watchdog's probes begin: they are answered, not recorded. */
const PROBE = encoder.encode(
  "GET /version HTTP/1.1\r\nHost: docker\r\nUser-Agent: socket-proxy-watchdog",
);

function isProbe(bytes: Uint8Array): boolean {
  return bytes.length >= PROBE.length && PROBE.every((byte, i) => bytes[i] === byte);
}

export class FakeEngine {
  readonly path: string;
  readonly requests: RecordedRequest[] = [];
  /** The proxy's watchdog probes answered (kept out of `requests`, `received` and `open`). */
  probes = 0;
  /** Connections open now. */
  open = 0;
  /** Every byte received on any connection, complete request or not. */
  received = 0;
  /** `/stream` answers still open. */
  streams = 0;
  #listener: Deno.Listener;
  #conns = new Set<Deno.Conn>();
  #probeConns = new Set<Deno.Conn>();
  #waiters: (() => void)[] = [];
  #acceptor: Promise<void>;
  #tasks = new Set<Promise<void>>();
  #held: Promise<void> = Promise.resolve();
  #holds: (() => void)[] = [];
  #heldExact = new Set<string>();

  private constructor(path: string, listener: Deno.Listener) {
    this.path = path;
    this.#listener = listener;
    this.#acceptor = this.#accept();
  }

  /** Starts an engine on `path`, or on a new temporary socket. */
  static async start(path?: string, options: { plain?: boolean } = {}): Promise<FakeEngine> {
    path ??= `${await Deno.makeTempDir({ prefix: "sp-engine-" })}/engine.sock`;
    const engine = new FakeEngine(path, Deno.listen({ transport: "unix", path }));
    engine.plain = options.plain ?? false;
    return engine;
  }

  /** Answer every request with the plain JSON response, whatever its path. */
  plain = false;

  /**
   * Containers `GET /containers/json` lists (and `/events` then streams nothing
   * until closed), for clients identified by their container; `null`: neither.
   */
  containers: unknown[] | null = null;

  /** JSON answers by path (without the query): `{"/networks/abc": {...}}`. */
  answers: Record<string, unknown> = {};

  /** Stops accepting and closes every connection; resolves when all are done. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Closed.
    }
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Closed.
      }
    }
    for (const release of this.#holds.splice(0)) release();
    await Promise.all([this.#acceptor, ...this.#tasks]);
  }

  /**
   * Makes requests to `/hold` wait until the returned function is called; with
   * `exact`, requests to that path (without the query) too.
   */
  hold(exact?: string): () => void {
    let release!: () => void;
    const held = new Promise<void>((resolve) => release = resolve);
    this.#held = held;
    if (exact !== undefined) this.#heldExact.add(exact);
    this.#holds.push(release);
    return release;
  }

  /** Resolves once `predicate` holds (checked after every recorded request and closed connection). */
  async until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error("FakeEngine: condition not reached in time");
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  #notify(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      this.#conns.add(conn);
      this.open++;
      const task = this.#serve(conn).catch(() => {}).finally(() => {
        this.#conns.delete(conn);
        this.#tasks.delete(task);
        if (!this.#probeConns.delete(conn)) this.open--;
        try {
          conn.close();
        } catch {
          // Closed.
        }
        this.#notify();
      });
      this.#tasks.add(task);
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    // A connection that begins with the watchdog's probe is the proxy's own, not a client's.
    let probe: boolean | null = null;
    const reader = new Reader(conn, (n, bytes) => {
      if (probe === null) {
        probe = isProbe(bytes);
        if (probe) {
          this.#probeConns.add(conn);
          this.open--;
        }
      }
      if (!probe) this.received += n;
    });
    for (;;) {
      const head = await reader.until([13, 10, 13, 10]);
      if (head === null) return;
      const text = decoder.decode(head);
      const [requestLine, ...lines] = text.slice(0, -4).split("\r\n");
      const [method, target] = requestLine.split(" ");
      const headers = lines.map((line): [string, string] => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      });
      const header = (name: string) => headers.find(([n]) => n === name)?.[1];
      const parts: Uint8Array[] = [head];
      let body: Uint8Array = new Uint8Array(0);
      if (header("transfer-encoding")?.toLowerCase() === "chunked") {
        const chunks: Uint8Array[] = [];
        for (;;) {
          const sizeLine = await reader.until([13, 10]);
          if (sizeLine === null) return;
          parts.push(sizeLine);
          const size = parseInt(decoder.decode(sizeLine), 16);
          if (size === 0) {
            const end = await reader.until([13, 10]);
            if (end === null) return;
            parts.push(end);
            break;
          }
          const data = await reader.exactly(size + 2);
          if (data === null) return;
          parts.push(data);
          chunks.push(data.subarray(0, size));
        }
        body = concat(chunks);
      } else if (header("content-length") !== undefined) {
        const data = await reader.exactly(Number(header("content-length")));
        if (data === null) return;
        parts.push(data);
        body = data;
      }
      if (probe) this.probes++;
      else this.requests.push({ raw: concat(parts), method, target, headers, body });
      this.#notify();
      if (!(await this.#respond(conn, reader, method, target, header))) return;
    }
  }

  /** Writes the response; returns whether the connection stays open for more requests. */
  async #respond(
    conn: Deno.Conn,
    reader: Reader,
    method: string,
    target: string,
    header: (name: string) => string | undefined,
  ): Promise<boolean> {
    // Routes match on `fake=` or the last path segment, so any allowed route can reach them.
    const query = new URLSearchParams(target.split("?")[1] ?? "");
    const fake = query.get("fake");
    const last = "/" + target.split("?")[0].split("/").pop();
    const path = this.plain ? "" : fake !== null ? "/" + fake : last;
    const size = Number(query.get("size") ?? "0");
    const write = async (text: string | Uint8Array) => {
      const bytes = typeof text === "string" ? encoder.encode(text) : text;
      for (let offset = 0; offset < bytes.length;) {
        offset += await conn.write(bytes.subarray(offset));
      }
    };
    const exact = target.split("?")[0];
    if (this.#heldExact.has(exact)) await this.#held;
    if (Object.hasOwn(this.answers, exact)) {
      const body = JSON.stringify(this.answers[exact]);
      await write(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return true;
    }
    if (this.containers !== null && last === "/json" && target.includes("/containers/json")) {
      const body = JSON.stringify(this.containers);
      await write(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return true;
    }
    if (this.containers !== null && last === "/events" && fake === null) {
      await write(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      );
      while (await reader.more()) reader.start = reader.end;
      return false;
    }
    if (path === "/hold") await this.#held;
    if (path === "/hijack" && header("upgrade")) {
      await write(
        "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n" +
          `Connection: Upgrade\r\nUpgrade: ${header("upgrade")}\r\n\r\nhello`,
      );
      await echo(conn, reader, write);
      return false;
    }
    if (path === "/raw200") {
      await write("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n");
      await echo(conn, reader, write);
      return false;
    }
    if (path === "/stream") {
      await write(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      );
      await write('f\r\n{"event":"one"}\r\n');
      // Stay open until the proxy closes the connection.
      this.streams++;
      try {
        while (await reader.more()) reader.start = reader.end;
      } finally {
        this.streams--;
        this.#notify();
      }
      return false;
    }
    if (path === "/big" || path === "/chunked") {
      const chunk = new Uint8Array(16 * 1024).fill(120);
      if (path === "/big") {
        await write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
        for (let left = size; left > 0; left -= chunk.length) {
          await write(left >= chunk.length ? chunk : chunk.subarray(0, left));
        }
      } else {
        await write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (let left = size; left > 0; left -= chunk.length) {
          const n = Math.min(left, chunk.length);
          await write(n.toString(16) + "\r\n");
          await write(chunk.subarray(0, n));
          await write("\r\n");
        }
        await write("0\r\n\r\n");
      }
      return true;
    }
    const body = path === "/_ping" ? "OK" : JSON.stringify({ method, target });
    await write(
      `HTTP/1.1 200 OK\r\nContent-Type: ${
        path === "/_ping" ? "text/plain" : "application/json"
      }\r\n` +
        `Content-Length: ${method === "HEAD" ? 0 : body.length}\r\n\r\n${
          method === "HEAD" ? "" : body
        }`,
    );
    return true;
  }
}

async function echo(
  conn: Deno.Conn,
  reader: Reader,
  write: (bytes: Uint8Array | string) => Promise<void>,
): Promise<void> {
  if (reader.end > reader.start) {
    await write(reader.buf.slice(reader.start, reader.end));
    reader.start = reader.end;
  }
  for (;;) {
    const buf = new Uint8Array(64 * 1024);
    let n: number | null = null;
    try {
      n = await conn.read(buf);
    } catch {
      return;
    }
    if (n === null) break;
    await write(buf.subarray(0, n));
  }
  await write("bye");
  conn.closeWrite();
}
