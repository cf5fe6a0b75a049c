/**
 * The engine watchdog: asks the engine a real API call (`GET /version`, which
 * the daemon answers itself, unlike `/_ping`) every few seconds on a fresh
 * connection, with a short deadline. Its verdict is the proxy's readiness
 * (`/readyz`, `healthcheck --ready`) and the `socket_proxy_engine_up` gauge;
 * while the engine is down, clients are answered 502 at once instead of
 * queueing on an engine that does not answer. It asks every second while the
 * engine is down, so that a restarted engine is used again within a second.
 */
import type { Logger } from "../log/log.ts";
import { after } from "../timer.ts";
import {
  type EngineState,
  nextEngineState,
  PROBE_CALL,
  type ProbeResult,
  probeVerdict,
  type Readiness,
  readiness,
  UNKNOWN,
} from "./engine_state.ts";
import type { UpstreamPool } from "./upstream_pool.ts";

export type { Readiness };

/** The request; its user agent tells it apart from clients' requests in the engine's logs. */
const PROBE = new TextEncoder().encode(
  "GET /version HTTP/1.1\r\nHost: docker\r\nUser-Agent: socket-proxy-watchdog\r\n" +
    "Connection: close\r\n\r\n",
);

export interface WatchdogOptions {
  /** Between probes while the engine answers. */
  intervalMs?: number;
  /** Between probes while it does not. */
  downIntervalMs?: number;
  /** The time the engine gets to answer a probe. */
  probeTimeoutMs?: number;
}

export const WATCHDOG_DEFAULTS: Required<WatchdogOptions> = {
  intervalMs: 2000,
  downIntervalMs: 1000,
  probeTimeoutMs: 2000,
};

/** What the pipeline and the health endpoints need of the watchdog. */
export interface EngineStatus {
  /** The engine accepts connections but did not answer the last probe: answer clients 502 at once. */
  readonly failFast: boolean;
  /** Why (empty while up). */
  readonly reason: string;
  /** Readiness; waits for the first probe when none has answered yet. */
  ready(): Promise<Readiness>;
}

/** One probe on a fresh connection, within `timeoutMs`. */
export async function probeEngine(pool: UpstreamPool, timeoutMs: number): Promise<ProbeResult> {
  let timedOut = false;
  let close: (() => void) | null = null;
  let wake: (() => void) | null = null;
  const cancel = after(timeoutMs, () => {
    timedOut = true;
    close?.();
    wake?.();
  });
  const late: ProbeResult = {
    ok: false,
    detail: `no answer to ${PROBE_CALL} within ${timeoutMs / 1000}s`,
  };
  try {
    // A connect that hangs is timed too (it cannot be cancelled: it is closed when it ends).
    const connecting = pool.connect().catch((error: Error) => error);
    const upstream = await Promise.race([
      connecting,
      new Promise<null>((resolve) => wake = () => resolve(null)),
    ]);
    if (upstream === null) {
      connecting.then((conn) => conn instanceof Error || pool.destroy(conn));
      return late;
    }
    if (upstream instanceof Error) {
      return { ok: false, detail: upstream.message, unreachable: true };
    }
    close = () => pool.destroy(upstream);
    try {
      await upstream.write(PROBE);
      while (upstream.available < 12 && (await upstream.fill()));
      if (timedOut) return late;
      const end = upstream.buf.indexOf(13, upstream.start);
      const line = new TextDecoder().decode(
        upstream.buf.subarray(upstream.start, end < 0 ? upstream.end : end),
      );
      return probeVerdict(line);
    } finally {
      pool.destroy(upstream);
    }
  } catch (error) {
    if (timedOut) return late;
    return { ok: false, detail: (error as Error).message };
  } finally {
    cancel();
  }
}

export class EngineWatchdog implements EngineStatus {
  #pool: UpstreamPool;
  #logger: Logger;
  #options: Required<WatchdogOptions>;
  #state: EngineState = UNKNOWN;
  #probing: Promise<void> | null = null;
  #running = false;
  #cancel: (() => void) | null = null;

  constructor(pool: UpstreamPool, logger: Logger, options: WatchdogOptions = {}) {
    this.#pool = pool;
    this.#logger = logger;
    this.#options = { ...WATCHDOG_DEFAULTS, ...options };
  }

  get state(): EngineState {
    return this.#state;
  }

  get up(): boolean {
    return this.#state.up === true;
  }

  get down(): boolean {
    return this.#state.up === false;
  }

  get failFast(): boolean {
    return this.#state.failFast;
  }

  get reason(): string {
    return this.#state.reason;
  }

  /** Probes now, then every few seconds until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#tick();
  }

  stop(): Promise<void> {
    this.#running = false;
    this.#cancel?.();
    this.#cancel = null;
    return this.#probing ?? Promise.resolve();
  }

  async ready(): Promise<Readiness> {
    if (this.#state.up === null) {
      if (this.#probing === null) this.#probing = this.#probe();
      await this.#probing;
    }
    return readiness(this.#state);
  }

  #tick = (): void => {
    this.#cancel = null;
    if (!this.#running) return;
    this.#probing ??= this.#probe();
    const next = () => {
      if (!this.#running) return;
      const { intervalMs, downIntervalMs } = this.#options;
      this.#cancel = after(this.down ? downIntervalMs : intervalMs, this.#tick);
    };
    this.#probing.then(next, next);
  };

  async #probe(): Promise<void> {
    try {
      const result = await probeEngine(this.#pool, this.#options.probeTimeoutMs);
      const { state, log } = nextEngineState(
        this.#state,
        result,
        Date.now(),
        this.#pool.socketPath,
      );
      this.#state = state;
      if (log !== null) this.#logger.log(log.level, log.message);
    } finally {
      this.#probing = null;
    }
  }
}
