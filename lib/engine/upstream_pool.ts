/**
 * Connections to the engine's unix socket, kept open between requests.
 *
 * Idle connections are reused last-in first-out (the warmest first) and closed
 * after a while. A reused connection may have been closed by the engine in the
 * meantime (a restart), so callers retry a request that is safe to replay once
 * on a fresh connection; `discardIdle` then drops the rest of the stale pool.
 *
 * `lib/engine/`: the proxy's own talk with the engine: the connection pool, small requests, the
 * event stream, health, who a client is, look-ups for scoping. Imports `lib/scoping/` and below.
 */
import { BufferedConn } from "../http/buffered_conn.ts";

export const UPSTREAM_BUFFER = 4 * 1024;

export class EngineUnavailableError extends Error {
  override name = "EngineUnavailableError";
}

/** The engine did not answer one of the proxy's own requests within the pool's `lookupTimeoutMs`. */
export class EngineTimeoutError extends Error {
  override name = "EngineTimeoutError";
}

export interface Upstream extends BufferedConn {
  /** When it was put back in the pool (for the idle sweep). */
  idleSince?: number;
}

export interface UpstreamPoolOptions {
  maxIdle?: number;
  idleTimeoutMs?: number;
  /** The deadline of the proxy's own requests to the engine (`engine_client.ts`), ms; 0: none. */
  lookupTimeoutMs?: number;
}

/** The longest deadline of the proxy's own requests: their answers are small. */
export const MAX_LOOKUP_TIMEOUT_MS = 30_000;

/** The deadline of the proxy's own requests: `ENGINE_TIMEOUT`, at most 30 s (also when it is 0, off). */
export function lookupTimeout(engineTimeoutMs: number): number {
  return engineTimeoutMs > 0
    ? Math.min(engineTimeoutMs, MAX_LOOKUP_TIMEOUT_MS)
    : MAX_LOOKUP_TIMEOUT_MS;
}

export class UpstreamPool {
  readonly socketPath: string;
  #idle: Upstream[] = [];
  #maxIdle: number;
  #idleTimeoutMs: number;
  /** The deadline of the proxy's own requests to the engine, ms; 0: none. */
  readonly lookupTimeoutMs: number;
  /** Connections open now, idle or in use. */
  open = 0;

  constructor(socketPath: string, options: UpstreamPoolOptions = {}) {
    this.socketPath = socketPath;
    this.#maxIdle = options.maxIdle ?? 128;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? MAX_LOOKUP_TIMEOUT_MS;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** An idle connection, or `null` when there is none. */
  takeIdle(): Upstream | null {
    return this.#idle.pop() ?? null;
  }

  /** A new connection; throws `EngineUnavailableError` when the socket does not answer. */
  async connect(): Promise<Upstream> {
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ transport: "unix", path: this.socketPath });
    } catch (error) {
      throw new EngineUnavailableError((error as Error).message);
    }
    this.open++;
    return new BufferedConn(conn, UPSTREAM_BUFFER);
  }

  /** Returns a connection after a complete exchange; the caller must not use it again. */
  release(upstream: Upstream, now: number): void {
    if (upstream.closed || upstream.eof || upstream.available !== 0 || upstream.reading) {
      this.destroy(upstream);
      return;
    }
    if (this.#idle.length >= this.#maxIdle) {
      this.destroy(upstream);
      return;
    }
    upstream.shrink();
    upstream.onEnd = null;
    upstream.idleSince = now;
    this.#idle.push(upstream);
  }

  destroy(upstream: Upstream): void {
    if (upstream.closed) return;
    upstream.close();
    this.open--;
  }

  /** Closes every idle connection (the engine went away, or shutdown). */
  discardIdle(): void {
    for (const upstream of this.#idle.splice(0)) this.destroy(upstream);
  }

  /** Closes connections idle for longer than the timeout. */
  sweep(now: number): void {
    const cutoff = now - this.#idleTimeoutMs;
    let keep = 0;
    for (const upstream of this.#idle) {
      if ((upstream.idleSince ?? now) < cutoff) this.destroy(upstream);
      else this.#idle[keep++] = upstream;
    }
    this.#idle.length = keep;
  }
}
