/**
 * The scoping stage of the pipeline: after the policy allowed a request, the
 * object it names is looked up and checked against the profile's scope and
 * its rules on target labels; what the client may not see is answered exactly
 * as the engine answers for what does not exist. The request is then
 * forwarded with the object's full ID, its query narrowed, and its answer
 * marked for rewriting.
 */
import type { TargetSelector } from "../policy/rule.ts";
import type { Profile } from "../policy/profile.ts";
import { labelMatches } from "../policy/labels.ts";
import { goFoldName } from "../admission/go_json.ts";
import { foldedValues, isQueryError, parseQuery } from "../policy/query_params.ts";
import type { RequestTarget } from "../http/request_target.ts";
import type { RouteMatch } from "../routes/route_matcher.ts";
import { addFilterValues } from "../scoping/filters.ts";
import { labelBuildQuery, OwnerLabelError } from "../scoping/owner_label.ts";
import { containerVisible, isOwned, type Scope } from "../policy/scope.ts";
import type { AnswerRewrite, ObjectKind, ScopePlan } from "../scoping/scope_plan.ts";
import type { EngineObject, ScopeResolver } from "../engine/scope_resolver.ts";

export interface ScopeResult {
  /**
   * Answered here: 404 with the engine's own message for what does not exist,
   * 403 or 400 with why (`#deny` words it).
   */
  answer: { status: number; reason: string } | null;
  /** The path and query to forward instead of the canonical one, or `null`. */
  forward: string | null;
  rewrite: AnswerRewrite | null;
  events: boolean;
  /** Container IDs the client may see (for network inspect answers). */
  visibleIds: Set<string> | null;
  /** The rules' `targets` the container carries, or `null` when none were checked. */
  matched?: readonly TargetSelector[];
}

/** What the engine answers for an object that does not exist. */
export function notFound(kind: ObjectKind, name: string): string {
  switch (kind) {
    case "container":
      return `No such container: ${name}`;
    case "exec":
      return `No such exec instance: ${name}`;
    case "network":
      return `network ${name} not found`;
    case "volume":
      return `get ${name}: no such volume`;
    case "image":
      return `No such image: ${name}`;
  }
}

/** `template` with each `{param}` filled from `params`. */
export function fillTemplate(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)(?::[^}]*)?\}/g, (_, name: string) => params[name] ?? "");
}

function answer(status: number, reason: string): ScopeResult {
  return {
    answer: { status, reason },
    forward: null,
    rewrite: null,
    events: false,
    visibleIds: null,
  };
}

function visible(scope: Scope, kind: ObjectKind, object: EngineObject): boolean {
  return kind === "container"
    ? containerVisible(scope, object.name, object.labels)
    : isOwned(scope, object.labels);
}

/**
 * Applies `plan` (and the rules' `targets`) to a request the policy allowed.
 * Throws when the engine cannot be asked (the caller answers 502).
 */
export async function applyScope(
  resolver: ScopeResolver,
  profile: Profile,
  plan: ScopePlan | null,
  targets: readonly TargetSelector[] | null,
  match: RouteMatch,
  target: RequestTarget,
): Promise<ScopeResult> {
  const scope = profile.scope;
  const result: ScopeResult = {
    answer: null,
    forward: null,
    rewrite: plan?.rewrite ?? null,
    events: plan?.events ?? false,
    visibleIds: null,
  };
  if (plan?.refuse) {
    return answer(
      403,
      `is not available to profile ${JSON.stringify(profile.name)}: it ${plan.refuse}`,
    );
  }
  const params = { ...match.params };
  let rewritten = false;

  // The object in the path: it must exist, be visible, and carry the labels a rule asks for.
  const object = plan?.object ?? null;
  const targetParam = targets === null ? null : /\{(\w+)/.exec(match.route.template)?.[1] ?? null;
  for (
    const [kind, param] of [
      ...(object ? [[object.kind, object.param] as const] : []),
      ...(targetParam !== null && object?.kind !== "container"
        ? [["container", targetParam] as const]
        : []),
    ]
  ) {
    const name = match.params[param];
    const found = await resolver.lookup(kind, name);
    if (found === null) return answer(404, notFound(kind, name));
    if (kind === "exec") {
      const container = await resolver.lookup("container", found.container ?? "");
      if (container === null || !visible(scope, "container", container)) {
        return answer(404, notFound(kind, name));
      }
    } else if (object?.kind === kind && param === object.param && !visible(scope, kind, found)) {
      return answer(404, notFound(kind, name));
    }
    if (kind === "container" && targets !== null) {
      result.matched = targets.filter((selector) =>
        selector.labels.every((matcher) => labelMatches(matcher, found.labels))
      );
      if (result.matched.length === 0) {
        return answer(
          403,
          `is allowed for profile ${JSON.stringify(profile.name)} only on containers with ` +
            `${targets.map((selector) => selector.text).join(", or ")}: ${name} has not`,
        );
      }
    }
    if (kind === "container" || kind === "exec" || kind === "network") {
      params[param] = found.id;
      rewritten = true;
    }
  }
  let query = target.query;

  // A container named in the query (`POST /commit?container=`).
  if (plan?.queryContainer) {
    const parsed = parseQuery(query);
    const names = isQueryError(parsed)
      ? undefined
      : match.route.api === "libpod"
      ? foldedValues(parsed, plan.queryContainer, goFoldName)
      : parsed.get(plan.queryContainer);
    if (names !== undefined) {
      if (names.length !== 1) {
        return answer(400, `${plan.queryContainer} is given more than once: send it once`);
      }
      const found = await resolver.lookup("container", names[0]);
      if (found === null || !visible(scope, "container", found)) {
        return answer(404, notFound("container", names[0]));
      }
    }
  }
  if (plan?.labelFilters && plan.labelFilters.length > 0) {
    const merged = addFilterValues(query, "label", plan.labelFilters, match.route.api === "libpod");
    if (merged === null && plan.rewrite === null) {
      return answer(
        400,
        "the request's filters cannot be narrowed to the profile's scope: send filters as " +
          "one JSON map",
      );
    }
    if (merged !== null) query = merged;
  }
  if (plan?.label === "labels-query" && scope.owner !== null) {
    try {
      query = labelBuildQuery(query, scope.owner);
    } catch (error) {
      if (error instanceof OwnerLabelError) return answer(error.status, error.message);
      throw error;
    }
  }
  if (plan?.rewrite === "network-inspect") {
    result.visibleIds = await resolver.containerIds((name, labels) =>
      containerVisible(scope, name, labels)
    );
  }
  if (rewritten || query !== target.query) {
    const path = rewritten ? fillTemplate(match.route.template, params) : null;
    const prefix = target.version === null ? "" : `/${target.version}`;
    result.forward = (path === null ? target.path : prefix + path) + query;
  }
  return result;
}
