/**
 * The proxy's own requests to the engine: looking up client containers,
 * targets of rules on labels, and what a scoped client may see. Small JSON
 * answers are read whole; `/events` is read line by line. These requests are
 * the proxy's, not a client's: they are never subject to the policy. A small
 * request has the pool's `lookupTimeoutMs` to be answered whole; past it, its
 * connection is closed and it fails with `EngineTimeoutError`.
 */
import type { BufferedConn } from "../http/buffered_conn.ts";
import { ChunkedDecoder } from "../http/chunked.ts";
import { HeadScanner, HttpError, parseResponseHead } from "../http/http_head.ts";
import { after } from "../timer.ts";
import {
  EngineTimeoutError,
  MAX_LOOKUP_TIMEOUT_MS,
  type Upstream,
  type UpstreamPool,
} from "./upstream_pool.ts";

export interface EngineAnswer {
  status: number;
  body: Uint8Array;
}

const LIMITS = { maxRequestLine: 8192, maxHeaderBytes: 64 * 1024, maxHeaderCount: 500 };
const MAX_ANSWER = 64 * 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function requestBytes(method: string, path: string, body?: Uint8Array): Uint8Array {
  const head = `${method} ${path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: socket-proxy\r\n` +
    (body ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` : "") +
    "\r\n";
  if (!body) return encoder.encode(head);
  const bytes = new Uint8Array(head.length + body.length);
  encoder.encodeInto(head, bytes);
  bytes.set(body, head.length);
  return bytes;
}

/** Reads a response head from `conn`; returns the parsed head, with `conn.start` past it. */
async function readHead(conn: BufferedConn) {
  const scanner = new HeadScanner();
  scanner.reset(conn.start);
  for (;;) {
    const end = scanner.scan(conn.buf, conn.end, LIMITS);
    if (end >= 0) {
      const head = parseResponseHead(conn.buf, conn.start, end);
      conn.start = end;
      if (head.status >= 100 && head.status < 200) {
        scanner.reset(conn.start);
        continue;
      }
      return head;
    }
    if (conn.end === conn.buf.length && conn.start > 0) scanner.shift(conn.compact());
    if (!(await conn.fill())) throw new HttpError(502, "The engine closed the connection");
  }
}

/** A request's connection, once it has one, and whether its deadline has passed. */
interface Exchange {
  conn: Upstream | null;
  expired: boolean;
}

/**
 * Sends one request and reads the whole answer, within the pool's
 * `lookupTimeoutMs` (connecting included): past it, the connection is closed
 * (never reused) and the request fails with `EngineTimeoutError`.
 */
export function engineRequest(
  pool: UpstreamPool,
  method: string,
  path: string,
  body?: Uint8Array,
): Promise<EngineAnswer> {
  const exchange: Exchange = { conn: null, expired: false };
  const answer = send(pool, method, path, body, exchange);
  const timeoutMs = pool.lookupTimeoutMs;
  if (timeoutMs <= 0) return answer;
  return new Promise((resolve, reject) => {
    const cancel = after(timeoutMs, () => {
      exchange.expired = true;
      if (exchange.conn !== null) pool.destroy(exchange.conn);
      reject(
        new EngineTimeoutError(
          `the engine did not answer socket-proxy's own ${method} ${path} within ` +
            `${timeoutMs / 1000}s (ENGINE_TIMEOUT, at most ${
              MAX_LOOKUP_TIMEOUT_MS / 1000
            }s for these)`,
        ),
      );
    });
    answer.then((value) => {
      cancel();
      resolve(value);
    }, (error) => {
      cancel();
      reject(error);
    });
  });
}

async function send(
  pool: UpstreamPool,
  method: string,
  path: string,
  body: Uint8Array | undefined,
  exchange: Exchange,
): Promise<EngineAnswer> {
  const conn = pool.takeIdle() ?? await pool.connect();
  exchange.conn = conn;
  let reusable = false;
  try {
    if (exchange.expired) throw new EngineTimeoutError("expired while connecting");
    await conn.write(requestBytes(method, path, body));
    const head = await readHead(conn);
    const chunks: Uint8Array[] = [];
    let total = 0;
    const keep = (bytes: Uint8Array) => {
      total += bytes.length;
      if (total > MAX_ANSWER) throw new HttpError(502, "The engine's answer is too large");
      chunks.push(bytes.slice());
    };
    if (method === "HEAD" || head.status === 204 || head.status === 304) {
      // No body.
    } else if (head.chunked) {
      const chunked = new ChunkedDecoder(502);
      for (;;) {
        conn.start = chunked.feed(conn.buf, conn.start, conn.end, (buf, start, end) => {
          keep(buf.subarray(start, end));
        });
        if (chunked.done) break;
        conn.reset();
        if (!(await conn.fill())) throw new HttpError(502, "The engine closed the connection");
      }
    } else if (head.contentLength >= 0) {
      let left = head.contentLength;
      for (;;) {
        const take = Math.min(left, conn.available);
        keep(conn.buf.subarray(conn.start, conn.start + take));
        conn.start += take;
        left -= take;
        if (left === 0) break;
        conn.reset();
        if (!(await conn.fill())) throw new HttpError(502, "The engine closed the connection");
      }
    } else {
      for (;;) {
        keep(conn.buf.subarray(conn.start, conn.end));
        conn.start = conn.end;
        conn.reset();
        if (!(await conn.fill())) break;
      }
    }
    reusable = !head.close && (head.chunked || head.contentLength >= 0 || method === "HEAD");
    const answer = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      answer.set(chunk, at);
      at += chunk.length;
    }
    return { status: head.status, body: answer };
  } finally {
    if (reusable && !exchange.expired) pool.release(conn, Date.now());
    else pool.destroy(conn);
  }
}

/** `GET path` as JSON; `null` for a 404; throws for any other failure. */
export async function engineJson<T>(pool: UpstreamPool, path: string): Promise<T | null> {
  const answer = await engineRequest(pool, "GET", path);
  if (answer.status === 404) return null;
  if (answer.status !== 200) {
    throw new Error(`The engine answered ${answer.status} to GET ${path}`);
  }
  return JSON.parse(decoder.decode(answer.body)) as T;
}

/**
 * Follows a JSON-lines stream (`/events`), calling `onLine` for each line.
 * Resolves when the stream ends (the engine closed it, or `signal` aborted).
 */
export async function engineLines(
  pool: UpstreamPool,
  path: string,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const conn = await pool.connect();
  const abort = () => pool.destroy(conn);
  signal.addEventListener("abort", abort, { once: true });
  try {
    await conn.write(requestBytes("GET", path));
    const head = await readHead(conn);
    if (head.status !== 200) throw new Error(`The engine answered ${head.status} to GET ${path}`);
    let line = "";
    const text = (bytes: Uint8Array) => {
      line += decoder.decode(bytes, { stream: true });
      let newline;
      while ((newline = line.indexOf("\n")) >= 0) {
        const one = line.slice(0, newline).trim();
        line = line.slice(newline + 1);
        if (one !== "") onLine(one);
      }
    };
    const chunked = head.chunked ? new ChunkedDecoder(502) : null;
    for (;;) {
      if (chunked !== null) {
        conn.start = chunked.feed(conn.buf, conn.start, conn.end, (buf, start, end) => {
          text(buf.subarray(start, end));
        });
        if (chunked.done) return;
      } else {
        text(conn.buf.subarray(conn.start, conn.end));
        conn.start = conn.end;
      }
      conn.reset();
      if (!(await conn.fill())) return;
    }
  } finally {
    signal.removeEventListener("abort", abort);
    pool.destroy(conn);
  }
}
