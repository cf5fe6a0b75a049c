/**
 * `socket-proxy check` and `socket-proxy explain`: the effective policy in
 * words, and the decision on one request with everything that led to it.
 */
import { isTargetError, parseRequestTarget } from "../http/request_target.ts";
import type { RouteMatcher } from "../routes/route_matcher.ts";
import { isScoped, type Scope } from "./scope.ts";
import { type BodyAlternative, decide } from "./decide.ts";
import type { BodyError, BodyFacts } from "./body_fields.ts";
import { BODY_KINDS, type BodyKind } from "./body_kinds.ts";

/** `readBodyFacts` (`body_fields.ts`), which the caller loads only for `explain --body`. */
export type BodyReader = (kind: BodyKind, body: Uint8Array) => BodyFacts;
import { describeRule } from "./describe_rule.ts";
import { DEFAULT_CLIENT_LIMITS } from "./client_limit_settings.ts";
import type { ClientLimits } from "../limits/client_limiter.ts";
import { FLAG_NAMES, flagDefault } from "./flags.ts";
import { formatLabelMatcher } from "./labels.ts";
import {
  type Client,
  type ClientMatch,
  type Policy,
  type Profile,
  selectProfile,
} from "./profile.ts";

function describeMatch(match: ClientMatch | null): string {
  if (match === null) return "every client";
  const parts: string[] = [];
  if (match.listeners) parts.push(`listener ${match.listeners.join(" or ")}`);
  if (match.sources) parts.push(`source ${match.sources.map((cidr) => cidr.text).join(" or ")}`);
  if (match.containerNames) {
    parts.push(`container named ${match.containerNames.map((glob) => glob.text).join(" or ")}`);
  }
  if (match.containerLabels) {
    parts.push(`container labelled ${match.containerLabels.map(formatLabelMatcher).join(" and ")}`);
  }
  return parts.join(", ");
}

function describeScope(scope: Scope): string {
  if (!isScoped(scope)) return "every container";
  const parts: string[] = [];
  if (scope.containerLabels) {
    parts.push(`containers labelled ${scope.containerLabels.map(formatLabelMatcher).join(" or ")}`);
  }
  if (scope.containerNames) {
    parts.push(`containers named ${scope.containerNames.map((glob) => glob.text).join(" or ")}`);
  }
  if (scope.owner) parts.push(`objects owned by ${scope.owner}`);
  if (scope.scrubEnvs) parts.push("environment values scrubbed");
  return parts.join("; ");
}

/** The profile in lines, for `check`. */
export function describeProfile(profile: Profile): string[] {
  const lines = [
    `profile ${JSON.stringify(profile.name)}${
      profile.line === null ? "" : ` (line ${profile.line})`
    }`,
    `  clients:    ${describeMatch(profile.match)}`,
    `  mode:       ${profile.mode}`,
  ];
  if (profile.preset) lines.push(`  preset:     ${profile.preset.name} (${profile.preset.app})`);
  if (profile.switches !== null) {
    const on = FLAG_NAMES.filter((name) => profile.switches![name]);
    const changed = FLAG_NAMES.filter((name) => profile.switches![name] !== flagDefault(name));
    lines.push(
      `  switches:   ${on.join(" ") || "none"}${changed.length === 0 ? " (the defaults)" : ""}`,
    );
  }
  if (profile.rules.length > 0) {
    lines.push(`  rules:      ${profile.rules.length}`);
    for (const rule of profile.rules) {
      lines.push(`    ${describeRule(rule)}: ${rule.routes.size} route(s)`);
    }
  } else if (profile.switches === null) {
    lines.push("  rules:      none: it allows nothing");
  }
  lines.push(
    `  host:       ${
      profile.admission.hostAccess
        ? "HOST_ACCESS=1: creates are not checked"
        : "HOST_ACCESS=0: creates may not reach the host unless allowed"
    }`,
    `  sees:       ${describeScope(profile.scope)}`,
  );
  const timeout = profile.engineTimeoutMs;
  if (timeout !== undefined && timeout !== null) {
    lines.push(`  engine:     ENGINE_TIMEOUT=${timeout === 0 ? "0 (none)" : `${timeout / 1000}s`}`);
  }
  const limits = profile.clientLimits;
  if (limits !== undefined && !sameLimits(limits, DEFAULT_CLIENT_LIMITS)) {
    lines.push(`  per client: ${describeLimits(limits)}`);
  }
  if (profile.protectSelf === false) {
    lines.push(
      "  self:       PROTECT_SELF=0: may stop, change or exec into the proxy's own container",
    );
  }
  return lines;
}

/** (A burst is set only with a rate, which the defaults do not have.) */
function sameLimits(a: ClientLimits, b: ClientLimits): boolean {
  return a.maxRequests === b.maxRequests && a.maxStreams === b.maxStreams && a.rate === b.rate;
}

/** A profile's per-client limits other than the defaults, as its settings say. */
function describeLimits(limits: ClientLimits): string {
  const requests = limits.maxRequests === 0
    ? "MAX_CLIENT_REQUESTS=0 (no limit, no fair share)"
    : `MAX_CLIENT_REQUESTS=${limits.maxRequests}`;
  const streams = limits.maxStreams === 0
    ? "MAX_CLIENT_STREAMS=0 (no limit)"
    : `MAX_CLIENT_STREAMS=${limits.maxStreams}`;
  const rate = limits.rate === 0
    ? "RATE_LIMIT off"
    : `RATE_LIMIT=${limits.rate}/s, RATE_BURST=${limits.burst}`;
  return `${requests}, ${streams}, ${rate}`;
}

/** The policy in lines, for `check`. */
export function describePolicy(policy: Policy): string[] {
  const lines = [
    policy.file === null
      ? "policy: from the environment, one profile for every client"
      : `policy: ${policy.file}, ${policy.profiles.length} profile(s), first match wins`,
  ];
  for (const profile of policy.profiles) lines.push(...describeProfile(profile));
  if (policy.file !== null) {
    lines.push(
      policy.fallback.mode === "audit"
        ? "any other client: nothing is allowed (audit mode forwards it, logged as would-deny)"
        : "any other client: nothing is allowed",
    );
  }
  return lines;
}

/**
 * The rules on bodies a decision leaves, in lines, and with `body` (JSON) why
 * each allows it or not; `allowed` is `null` when no body was given.
 */
function explainBodies(
  alternatives: readonly BodyAlternative[],
  operation: string,
  body: { text: string; read: BodyReader } | undefined,
): { allowed: boolean | null; lines: string[] } {
  const lines = alternatives.map((alternative) => `  body rule:  ${alternative.rule}`);
  if (body === undefined) {
    lines.push("  body:       give --body '{...}' to see whether a body passes");
    return { allowed: null, lines };
  }
  let facts: BodyFacts;
  try {
    facts = body.read(BODY_KINDS[operation], new TextEncoder().encode(body.text));
  } catch (error) {
    if (!(error instanceof Error) || error.name !== "BodyError") throw error;
    lines.push(`  body:       refused (${(error as BodyError).status}): ${error.message}`);
    return { allowed: false, lines };
  }
  let allowed = false;
  for (const alternative of alternatives) {
    const why = alternative.body === null ? null : alternative.body.check(facts);
    lines.push(
      why === null
        ? `  body:       ${alternative.rule} allows it`
        : `  body:       ${alternative.rule} does not allow it: ${why}`,
    );
    allowed ||= why === null;
  }
  return { allowed, lines };
}

/** The decision on `method target` for `client`, in lines; and whether it is allowed. */
export function explainRequest(
  policy: Policy,
  matcher: RouteMatcher,
  client: Client,
  method: string,
  rawTarget: string,
  body?: { text: string; read: BodyReader },
): { allowed: boolean; lines: string[] } {
  const lines = [`${method} ${rawTarget}`];
  const target = parseRequestTarget(rawTarget);
  if (isTargetError(target)) {
    lines.push(`  decision:   refused (400): ${target.error}`);
    return { allowed: false, lines };
  }
  const match = matcher.match(method, target.segments);
  lines.push(
    `  canonical:  ${target.path}${target.query}`,
    match === null
      ? "  route:      none: the engine serves no such route"
      : `  route:      ${match.route.method} ${match.route.template} (${match.route.operation}, ${
        match.route.api === "libpod" ? "Podman's libpod API" : "Docker Engine API"
      })`,
  );
  const profile = selectProfile(policy, client);
  lines.push(
    policy.file === null
      ? "  profile:    the environment's"
      : profile.name === ""
      ? "  profile:    none matches this client"
      : `  profile:    ${JSON.stringify(profile.name)}${
        profile.line === null ? "" : ` (line ${profile.line})`
      }, for ${describeMatch(profile.match)}${
        profile.preset ? `, preset ${profile.preset.name}` : ""
      }`,
  );
  const decision = decide(profile, {
    method,
    segments: target.segments,
    query: target.query,
    upgrade: false,
    route: match,
  });
  const operation = decision.operation ? ` (${decision.operation})` : "";
  if (decision.denied) {
    const message = decision.status === 400
      ? `Refused by socket-proxy: ${method} ${target.path}${operation}: ${decision.reason}`
      : `Forbidden by socket-proxy: ${method} ${target.path}${operation} ${decision.reason}`;
    lines.push(
      decision.forward
        ? `  decision:   would be denied (audit mode forwards it): ${decision.reason}`
        : `  decision:   denied (${decision.status}): ${message}`,
    );
    return { allowed: decision.forward, lines };
  }
  if (decision.bodies !== null) {
    const bodies = explainBodies(decision.bodies, decision.operation!, body);
    lines.push(
      bodies.allowed === null
        ? "  decision:   allowed only with a body one of these rules allows"
        : bodies.allowed
        ? "  decision:   allowed with this body"
        : "  decision:   denied (403): no rule allows this body",
      ...bodies.lines,
    );
    if (bodies.allowed === false) return { allowed: false, lines };
  } else {
    lines.push(
      decision.targets === null
        ? `  decision:   allowed by ${decision.reason}`
        : `  decision:   allowed only on containers with ${
          decision.targets.map((selector) => selector.text).join(", or ")
        }`,
    );
  }
  if (decision.oneWay) lines.push("  tunnel:     nothing the client sends reaches the engine");
  return { allowed: true, lines };
}

/**
 * Profiles whose clients can become root on the host: they may create
 * containers and nothing checks what they ask for (`HOST_ACCESS=1`).
 */
export function hostAccessWarnings(policy: Policy, matcher: RouteMatcher): string[] {
  const warnings: string[] = [];
  for (const profile of policy.profiles) {
    if (!profile.admission.hostAccess) continue;
    const creates = ["/containers/create", "/libpod/containers/create"].some((path) => {
      const target = parseRequestTarget(path);
      if (isTargetError(target)) return false;
      const route = matcher.match("POST", target.segments);
      return !decide(profile, {
        method: "POST",
        segments: target.segments,
        query: "",
        upgrade: false,
        route,
      })
        .denied;
    });
    if (!creates) continue;
    const who = policy.file === null
      ? "Clients"
      : `Clients of profile ${JSON.stringify(profile.name)}`;
    warnings.push(
      `${who} may create containers, and HOST_ACCESS=1 lets them ask for anything: a privileged ` +
        "container or a bind mount of / makes them root on the host. Set HOST_ACCESS=0 to refuse " +
        "host access in what they create (see the README's Admission section)",
    );
  }
  return warnings;
}
