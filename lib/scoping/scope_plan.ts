/**
 * What scoping does to one request, by its Engine API route: nothing, check
 * the object it names (and forward its full ID instead), filter a list or an
 * event stream, label what it creates, narrow a prune, scrub environments in
 * the answer — or refuse it, when the route would show what the scope hides
 * and the proxy cannot filter it.
 *
 * `lib/scoping/`: what a scoped client sees (filters, rewritten answers, events, owner labels).
 * Pure; imports `lib/policy/`, `lib/admission/`, `lib/routes/` and below.
 */
import type { RouteMatch } from "../routes/route_matcher.ts";
import { engineLabelFilters, hidesContainers, OWNER_LABEL, type Scope } from "../policy/scope.ts";

/** How the answer is rewritten before the client sees it. */
export type AnswerRewrite =
  | "container-list"
  | "container-inspect"
  | "network-list"
  | "network-inspect"
  | "volume-list"
  | "service"
  | "task";

/** An object the request names, checked (and replaced by its ID) before it is forwarded. */
export type ObjectKind = "container" | "exec" | "network" | "volume" | "image";

export interface ScopePlan {
  /** Refused: what the route would show that the scope hides. */
  readonly refuse: string | null;
  /** The object in the path to check: which kind, and the route parameter naming it. */
  readonly object: { kind: ObjectKind; param: string } | null;
  /** A container named in the query (`POST /commit?container=`), to check too. */
  readonly queryContainer: string | null;
  /** A container named in the body (`NetworkConnect`'s `Container`), to check too. */
  readonly bodyContainer: boolean;
  /** Label filter values added to the query's `filters` (the engine narrows the answer). */
  readonly labelFilters: readonly string[] | null;
  /** The owner label to put on what the request creates: in its body, or its `labels` query. */
  readonly label: "body" | "labels-query" | null;
  readonly rewrite: AnswerRewrite | null;
  /** `/events`: only the lines of visible containers pass. */
  readonly events: boolean;
}

const NOTHING: ScopePlan = Object.freeze({
  refuse: null,
  object: null,
  queryContainer: null,
  bodyContainer: false,
  labelFilters: null,
  label: null,
  rewrite: null,
  events: false,
});

function plan(overrides: Partial<ScopePlan>): ScopePlan {
  return { ...NOTHING, ...overrides };
}

/** Operations that list or show every container, which a scope that hides some cannot filter. */
const SHOWS_ALL_CONTAINERS = new Set([
  "SystemDataUsage",
  "LibpodSystemDataUsage",
  "LibpodContainersStatsAll",
  "LibpodContainerShowMounted",
  "LibpodGenerateKube",
  "LibpodKubeGenerate",
  "LibpodSystemPrune",
  "BuildPrune",
]);

const PRUNES = new Set(["ContainerPrune", "LibpodContainerPrune"]);
const OWNED_PRUNES = new Set(["NetworkPrune", "VolumePrune", "ImagePrune"]);

/** The template parameter that names the object, such as `name` in `/containers/{name:.*}/json`. */
function paramOf(match: RouteMatch, prefix: RegExp): string | null {
  const found = prefix.exec(match.route.template);
  return found === null ? null : found[1];
}

/** What `scope` does to a request on `match`; `NOTHING` for an unscoped profile. */
export function scopePlan(scope: Scope, match: RouteMatch): ScopePlan {
  const operation = match.route.operation;
  const libpod = match.route.api === "libpod";
  const scrub = scope.scrubEnvs;
  const hides = hidesContainers(scope);
  const owner = scope.owner !== null;
  if (!hides && !scrub) return NOTHING;

  if (operation === "ContainerList" || operation === "LibpodContainerList") {
    return hides
      ? plan({ rewrite: "container-list", labelFilters: engineLabelFilters(scope) })
      : NOTHING;
  }
  if (operation === "SystemEvents" || operation === "LibpodSystemEvents") {
    return hides ? plan({ events: true }) : NOTHING;
  }
  if (operation === "ContainerInspect" || operation === "LibpodContainerInspect") {
    return plan({
      object: hides ? { kind: "container", param: paramOf(match, /\/containers\/\{(\w+)/)! } : null,
      rewrite: scrub ? "container-inspect" : null,
    });
  }
  if (scrub && (operation === "ServiceInspect" || operation === "ServiceList")) {
    return plan({ rewrite: "service" });
  }
  if (scrub && (operation === "TaskInspect" || operation === "TaskList")) {
    return plan({ rewrite: "task" });
  }
  if (!hides) return NOTHING;

  // From here on the scope hides containers (and, with OWNER, other objects).
  if (SHOWS_ALL_CONTAINERS.has(operation)) {
    return plan({
      refuse: "would show containers outside the profile's scope, and the proxy cannot filter it",
    });
  }
  const container = paramOf(match, /^(?:\/libpod)?\/containers\/\{(\w+)/);
  if (container !== null) return plan({ object: { kind: "container", param: container } });
  const exec = paramOf(match, /^(?:\/libpod)?\/exec\/\{(\w+)/);
  if (exec !== null) return plan({ object: { kind: "exec", param: exec } });
  if (operation === "ContainerCreate" || operation === "LibpodContainerCreate") {
    return owner ? plan({ label: "body" }) : NOTHING;
  }
  if (PRUNES.has(operation)) {
    const filters = engineLabelFilters(scope);
    return filters === null
      ? plan({
        refuse: "would prune containers outside the profile's scope: its selectors cannot be " +
          "given to the engine as filters (use OWNER, or a single CONTAINER_LABELS label)",
      })
      : plan({ labelFilters: filters });
  }
  if (operation === "ImageCommit" || operation === "LibpodImageCommit") {
    return plan({ queryContainer: "container" });
  }
  if (libpod) {
    if (/^\/libpod\/(pods|networks|volumes|kube|play|generate)\b/.test(match.route.template)) {
      return plan({
        refuse: "is a libpod route that names pods, networks or volumes, which a scoped profile " +
          "may not use",
      });
    }
    return NOTHING;
  }
  // Networks, volumes and images: owned ones only, with OWNER.
  if (operation === "NetworkConnect" || operation === "NetworkDisconnect") {
    return plan({
      bodyContainer: true,
      object: owner ? { kind: "network", param: paramOf(match, /\/networks\/\{(\w+)/)! } : null,
    });
  }
  if (operation === "NetworkInspect") {
    return plan({
      rewrite: "network-inspect",
      object: owner ? { kind: "network", param: paramOf(match, /\/networks\/\{(\w+)/)! } : null,
    });
  }
  if (!owner) return NOTHING;
  if (OWNED_PRUNES.has(operation)) return plan({ labelFilters: [`${OWNER_LABEL}=${scope.owner}`] });
  switch (operation) {
    case "NetworkList":
      return plan({ rewrite: "network-list", labelFilters: [`${OWNER_LABEL}=${scope.owner}`] });
    case "VolumeList":
      return plan({ rewrite: "volume-list", labelFilters: [`${OWNER_LABEL}=${scope.owner}`] });
    case "NetworkCreate":
    case "VolumeCreate":
      return plan({ label: "body" });
    case "ImageBuild":
      return plan({ label: "labels-query" });
    case "NetworkDelete":
      return plan({ object: { kind: "network", param: paramOf(match, /\/networks\/\{(\w+)/)! } });
    case "VolumeInspect":
    case "VolumeDelete":
    case "VolumeUpdate":
      return plan({ object: { kind: "volume", param: paramOf(match, /\/volumes\/\{(\w+)/)! } });
    case "ImageDelete":
    case "ImageTag":
    case "ImagePush":
      return plan({ object: { kind: "image", param: paramOf(match, /\/images\/\{(\w+)/)! } });
  }
  return NOTHING;
}

/** Whether a plan does nothing (the request passes as it is). */
export function isNothing(plan: ScopePlan): boolean {
  return plan === NOTHING;
}
