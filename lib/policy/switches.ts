/**
 * The access policy: which requests pass, and which switches would let a
 * refused one pass.
 *
 * The rules are linuxserver's, in its order, on a canonical path:
 *   1. `/containers/{id}/{archive,changes,export,logs,top}` is refused unless its
 *      `ALLOW_*` switch is on, whatever else is on;
 *   2. `POST /containers/{id}/{start,stop,restart,kill,pause,unpause}` passes when
 *      its `ALLOW_*` switch is on, even with `POST=0` and `CONTAINERS=0`;
 *   3. with `POST=0` only reads pass (`GET`, `HEAD`);
 *   4. a request passes when the switch of its API section is on;
 *   5. everything else is refused.
 * Sections and actions match whole segments. A read that would write (a
 * protocol upgrade, such as the `attach/ws` websocket, opens a channel into the
 * container) counts as a write, and creating an exec needs `EXEC=1`.
 *
 * The rules are written as what each request requires: a list of alternatives,
 * each a set of switches that must all be on. A request passes when one
 * alternative is satisfied, and a refusal can name exactly what is missing.
 */
import {
  ACTION_FLAGS,
  DOCKER_SECTIONS,
  type Flags,
  GUARDED_ACTIONS,
  LIBPOD_SECTIONS,
} from "./flags.ts";

export interface PolicyRequest {
  method: string;
  /** Decoded path segments after the version prefix (see `parseRequestTarget`). */
  segments: readonly string[];
  /** Whether the request asks for a protocol upgrade (`Connection: upgrade`). */
  upgrade: boolean;
}

export interface Decision {
  allowed: boolean;
  /** Alternatives, any one of which allows the request; empty when none can. */
  requires: readonly (readonly string[])[];
  /** Why a read needs `POST=1`, when it does. */
  writes?: string;
}

function lower(segment: string | undefined): string {
  return segment === undefined ? "" : segment.toLowerCase();
}

function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The switches that would allow `request`, as alternatives of conjunctions. */
export function requirementsOf(request: PolicyRequest): { requires: string[][]; writes?: string } {
  const libpod = request.segments[0] === "libpod";
  const path = libpod ? request.segments.slice(1) : request.segments;
  const sections = libpod ? LIBPOD_SECTIONS : DOCKER_SECTIONS;
  const kind = lower(path[0]);
  const onObject = kind === "containers" || (libpod && kind === "pods");

  // Guards compare case-insensitively, like linuxserver's `-i` regexes: refusing
  // too much is harmless, the engine's router is case-sensitive anyway.
  const guard = onObject && path.length >= 3 ? own(GUARDED_ACTIONS, lower(path[2])) : undefined;
  const guards = guard === undefined ? [] : [guard];

  // A read that opens a channel into the engine is a write.
  const readMethod = request.method === "GET" || request.method === "HEAD";
  let writes: string | undefined;
  if (readMethod && request.upgrade) {
    writes = "a protocol upgrade opens a channel that writes";
  } else if (readMethod && kind === "containers" && lower(path[2]) === "attach") {
    if (lower(path[3]) === "ws") writes = "attach/ws writes to the container";
  }
  const isRead = readMethod && writes === undefined;

  const alternatives: string[][] = [];
  if (request.method === "POST" && path.length === 3 && onObject) {
    for (const flag of own(ACTION_FLAGS, path[2]) ?? []) {
      alternatives.push([flag]);
      if (libpod) {
        const prefix = kind === "pods" ? "LIBPOD_ALLOW_POD_" : "LIBPOD_ALLOW_";
        alternatives.push([flag.replace("ALLOW_", prefix)]);
      }
    }
  }

  let section: string | undefined;
  if (kind === "containers" && path.length === 3 && lower(path[2]) === "exec") {
    section = libpod ? "LIBPOD_EXEC" : "EXEC";
  } else if (path.length > 0) {
    section = own(sections, path[0]);
  }
  if (section !== undefined) {
    alternatives.push(isRead ? [section] : ["POST", section]);
  }
  return { requires: alternatives.map((all) => [...guards, ...all]), writes };
}

/** Decides one request. */
export function evaluatePolicy(flags: Flags, request: PolicyRequest): Decision {
  const { requires, writes } = requirementsOf(request);
  const allowed = requires.some((all) => all.every((flag) => flags[flag] === true));
  return writes === undefined ? { allowed, requires } : { allowed, requires, writes };
}

/** What a refused request would need, for the error body: `needs POST=1 and CONTAINERS=1`. */
export function explainDenial(flags: Flags, decision: Decision): string {
  if (decision.requires.length === 0) {
    return "matches no API section this proxy can allow";
  }
  const options = [
    ...new Set(
      decision.requires.map((all) =>
        all.filter((flag) => flags[flag] !== true).map((flag) => flag + "=1").join(" and ")
      ),
    ),
  ];
  const text = "needs " + options.join(", or ");
  return decision.writes ? text + " (" + decision.writes + ")" : text;
}
