/**
 * Which container a client connects from, for profiles that match by client
 * container name or labels. Container addresses change on every restart, so
 * the proxy asks the engine (as wollomatic's proxy does): the running
 * containers' network addresses, cached, and refreshed when the engine reports
 * a container or network event — or when an unknown address connects and the
 * cache is more than a second old.
 */
import { engineJson } from "./engine_client.ts";
import type { EngineEvents } from "./engine_events.ts";
import type { Logger } from "../log/log.ts";
import { parseAddress } from "../policy/cidr.ts";
import type { ClientContainer } from "../policy/profile.ts";
import type { UpstreamPool } from "./upstream_pool.ts";

interface ListedContainer {
  Id: string;
  Names?: string[];
  Labels?: Record<string, string> | null;
  NetworkSettings?: {
    Networks?: Record<string, { IPAddress?: string; GlobalIPv6Address?: string } | null> | null;
  } | null;
}

const STALE_MS = 1000;

/** An address in one canonical text form, so IPv6 spellings compare equal. */
export function addressKey(text: string): string | null {
  const bytes = parseAddress(text);
  return bytes === null ? null : bytes.join(".");
}

/** Running containers by network address, from a `GET /containers/json` answer. */
export function indexContainers(list: readonly ListedContainer[]): Map<string, ClientContainer> {
  const byAddress = new Map<string, ClientContainer>();
  for (const item of list) {
    const container: ClientContainer = {
      id: item.Id,
      name: (item.Names?.[0] ?? "").replace(/^\//, ""),
      labels: Object.freeze({ ...(item.Labels ?? {}) }),
    };
    for (const network of Object.values(item.NetworkSettings?.Networks ?? {})) {
      for (const address of [network?.IPAddress, network?.GlobalIPv6Address]) {
        const key = address ? addressKey(address) : null;
        if (key !== null) byAddress.set(key, container);
      }
    }
  }
  return byAddress;
}

export class ClientDirectory {
  #pool: UpstreamPool;
  #logger: Logger;
  #byAddress = new Map<string, ClientContainer>();
  #dirty = true;
  #refreshed = 0;
  #refreshing: Promise<void> | null = null;
  #events: EngineEvents;

  constructor(pool: UpstreamPool, logger: Logger, events: EngineEvents) {
    this.#pool = pool;
    this.#logger = logger;
    this.#events = events;
  }

  /** Starts following the engine's events (each marks the cache stale). */
  start(): void {
    this.#events.subscribe(() => this.#dirty = true);
  }

  /** The container at `host` (an IP address), or `null` when it is none the engine runs. */
  async lookup(host: string): Promise<ClientContainer | null> {
    const key = addressKey(host);
    if (key === null) return null;
    if (this.#dirty) await this.#refresh();
    let found = this.#byAddress.get(key);
    if (found === undefined && Date.now() - this.#refreshed > STALE_MS) {
      await this.#refresh();
      found = this.#byAddress.get(key);
    }
    return found ?? null;
  }

  #refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      this.#dirty = false;
      try {
        const list = await engineJson<ListedContainer[]>(this.#pool, "/containers/json");
        this.#byAddress = indexContainers(list ?? []);
      } catch (error) {
        this.#dirty = true;
        this.#logger.error("Cannot list containers to identify clients", {
          error: (error as Error).message,
        });
      } finally {
        this.#refreshed = Date.now();
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }
}
