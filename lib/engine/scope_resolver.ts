/**
 * Lookups for scoping and for rules on a target's labels: which container a
 * name, ID prefix or exec ID refers to, and what labels it (or a network,
 * volume or image) carries — asked of the engine the way the engine resolves
 * them itself, cached for a moment and forgotten on every engine event.
 *
 * The answer carries the full ID, which the proxy forwards instead of what
 * the client wrote, so the object checked is the object acted on, whatever
 * is renamed or recreated meanwhile.
 */
import { engineJson } from "./engine_client.ts";
import type { EngineEvents } from "./engine_events.ts";
import type { Labels } from "../policy/labels.ts";
import type { ObjectKind } from "../scoping/scope_plan.ts";
import type { UpstreamPool } from "./upstream_pool.ts";

/** An object as the engine reports it. */
export interface EngineObject {
  /** The full ID (the name, for volumes). */
  readonly id: string;
  /** Without a leading `/`. */
  readonly name: string;
  readonly labels: Labels;
  /** For an exec: its container's ID. */
  readonly container?: string;
  /** For a network: its driver. */
  readonly driver?: string;
}

const TTL_MS = 2000;
const MAX_ENTRIES = 4096;

type Json = Record<string, unknown>;

function labels(value: unknown): Labels {
  const plain: Record<string, string> = {};
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === "string") plain[key] = item;
    }
  }
  return plain;
}

const PATHS: Record<ObjectKind, (name: string) => string> = {
  container: (name) => `/containers/${encodeURIComponent(name)}/json`,
  exec: (id) => `/exec/${encodeURIComponent(id)}/json`,
  network: (id) => `/networks/${encodeURIComponent(id)}`,
  volume: (name) => `/volumes/${encodeURIComponent(name)}`,
  image: (name) => `/images/${name.split("/").map(encodeURIComponent).join("/")}/json`,
};

function toObject(kind: ObjectKind, answer: Json): EngineObject {
  const name = typeof answer.Name === "string" ? answer.Name.replace(/^\//, "") : "";
  switch (kind) {
    case "container":
      return {
        id: String(answer.Id ?? ""),
        name,
        labels: labels((answer.Config as Json | undefined)?.Labels),
      };
    case "exec":
      return {
        id: String(answer.ID ?? answer.Id ?? ""),
        name: "",
        labels: {},
        container: String(answer.ContainerID ?? ""),
      };
    case "network":
      return {
        id: String(answer.Id ?? answer.ID ?? ""),
        name,
        labels: labels(answer.Labels),
        driver: String(answer.Driver ?? ""),
      };
    case "volume":
      return { id: name, name, labels: labels(answer.Labels) };
    case "image":
      return {
        id: String(answer.Id ?? ""),
        name,
        labels: labels((answer.Config as Json | undefined)?.Labels),
      };
  }
}

export class ScopeResolver {
  #pool: UpstreamPool;
  #cache = new Map<string, { at: number; object: Promise<EngineObject | null> }>();

  constructor(pool: UpstreamPool, events: EngineEvents) {
    this.#pool = pool;
    events.subscribe(() => this.#cache.clear());
  }

  /** The object `name` refers to, or `null` when the engine knows none. */
  lookup(kind: ObjectKind, name: string): Promise<EngineObject | null> {
    const key = `${kind} ${name}`;
    const now = Date.now();
    const cached = this.#cache.get(key);
    if (cached !== undefined && now - cached.at < TTL_MS) return cached.object;
    const object = engineJson<Json>(this.#pool, PATHS[kind](name)).then((answer) =>
      answer === null ? null : toObject(kind, answer)
    );
    if (this.#cache.size >= MAX_ENTRIES) this.#cache.clear();
    this.#cache.set(key, { at: now, object });
    object.catch(() => this.#cache.delete(key));
    return object;
  }

  /** The IDs of every container (running or not) that `visible` accepts. */
  async containerIds(visible: (name: string, labels: Labels) => boolean): Promise<Set<string>> {
    const list = await engineJson<Json[]>(this.#pool, "/containers/json?all=1") ?? [];
    const ids = new Set<string>();
    for (const item of list) {
      const names = Array.isArray(item.Names) ? item.Names : [];
      if (visible(String(names[0] ?? ""), labels(item.Labels))) ids.add(String(item.Id));
    }
    return ids;
  }
}
