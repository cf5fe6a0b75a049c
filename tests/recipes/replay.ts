/**
 * Replays an app's Engine API calls through the proxy configured by one of
 * the recipes in `examples/`: a raw HTTP/1.1 client (over TCP or a unix
 * socket) that sends exactly the request line, fields and body an app sends
 * (autoheal's unencoded JSON, Portainer's empty `Host`, hijacked upgrades),
 * the proxy started from a recipe file, fixtures on the private engine, and
 * the checks every replay makes.
 */
import assert from "node:assert/strict";
import {
  engineSocket,
  type ProxyProcess,
  startProxyProcess,
  testImage,
} from "../helpers/proxy_process.ts";

export { engineSocket, testImage };

export const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

/** Where a client reaches the proxy (or the engine). */
export type Endpoint =
  | { transport: "tcp"; port: number }
  | { transport: "unix"; path: string };

export interface Answer {
  status: number;
  headers: Headers;
  body: Uint8Array;
  text: string;
}

/** The JSON body of an answer; fails with the answer when it is not JSON. */
// deno-lint-ignore no-explicit-any
export function json(answer: Answer): any {
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new Error(`Not JSON (${answer.status}): ${answer.text.slice(0, 300)}`);
  }
}

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

/** A connection with a read buffer: heads, framed bodies, and what follows an upgrade. */
class HttpConn {
  #conn: Deno.Conn;
  #buf = new Uint8Array(0);
  #eof = false;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  static async open(endpoint: Endpoint): Promise<HttpConn> {
    return new HttpConn(
      endpoint.transport === "tcp"
        ? await Deno.connect({ hostname: "127.0.0.1", port: endpoint.port })
        : await Deno.connect({ transport: "unix", path: endpoint.path }),
    );
  }

  async write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    for (let offset = 0; offset < bytes.length;) {
      offset += await this.#conn.write(bytes.subarray(offset));
    }
  }

  /** Reads more bytes into the buffer; false at EOF (or when the connection was closed). */
  async fill(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(64 * 1024);
    let n: number | null;
    try {
      n = await this.#conn.read(chunk);
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

  take(n = this.#buf.length): Uint8Array {
    const bytes = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return bytes;
  }

  get buffered(): number {
    return this.#buf.length;
  }

  indexOf(text: string): number {
    return latin1.decode(this.#buf).indexOf(text);
  }

  async readHead(): Promise<{ status: number; headers: Headers }> {
    let end: number;
    while ((end = this.indexOf("\r\n\r\n")) < 0) {
      if (!(await this.fill())) {
        throw new Error(
          `The connection closed before a response head: ${latin1.decode(this.#buf)}`,
        );
      }
    }
    const [statusLine, ...lines] = latin1.decode(this.take(end + 4)).slice(0, -4).split("\r\n");
    const headers = new Headers();
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    return { status: Number(statusLine.split(" ")[1]), headers };
  }

  /** The body's pieces as they arrive, de-chunked; ends with the body. */
  async *body(headers: Headers, status: number, method: string): AsyncGenerator<Uint8Array> {
    if (method === "HEAD" || status === 204 || status === 304 || status < 200) return;
    if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
      for (;;) {
        let lineEnd: number;
        while ((lineEnd = this.indexOf("\r\n")) < 0) {
          if (!(await this.fill())) throw new Error("The connection closed inside a chunked body");
        }
        const size = parseInt(latin1.decode(this.take(lineEnd + 2)), 16);
        while (this.#buf.length < size + 2) {
          if (!(await this.fill())) throw new Error("The connection closed inside a chunk");
        }
        const data = this.take(size);
        this.take(2);
        if (size === 0) return;
        yield data;
      }
    }
    const length = headers.get("content-length");
    if (length !== null) {
      let left = Number(length);
      while (left > 0) {
        if (this.#buf.length === 0 && !(await this.fill())) {
          throw new Error("The connection closed inside a body");
        }
        const data = this.take(Math.min(left, this.#buf.length));
        left -= data.length;
        yield data;
      }
      return;
    }
    for (;;) {
      if (this.#buf.length > 0) yield this.take();
      if (!(await this.fill())) return;
    }
  }

  closeWrite(): Promise<void> {
    return this.#conn.closeWrite();
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}

export interface RequestOptions {
  /** Fields in order, repeated names allowed (`Accept` three times, as Go's clients send it). */
  headers?: [string, string][];
  /** A JSON value (sent with `Content-Type: application/json`), or the exact bytes. */
  body?: unknown;
  /** Leave out `Content-Type` for a JSON body (some clients send none). */
  noContentType?: boolean;
}

function requestBytes(
  method: string,
  target: string,
  host: string | null,
  options: RequestOptions,
): Uint8Array {
  let head = `${method} ${target} HTTP/1.1\r\n`;
  if (host !== null) head += `Host: ${host}\r\n`;
  for (const [name, value] of options.headers ?? []) head += `${name}: ${value}\r\n`;
  let body: Uint8Array | null = null;
  if (options.body !== undefined) {
    if (options.body instanceof Uint8Array) body = options.body;
    else if (typeof options.body === "string") body = encoder.encode(options.body);
    else {
      body = encoder.encode(JSON.stringify(options.body));
      if (!options.noContentType) head += "Content-Type: application/json\r\n";
    }
    head += `Content-Length: ${body.length}\r\n`;
  }
  const bytes = encoder.encode(head + "\r\n");
  if (body === null) return bytes;
  const all = new Uint8Array(bytes.length + body.length);
  all.set(bytes);
  all.set(body, bytes.length);
  return all;
}

/** A response whose body is still arriving: an event stream, `logs?follow=1`, stats. */
export class Stream {
  #conn: HttpConn;
  #pieces: AsyncGenerator<Uint8Array>;
  /** Everything received so far. */
  bytes: Uint8Array = new Uint8Array(0);
  ended = false;

  constructor(
    conn: HttpConn,
    readonly status: number,
    readonly headers: Headers,
    pieces: AsyncGenerator<Uint8Array>,
  ) {
    this.#conn = conn;
    this.#pieces = pieces;
  }

  get text(): string {
    return utf8.decode(this.bytes);
  }

  /** The JSON lines received so far (events, stats). */
  // deno-lint-ignore no-explicit-any
  get jsonLines(): any[] {
    return this.text.split("\n").filter((line) => line.trim() !== "").flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return []; // A line still arriving.
      }
    });
  }

  /** Reads until `done` holds, failing after `timeoutMs` with what arrived. */
  async until(done: (stream: Stream) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (done(this)) return;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.#conn.close();
    }, timeoutMs);
    try {
      for (;;) {
        const next = await this.#pieces.next().catch(() => null);
        if (next === null || next.done) {
          this.ended = true;
          break;
        }
        const piece: Uint8Array = next.value;
        const joined = new Uint8Array(this.bytes.length + piece.length);
        joined.set(this.bytes);
        joined.set(piece, this.bytes.length);
        this.bytes = joined;
        if (done(this)) return;
      }
    } finally {
      clearTimeout(timer);
    }
    throw new Error(
      `${timedOut ? `No ${what} within ${timeoutMs} ms` : `The stream ended before ${what}`}; ` +
        `got (${this.status}): ${this.text.slice(-2000)}`,
    );
  }

  close(): void {
    this.#conn.close();
  }
}

/** A connection the engine switched to a raw stream (101): `docker exec` and `attach`. */
export class Tunnel {
  #conn: HttpConn;
  received: Uint8Array = new Uint8Array(0);

  constructor(conn: HttpConn, readonly status: number, readonly headers: Headers) {
    this.#conn = conn;
    if (conn.buffered > 0) this.received = conn.take();
  }

  get text(): string {
    return utf8.decode(this.received);
  }

  write(text: string): Promise<void> {
    return this.#conn.write(text);
  }

  async until(done: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.#conn.close();
    }, timeoutMs);
    try {
      while (!done(this.text)) {
        if (!(await this.#conn.fill())) {
          throw new Error(
            `${
              timedOut ? `No ${what} within ${timeoutMs} ms` : `The tunnel closed before ${what}`
            }` +
              `; got: ${this.text}`,
          );
        }
        this.received = new Uint8Array([...this.received, ...this.#conn.take()]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#conn.close();
  }
}

/**
 * An app's HTTP client: requests as exact bytes, each on a connection of its
 * own. `host` is the `Host` field the app sends (`null`: none at all).
 */
export class Api {
  constructor(readonly endpoint: Endpoint, readonly host: string | null) {}

  async request(method: string, target: string, options: RequestOptions = {}): Promise<Answer> {
    const conn = await HttpConn.open(this.endpoint);
    try {
      await conn.write(requestBytes(method, target, this.host, options));
      const { status, headers } = await conn.readHead();
      const parts: Uint8Array[] = [];
      for await (const part of conn.body(headers, status, method)) parts.push(part);
      const body = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
      let offset = 0;
      for (const part of parts) {
        body.set(part, offset);
        offset += part.length;
      }
      return { status, headers, body, text: utf8.decode(body) };
    } finally {
      conn.close();
    }
  }

  get(target: string, options: RequestOptions = {}): Promise<Answer> {
    return this.request("GET", target, options);
  }

  post(target: string, body?: unknown, options: RequestOptions = {}): Promise<Answer> {
    return this.request("POST", target, { ...options, body });
  }

  /** Starts a request whose answer is a stream; read it with `until`, then `close` it. */
  async stream(method: string, target: string, options: RequestOptions = {}): Promise<Stream> {
    const conn = await HttpConn.open(this.endpoint);
    await conn.write(requestBytes(method, target, this.host, options));
    const { status, headers } = await conn.readHead();
    return new Stream(conn, status, headers, conn.body(headers, status, method));
  }

  /** Sends a request asking for an upgrade; a 101 answer becomes a tunnel. */
  async upgrade(method: string, target: string, options: RequestOptions = {}): Promise<Tunnel> {
    const conn = await HttpConn.open(this.endpoint);
    await conn.write(requestBytes(method, target, this.host, options));
    const { status, headers } = await conn.readHead();
    if (status !== 101) {
      const parts: Uint8Array[] = [];
      for await (const part of conn.body(headers, status, method)) parts.push(part);
      conn.close();
      throw new Error(
        `${method} ${target}: ${status} instead of 101: ${
          utf8.decode(new Uint8Array(parts.flatMap((p) => [...p])))
        }`,
      );
    }
    return new Tunnel(conn, status, headers);
  }
}

/** The engine itself (for fixtures and checks), bypassing the proxy. */
export function engineApi(): Api {
  return new Api({ transport: "unix", path: engineSocket() }, "docker");
}

// ---------------------------------------------------------------------------
// Answers

const REFUSED = /^Forbidden by socket-proxy: /;

/** A refusal by the proxy: 403 with Docker's error body naming why. */
export function assertRefused(answer: Answer, because?: RegExp): void {
  assert.equal(answer.status, 403, `want the proxy's 403, got ${answer.status}: ${answer.text}`);
  const message = json(answer).message as string;
  assert.match(message, REFUSED);
  if (because) assert.match(message, because);
}

/** An answer of the engine's own (the proxy let the request through), with `status`. */
export function assertEngine(answer: Answer, status: number | number[], what = ""): void {
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(
    statuses.includes(answer.status),
    `${what} want ${statuses.join(" or ")} from the engine, got ${answer.status}: ${
      answer.text.slice(0, 500)
    }`,
  );
  if (answer.status >= 400 && answer.text.trim().startsWith("{")) {
    assert.doesNotMatch(json(answer).message ?? "", REFUSED, what);
  }
}

/** A container the proxy hides from this client: the engine's own "No such container" 404. */
export function assertHidden(answer: Answer, name: string): void {
  assert.equal(answer.status, 404, `want 404 for a hidden container, got ${answer.status}`);
  assert.match(json(answer).message, new RegExp(`No such container: ${name}`));
}

/** The engine's answer when it is no swarm manager: the proxy forwarded the request. */
export function assertNotSwarmManager(answer: Answer): void {
  assert.equal(answer.status, 503, `want the engine's 503, got ${answer.status}: ${answer.text}`);
  assert.match(json(answer).message, /not a swarm manager/);
}

/** The API version a moby client settles on: `min(Api-Version, clientMax)` (`clientMax` without it). */
export function negotiated(ping: Answer, clientMax: string): string {
  const server = ping.headers.get("api-version");
  if (server === null) return clientMax;
  const [a, b] = [server, clientMax].map((v) => v.split(".").map(Number));
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]) ? server : clientMax;
}

/** The Accept fields moby's clients send on `/events`, in their order. */
export const EVENTS_ACCEPT: [string, string][] = [
  ["Accept", "application/jsonl"],
  ["Accept", "application/x-ndjson;q=0.9"],
  ["Accept", "application/json-seq;q=0.5"],
];

/** Go's `url.QueryEscape` for the characters the apps' values hold (JSON, references). */
export function queryEscape(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/** The frames of a Docker multiplexed stream (`logs` without a TTY): stream number and text. */
export function demultiplex(bytes: Uint8Array): { stream: number; text: string }[] {
  const frames: { stream: number; text: string }[] = [];
  for (let at = 0; at + 8 <= bytes.length;) {
    const size = new DataView(bytes.buffer, bytes.byteOffset + at + 4, 4).getUint32(0);
    if (at + 8 + size > bytes.length) break;
    frames.push({ stream: bytes[at], text: utf8.decode(bytes.subarray(at + 8, at + 8 + size)) });
    at += 8 + size;
  }
  return frames;
}

// ---------------------------------------------------------------------------
// The engine: fixtures

/** `docker` against the private engine; resolves with stdout, throws with stderr. */
export async function docker(...args: string[]): Promise<string> {
  const output = await new Deno.Command("docker", {
    args: ["-H", `unix://${engineSocket()}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`docker ${args.join(" ")}: ${utf8.decode(output.stderr).trim()}`);
  }
  return utf8.decode(output.stdout).trim();
}

export interface FixtureOptions {
  labels?: Record<string, string>;
  env?: string[];
  /** Extra `docker run` arguments (health checks, bind mounts). */
  args?: string[];
  image?: string;
  /** The command; by default a shell that prints a line a second and exits on SIGTERM. */
  command?: string[];
  /** Create only, do not start. */
  created?: boolean;
}

/** A shell loop that logs a line a second and exits at once on SIGTERM (sleep as PID 1 would not). */
export const TICKER = [
  "sh",
  "-c",
  'trap "exit 0" TERM; i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 1; done',
];

/** Runs a busybox container with no network; resolves with its full ID. */
export async function fixture(name: string, options: FixtureOptions = {}): Promise<string> {
  const args = [options.created ? "create" : "run", ...(options.created ? [] : ["-d"])];
  args.push("--network", "none", "--name", name);
  for (const [key, value] of Object.entries(options.labels ?? {})) {
    args.push("-l", `${key}=${value}`);
  }
  for (const env of options.env ?? []) args.push("-e", env);
  args.push(...(options.args ?? []), options.image ?? testImage(), ...(options.command ?? TICKER));
  return await docker(...args);
}

/** Removes containers (and images) a replay made, ignoring those already gone. */
export async function removeAll(containers: string[], images: string[] = []): Promise<void> {
  if (containers.length > 0) await docker("rm", "-f", ...containers).catch(() => {});
  if (images.length > 0) await docker("rmi", "-f", ...images).catch(() => {});
}

/** Polls `check` (a condition on the engine) until it holds; fails after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Not ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A short random suffix for fixture names. */
export function uniqueId(): string {
  return crypto.randomUUID().slice(0, 8);
}

// ---------------------------------------------------------------------------
// The proxy, configured by a recipe

export interface RecipeProxy {
  process: ProxyProcess;
  endpoint: Endpoint;
  stop(): Promise<void>;
}

/** Reads a recipe's env file (`KEY=VALUE` lines, `#` comments). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const equals = line.indexOf("=");
    assert.ok(equals > 0, `Not KEY=VALUE: ${raw}`);
    env[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return env;
}

/** Replaces each key of `substitutions` in `text`, failing when one is not there. */
export function substitute(text: string, substitutions: Record<string, string>): string {
  for (const [from, to] of Object.entries(substitutions)) {
    assert.ok(text.includes(from), `The recipe no longer holds ${JSON.stringify(from)}`);
    text = text.replaceAll(from, to);
  }
  return text;
}

function started(process: ProxyProcess, dir: string | null = null): RecipeProxy {
  return {
    process,
    endpoint: { transport: "tcp", port: process.port },
    async stop() {
      const status = await process.stop();
      if (dir !== null) await Deno.remove(dir, { recursive: true });
      assert.equal(status.code, 0, process.lines.join("\n"));
    },
  };
}

/** The proxy with the policy file `examples/<file>` (paths in it replaced by `substitutions`). */
export async function startPolicyRecipe(
  file: string,
  options: {
    substitutions?: Record<string, string>;
    listen?: string;
    /** Settings besides the policy file (API_VERSION_FLOOR). */
    env?: Record<string, string>;
  } = {},
): Promise<RecipeProxy> {
  const text = substitute(await Deno.readTextFile(EXAMPLES + file), options.substitutions ?? {});
  const dir = await Deno.makeTempDir({ prefix: "sp-recipe-" });
  const policy = `${dir}/policy.yaml`;
  await Deno.writeTextFile(policy, text);
  const process = await startProxyProcess({
    ...options.env,
    SOCKET_PATH: engineSocket(),
    POLICY_FILE: policy,
    LISTEN: options.listen ?? "127.0.0.1:0",
  });
  return started(process, dir);
}

/** The proxy configured by the env file `examples/<file>` (values replaced by `substitutions`). */
export async function startEnvRecipe(
  file: string,
  options: { substitutions?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<RecipeProxy> {
  const text = substitute(await Deno.readTextFile(EXAMPLES + file), options.substitutions ?? {});
  const process = await startProxyProcess({
    ...parseEnvFile(text),
    ...options.env,
    SOCKET_PATH: engineSocket(),
    LISTEN: "127.0.0.1:0",
  });
  return started(process);
}

/**
 * The `Host` an app sends: `socket-proxy:2375` over TCP (`tcp://socket-proxy:2375`), or
 * what its client library puts there for a unix socket.
 */
export function hostFor(endpoint: Endpoint, unixHost: string | null): string | null {
  return endpoint.transport === "tcp" ? "socket-proxy:2375" : unixHost;
}

/** Which recipe a replay runs against: the refusals it can check differ. */
export type Variant = "policy" | "env";

/** A recipe's replay: fixtures, the app's calls, and cleanup. */
export interface Replay {
  /** For test names: "Traefik (docker provider)". */
  readonly app: string;
  /** Text to replace in the recipe first, such as a bind mount path the fixtures can use. */
  substitutions?(): Promise<Record<string, string>>;
  /** Runs the app's calls through the proxy at `endpoint` configured by the `variant` recipe. */
  run(endpoint: Endpoint, variant: Variant): Promise<void>;
}

/** Runs `replay` through a proxy `start` starts, stopping it afterwards. */
export async function replayThrough(
  replay: Replay,
  variant: Variant,
  start: () => Promise<RecipeProxy>,
): Promise<void> {
  const proxy = await start();
  try {
    await replay.run(proxy.endpoint, variant);
  } catch (error) {
    const log = proxy.process.lines.filter((line) => /warning|err/.test(line)).slice(-20);
    (error as Error).message += `\nproxy log (warnings):\n${log.join("\n")}`;
    throw error;
  } finally {
    await proxy.stop();
  }
}

/** Runs `replay` through a proxy configured by the recipe file `examples/<file>`. */
export async function replayRecipe(replay: Replay, variant: Variant, file: string): Promise<void> {
  const substitutions = (await replay.substitutions?.()) ?? {};
  await replayThrough(
    replay,
    variant,
    () =>
      variant === "policy"
        ? startPolicyRecipe(file, { substitutions })
        : startEnvRecipe(file, { substitutions }),
  );
}
