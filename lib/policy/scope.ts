/**
 * What a profile's clients may see and touch: the containers its selectors
 * pick, the objects it owns, and container environments scrubbed.
 *
 * A container is visible when it matches any selector (`CONTAINER_NAMES`, a
 * name or glob; `CONTAINER_LABELS`, a label with or without a value) — every
 * container when there is none — and, with `OWNER`, carries the owner label.
 */
import type { Glob } from "./glob.ts";
import { type LabelMatcher, labelMatches, type Labels } from "./labels.ts";

/** The label that marks what a client with `OWNER` created. */
export const OWNER_LABEL = "socket-proxy.owner";

export interface Scope {
  /** `CONTAINER_LABELS`: containers carrying any of these; `null`: no label selector. */
  readonly containerLabels: readonly LabelMatcher[] | null;
  /** `CONTAINER_NAMES`: containers whose name matches any of these; `null`: no name selector. */
  readonly containerNames: readonly Glob[] | null;
  /** `OWNER`: objects the client creates get `socket-proxy.owner=<owner>`, and it sees only those. */
  readonly owner: string | null;
  /** `SCRUB_ENVS`: values in `Config.Env` of inspect answers are replaced. */
  readonly scrubEnvs: boolean;
}

export const UNSCOPED: Scope = Object.freeze({
  containerLabels: null,
  containerNames: null,
  owner: null,
  scrubEnvs: false,
});

/** Whether `scope` restricts anything at all (an unscoped profile pays nothing). */
export function isScoped(scope: Scope): boolean {
  return scope.containerLabels !== null || scope.containerNames !== null || scope.owner !== null ||
    scope.scrubEnvs;
}

/** Whether `scope` hides some containers (rather than only scrubbing what it shows). */
export function hidesContainers(scope: Scope): boolean {
  return scope.containerLabels !== null || scope.containerNames !== null || scope.owner !== null;
}

/** Whether a container named `name` (with or without its leading `/`) with `labels` is visible. */
export function containerVisible(scope: Scope, name: string, labels: Labels | null): boolean {
  if (scope.owner !== null && !isOwned(scope, labels)) return false;
  if (scope.containerNames === null && scope.containerLabels === null) return true;
  const bare = name.startsWith("/") ? name.slice(1) : name;
  if (scope.containerNames?.some((glob) => glob.test(bare))) return true;
  return scope.containerLabels?.some((matcher) => labelMatches(matcher, labels)) ?? false;
}

/** Whether an object's labels carry this scope's owner label (true without `OWNER`). */
export function isOwned(scope: Scope, labels: Labels | null | undefined): boolean {
  if (scope.owner === null) return true;
  return labels !== null && labels !== undefined && Object.hasOwn(labels, OWNER_LABEL) &&
    labels[OWNER_LABEL] === scope.owner;
}

/**
 * The engine filters that select exactly what `scope` shows, when they can:
 * `label` filters are ANDed by the engine, so the owner label and a single
 * label selector can be expressed, several alternatives or names cannot.
 * Returns label filter values, or `null` when the engine cannot do it alone.
 */
export function engineLabelFilters(scope: Scope): string[] | null {
  if (scope.containerNames !== null) return null;
  if (scope.containerLabels !== null && scope.containerLabels.length > 1) return null;
  const labels: string[] = [];
  if (scope.owner !== null) labels.push(`${OWNER_LABEL}=${scope.owner}`);
  for (const matcher of scope.containerLabels ?? []) {
    labels.push(matcher.value === null ? matcher.key : `${matcher.key}=${matcher.value}`);
  }
  return labels;
}
