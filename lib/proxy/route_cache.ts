/**
 * Memoized decisions: the canonical target, the Engine API route it names,
 * the profile's decision and the request line the engine is sent, per method
 * and raw target. Clients such as Traefik or Homepage poll the same few URLs
 * all day, so this takes parsing, route matching and policy off the hot path.
 * It only memoizes pure functions of immutable inputs (a profile never changes:
 * a reload makes new ones, with new caches), and it is bounded.
 */
import { ENGINE_HOST } from "../http/forward_head.ts";
import { decide, type Decision } from "../policy/decide.ts";
import type { Policy, Profile } from "../policy/profile.ts";
import { isTargetError, parseRequestTarget, type RequestTarget } from "../http/request_target.ts";
import type { RouteMatch, RouteMatcher } from "../routes/route_matcher.ts";
import { type EngineDeadline, engineDeadline } from "./engine_deadline.ts";

export interface Route {
  /** Why the target is refused (400), or `null`. */
  error: string | null;
  target: RequestTarget | null;
  /** The Engine API route, or `null` when the path names none. */
  match: RouteMatch | null;
  decision: Decision | null;
  /** The canonical target forwarded: path and query. */
  forward: string;
  /** `METHOD target HTTP/1.1\r\nHost: docker\r\n`, for forwarded requests. */
  requestLine: Uint8Array | null;
  /** How long the engine may take to begin its answer, for forwarded requests. */
  deadline: EngineDeadline | null;
}

const MAX_ENTRIES = 1024;
const MAX_KEY = 512;
const encoder = new TextEncoder();

/** Decides `method rawTarget` for `profile`, without the cache. */
export function route(
  profile: Profile,
  matcher: RouteMatcher,
  method: string,
  rawTarget: string,
  upgrade: boolean,
): Route {
  const target = parseRequestTarget(rawTarget);
  if (isTargetError(target)) {
    return {
      error: target.error,
      target: null,
      match: null,
      decision: null,
      forward: "",
      requestLine: null,
      deadline: null,
    };
  }
  const match = matcher.match(method, target.segments);
  const decision = decide(profile, {
    method,
    segments: target.segments,
    query: target.query,
    upgrade,
    route: match,
  });
  const forward = target.path + target.query;
  const requestLine = decision.forward
    ? encoder.encode(`${method} ${forward} HTTP/1.1\r\nHost: ${ENGINE_HOST}\r\n`)
    : null;
  const deadline = decision.forward
    ? engineDeadline(match?.route ?? null, target.query, upgrade)
    : null;
  return { error: null, target, match, decision, forward, requestLine, deadline };
}

/** The memo for one profile. */
export class RouteCache {
  readonly profile: Profile;
  #matcher: RouteMatcher;
  #plain = new Map<string, Route>();
  #upgrade = new Map<string, Route>();

  constructor(profile: Profile, matcher: RouteMatcher) {
    this.profile = profile;
    this.#matcher = matcher;
  }

  route(method: string, rawTarget: string, upgrade: boolean): Route {
    if (rawTarget.length > MAX_KEY) {
      return route(this.profile, this.#matcher, method, rawTarget, upgrade);
    }
    const map = upgrade ? this.#upgrade : this.#plain;
    const key = method + " " + rawTarget;
    let found = map.get(key);
    if (found === undefined) {
      found = route(this.profile, this.#matcher, method, rawTarget, upgrade);
      if (map.size >= MAX_ENTRIES) map.clear();
      map.set(key, found);
    }
    return found;
  }
}

/** A policy in force, with one route cache per profile. Replaced whole on reload. */
export class ActivePolicy {
  readonly policy: Policy;
  readonly matcher: RouteMatcher;
  #caches = new Map<Profile, RouteCache>();

  constructor(policy: Policy, matcher: RouteMatcher) {
    this.policy = policy;
    this.matcher = matcher;
  }

  /** The route cache of `profile` (one of this policy's). */
  routes(profile: Profile): RouteCache {
    let cache = this.#caches.get(profile);
    if (cache === undefined) {
      cache = new RouteCache(profile, this.matcher);
      this.#caches.set(profile, cache);
    }
    return cache;
  }
}
