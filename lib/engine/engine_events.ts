/**
 * The engine's event stream, followed by the proxy for its own caches (client
 * containers, scoping lookups): every container or network event tells the
 * listeners that what they know may be stale. Reconnects after an engine
 * restart; while it is down, listeners are told on every reconnect.
 */
import { engineLines } from "./engine_client.ts";
import type { Logger } from "../log/log.ts";
import { after } from "../timer.ts";
import type { UpstreamPool } from "./upstream_pool.ts";

const PATH = "/events?filters=" +
  encodeURIComponent(JSON.stringify({ type: ["container", "network", "volume", "image"] }));
const RETRY_MS = 1000;

export class EngineEvents {
  #pool: UpstreamPool;
  #logger: Logger;
  #listeners = new Set<() => void>();
  #stop = new AbortController();
  #running: Promise<void> | null = null;

  constructor(pool: UpstreamPool, logger: Logger) {
    this.#pool = pool;
    this.#logger = logger;
  }

  /** Calls `listener` on each event and whenever the stream was interrupted. */
  subscribe(listener: () => void): void {
    this.#listeners.add(listener);
    this.#running ??= this.#follow();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  #notify = (): void => {
    for (const listener of this.#listeners) listener();
  };

  async #follow(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await engineLines(this.#pool, PATH, this.#notify, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.#logger.debug("Engine events ended", { error: (error as Error).message });
      }
      // The stream ended (engine restart): what happened meanwhile is unknown.
      this.#notify();
      if (signal.aborted) return;
      await new Promise<void>((resolve) => {
        const cancel = after(RETRY_MS, resolve);
        signal.addEventListener("abort", () => {
          cancel();
          resolve();
        }, { once: true });
      });
    }
  }
}
