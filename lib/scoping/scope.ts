/**
 * What a profile's clients may see and touch: the containers its selectors
 * pick, the objects it owns, and container environments scrubbed.
 */
import type { Glob } from "../policy/glob.ts";
import type { LabelMatcher } from "../policy/labels.ts";

export interface Scope {
  /** `CONTAINER_LABELS`: a container is visible when it carries any of these; `null` for all. */
  readonly containerLabels: readonly LabelMatcher[] | null;
  /** `CONTAINER_NAMES`: a container is visible when its name matches any of these. */
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
