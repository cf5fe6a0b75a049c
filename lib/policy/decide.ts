/**
 * The decision on one request for one profile: a pure function of the
 * profile, the method, the canonical path and query, and the Engine API route
 * the path matched — so it is memoized per profile (see `RouteCache`).
 *
 * A request on no Engine API route is refused in every mode. Otherwise it
 * passes when the profile's switches allow it (linuxserver's rules) or one of
 * its rules does; a rule that allows it only on labelled containers leaves a
 * target check for later. In audit mode a denied request is forwarded anyway
 * and logged as `would-deny`.
 *
 * `lib/policy/`: profiles, rules, constraints, scopes, the decision, the policy file's loader,
 * explain and learn. Pure; imports admission's Go decoding, `lib/routes/`, `lib/http/` and `lib/`'s
 * root, nothing of connections.
 */
import type { RouteMatch } from "../routes/route_matcher.ts";
import type { Profile } from "./profile.ts";
import { goFoldName } from "../admission/go_fold.ts";
import type { QueryConstraint } from "./query_constraint.ts";
import { foldedValues, isQueryError, parseQuery, type QueryParams } from "./query_params.ts";
import { describeRule } from "./describe_rule.ts";
import type { TargetSelector } from "./rule.ts";
import type { BodyConstraint } from "./body_constraint.ts";
import { evaluatePolicy, explainDenial } from "./switches.ts";

export interface DecisionRequest {
  method: string;
  /** Canonical path segments after the version prefix. */
  segments: readonly string[];
  /** The query as received, with its `?`, or `""`. */
  query: string;
  upgrade: boolean;
  /** The Engine API route the path matched, or `null`. */
  route: RouteMatch | null;
}

export interface Decision {
  /** The request goes to the engine (in audit mode, even when the policy denies it). */
  readonly forward: boolean;
  /** The policy denies it (in audit mode: would deny it). */
  readonly denied: boolean;
  /** The answer when it is refused: 403, or 400 for a query the engine would read ambiguously. */
  readonly status: 400 | 403;
  readonly operation: string | null;
  /** Why it is denied and what would allow it, or what allowed it. */
  readonly reason: string;
  /** Alternatives for the target container's labels; `null` when there is no such check. */
  readonly targets: readonly TargetSelector[] | null;
  /**
   * The rules that allow the request only with some bodies: it passes when
   * one of them (whose target, one of `targets`, the container matched) allows
   * its body. `null`: the body decides nothing.
   */
  readonly bodies: readonly BodyAlternative[] | null;
  /** The tunnel it may open carries nothing from the client (`stdin` constrained off). */
  readonly oneWay: boolean;
  /** The decision read the query: its parameters must not also come from a form body. */
  readonly readsQuery: boolean;
}

/** A rule that allows the request on some targets, or with some bodies. */
export interface BodyAlternative {
  /** The rule, for messages. */
  readonly rule: string;
  /** One of the decision's `targets`, or `null` when it has none. */
  readonly target: TargetSelector | null;
  /** `null`: any body. */
  readonly body: BodyConstraint | null;
}

function refused(
  status: 400 | 403,
  operation: string | null,
  reason: string,
  readsQuery = false,
): Decision {
  return {
    forward: false,
    denied: true,
    status,
    operation,
    reason,
    targets: null,
    bodies: null,
    oneWay: false,
    readsQuery,
  };
}

/**
 * Podman reads its query with gorilla/schema, which matches names to fields
 * case-insensitively (Unicode folding included): every spelling of a
 * constrained name counts as that name, so `Signal=KILL` is seen, and two
 * spellings are two values — ambiguous, and refused.
 */
function foldedView(params: QueryParams, constraints: readonly QueryConstraint[]): QueryParams {
  const view = new Map(params);
  for (const { name } of constraints) {
    const values = foldedValues(params, name, goFoldName);
    for (const key of params.keys()) if (goFoldName(key) === goFoldName(name)) view.delete(key);
    if (values !== undefined) view.set(name, values);
  }
  return view;
}

/** Decides `request` for `profile`. */
export function decide(profile: Profile, request: DecisionRequest): Decision {
  const route = request.route;
  if (route === null) return refused(403, null, "is no Docker Engine API route");
  const operation = route.route.operation;

  let allowedBy: string | null = null;
  let bySwitches = false;
  let switchReason = "";
  if (profile.switches !== null) {
    const switches = profile.switches;
    const verdict = evaluatePolicy(switches, request);
    if (verdict.allowed) {
      bySwitches = true;
      const all = verdict.requires.find((flags) => flags.every((flag) => switches[flag]))!;
      allowedBy = all.map((flag) => `${flag}=1`).join(" and ");
    } else {
      switchReason = explainDenial(switches, verdict);
    }
  }

  let params: QueryParams | null = null;
  let readsQuery = false;
  const failures: string[] = [];
  const conditional: {
    rule: string;
    target: TargetSelector | null;
    body: BodyConstraint | null;
  }[] = [];
  let oneWay = true;
  let covered = false;
  if (allowedBy === null) {
    for (const rule of profile.rules) {
      if (!rule.routes.has(route.index)) continue;
      covered = true;
      if (rule.query.length > 0) {
        readsQuery = true;
        if (params === null) {
          const parsed = parseQuery(request.query);
          if (isQueryError(parsed)) return refused(400, operation, parsed.error, true);
          params = parsed;
        }
        const view = route.route.api === "libpod" ? foldedView(params, rule.query) : params;
        const failed = rule.query.map((constraint) => constraint.check(view))
          .filter((why) => why !== null);
        if (failed.length > 0) {
          failures.push(`${describeRule(rule)} does not allow it: ${failed.join(", ")}`);
          continue;
        }
      }
      if (rule.target !== null || rule.body !== null) {
        conditional.push({ rule: describeRule(rule), target: rule.target, body: rule.body });
        oneWay &&= rule.oneWay;
        continue;
      }
      allowedBy = describeRule(rule);
      oneWay &&= rule.oneWay;
      conditional.length = 0;
      break;
    }
  }

  if (allowedBy !== null || conditional.length > 0) {
    const onBodies = conditional.some((alternative) => alternative.body !== null);
    const onTargets = conditional.some((alternative) => alternative.target !== null);
    // A rule on bodies alone stands for any container, as an alternative of its own.
    const alternatives: BodyAlternative[] = conditional.map((alternative) => ({
      ...alternative,
      target: onTargets ? alternative.target ?? { labels: [], text: "any labels" } : null,
    }));
    return {
      forward: true,
      denied: false,
      status: 403,
      operation,
      reason: allowedBy ?? (onBodies ? "by rules on the body" : "by rules on the target's labels"),
      targets: allowedBy === null && onTargets
        ? alternatives.map((alternative) => alternative.target!)
        : null,
      bodies: allowedBy === null && onBodies ? alternatives : null,
      oneWay: !bySwitches && oneWay,
      readsQuery,
    };
  }

  const reason = profile.file === null
    ? switchReason
    : profile.name === ""
    ? `is not allowed: no profile in ${profile.file} matches this client`
    : `is not allowed for profile ${JSON.stringify(profile.name)}: ` + [
      ...(failures.length > 0
        ? failures
        : [`no rule allows ${operation}${covered ? "" : ` (add ${operation} to its rules)`}`]),
      ...(profile.switches === null
        ? []
        : switchReason.startsWith("needs ")
        ? [`its switches would need ${switchReason.slice(6)}`]
        : ["no switch can allow it"]),
    ].join("; ");
  const audit = profile.mode === "audit";
  return {
    forward: audit,
    denied: true,
    status: 403,
    operation,
    reason,
    targets: null,
    bodies: null,
    oneWay: false,
    readsQuery,
  };
}
