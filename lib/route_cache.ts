/**
 * Memoized decisions: the canonical target, the policy's verdict and the
 * request line the engine is sent, per method and raw target. Clients such as
 * Traefik or Homepage poll the same few URLs all day, so this takes parsing and
 * policy off the hot path. It only memoizes pure functions of immutable inputs
 * (the switches never change while the proxy runs), and it is bounded.
 */
import { ENGINE_HOST } from "./forward_head.ts";
import type { Flags } from "./flags.ts";
import { type Decision, evaluatePolicy } from "./policy.ts";
import { isTargetError, parseRequestTarget, type RequestTarget } from "./request_target.ts";

export interface Route {
  /** Why the target is refused (400), or `null`. */
  error: string | null;
  target: RequestTarget | null;
  decision: Decision | null;
  /** The canonical target forwarded: path and query. */
  forward: string;
  /** `METHOD target HTTP/1.1\r\nHost: docker\r\n`, for allowed requests. */
  requestLine: Uint8Array | null;
}

const MAX_ENTRIES = 1024;
const MAX_KEY = 512;
const encoder = new TextEncoder();

/** Decides `method rawTarget` without the cache. */
export function route(flags: Flags, method: string, rawTarget: string, upgrade: boolean): Route {
  const target = parseRequestTarget(rawTarget);
  if (isTargetError(target)) {
    return { error: target.error, target: null, decision: null, forward: "", requestLine: null };
  }
  const decision = evaluatePolicy(flags, { method, segments: target.segments, upgrade });
  const forward = target.path + target.query;
  const requestLine = decision.allowed
    ? encoder.encode(`${method} ${forward} HTTP/1.1\r\nHost: ${ENGINE_HOST}\r\n`)
    : null;
  return { error: null, target, decision, forward, requestLine };
}

export class RouteCache {
  #flags: Flags;
  #plain = new Map<string, Route>();
  #upgrade = new Map<string, Route>();

  constructor(flags: Flags) {
    this.#flags = flags;
  }

  route(method: string, rawTarget: string, upgrade: boolean): Route {
    if (rawTarget.length > MAX_KEY) return route(this.#flags, method, rawTarget, upgrade);
    const map = upgrade ? this.#upgrade : this.#plain;
    const key = method + " " + rawTarget;
    let found = map.get(key);
    if (found === undefined) {
      found = route(this.#flags, method, rawTarget, upgrade);
      if (map.size >= MAX_ENTRIES) map.clear();
      map.set(key, found);
    }
    return found;
  }
}
