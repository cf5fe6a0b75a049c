/**
 * Rules of a policy-file profile. A rule allows a set of Engine API routes,
 * named by operation (`ContainerList`, `Container*`) or by method and path
 * template (`GET /containers/{id}/json`, `GET /containers/**`), optionally only
 * with some query parameters (`query:`) and only on containers carrying some
 * labels (`target:`).
 *
 * Rules are compiled once against the route table into sets of route indices,
 * so deciding a request is a set lookup.
 */
import type { RouteSpec } from "../routes/route.ts";
import { operationsMatching, routesMatchingTemplate } from "../routes/route_matcher.ts";
import {
  compileConstraint,
  type ConstraintSpec,
  type QueryConstraint,
} from "./query_constraint.ts";
import { formatLabelMatcher, type LabelMatcher, parseLabelMatcher } from "./labels.ts";
import { closest, nearest } from "../suggest.ts";
import {
  type BodyConstraint,
  BodyConstraintError,
  type BodySpec,
  compileBodyConstraint,
} from "./body_constraint.ts";
import { BODY_KINDS } from "./body_kinds.ts";

export interface RuleSpec {
  allow: string;
  query?: Readonly<Record<string, ConstraintSpec>>;
  /** Labels the target container must carry: `{ autoheal: "true" }`. */
  target?: { labels: Readonly<Record<string, string | null>> };
  /** What the request body may ask for: `{ Cmd: [[nginx, -s, reload]] }`. */
  body?: BodySpec;
}

/** Labels a rule's target container must all carry. */
export interface TargetSelector {
  readonly labels: readonly LabelMatcher[];
  /** For messages: `labels autoheal=true`. */
  readonly text: string;
}

export interface Rule {
  /** 1-based position in its profile. */
  readonly index: number;
  /** What it allows, as written. */
  readonly text: string;
  readonly line: number | null;
  readonly routes: ReadonlySet<number>;
  readonly query: readonly QueryConstraint[];
  readonly target: TargetSelector | null;
  /** What the body may ask for; the body is read and checked before forwarding. */
  readonly body: BodyConstraint | null;
  /** `stdin` is constrained off: a tunnel it allows carries nothing from the client. */
  readonly oneWay: boolean;
  /** The preset it comes from (`preset: traefik`), when it is not the profile's own. */
  readonly preset?: string;
}

/** A rule that cannot be compiled; `key` names the part at fault (`query.signal`). */
export class RuleError extends Error {
  override name = "RuleError";
  constructor(message: string, readonly key: string | null = null) {
    super(message);
  }
}

const METHOD = /^(\*|[A-Z]+) (\/\S*)$/;

/** The route indices `allow` names; throws `RuleError` when it names none. */
export function resolveAllow(routes: readonly RouteSpec[], allow: string): number[] {
  const text = allow.trim();
  const form = METHOD.exec(text);
  if (form !== null) {
    let found: number[];
    try {
      found = routesMatchingTemplate(routes, form[1], form[2]);
    } catch (error) {
      throw new RuleError((error as Error).message); // a malformed pattern
    }
    if (found.length > 0) return found;
    // Suggest by shape: parameter names differ (`{id}` and `{name:.*}`).
    const shape = (template: string) => template.replace(/\{[^}]*\}/g, "{}");
    const templates = new Map(
      routes.map((
        route,
      ) => [shape(`${route.method} ${route.template}`), `${route.method} ${route.template}`]),
    );
    const near = nearest(shape(text), templates.keys());
    throw new RuleError(
      `${JSON.stringify(text)} matches no Docker Engine API route` +
        (near === "" ? "" : ` (did you mean ${templates.get(near)}?)`),
    );
  }
  if (text.startsWith("/") || text.includes(" ")) {
    throw new RuleError(
      `${JSON.stringify(text)} is neither an operation (ContainerList, Container*) nor ` +
        "METHOD /template (GET /containers/{id}/json, GET /containers/**)",
    );
  }
  const found = operationsMatching(routes, text);
  if (found.length > 0) return found;
  const operations = [...new Set(routes.map((route) => route.operation))];
  throw new RuleError(`Unknown operation ${JSON.stringify(text)}` + closest(text, operations));
}

/** Whether a route names a container in its path (`/containers/{name}/...`). */
export function containerParam(route: RouteSpec): string | null {
  const match = /^(?:\/libpod)?\/containers\/\{([A-Za-z]+)(?::[^}]*)?\}/.exec(route.template);
  return match === null ? null : match[1];
}

export function compileRule(
  routes: readonly RouteSpec[],
  spec: RuleSpec,
  index: number,
  line: number | null = null,
): Rule {
  const covered = resolveAllow(routes, spec.allow);
  const query: QueryConstraint[] = [];
  for (const [name, constraint] of Object.entries(spec.query ?? {})) {
    const types = new Set<string>();
    let trueByDefault = false;
    for (const i of covered) {
      trueByDefault ||= routes[i].trueByDefault?.includes(name) ?? false;
      const type = routes[i].query[name];
      if (type === undefined) {
        const known = Object.keys(routes[i].query);
        throw new RuleError(
          `${routes[i].operation} has no query parameter ${JSON.stringify(name)}` +
            (known.length > 0 ? ` (it has: ${known.join(", ")})` : " (it takes none)"),
          `query.${name}`,
        );
      }
      types.add(type);
    }
    try {
      const type = types.size === 1 ? [...types][0] : "string";
      query.push(compileConstraint(name, constraint, type, trueByDefault));
    } catch (error) {
      throw new RuleError((error as Error).message, `query.${name}`);
    }
  }
  let target: TargetSelector | null = null;
  if (spec.target !== undefined) {
    for (const i of covered) {
      if (containerParam(routes[i]) === null) {
        throw new RuleError(
          `target: applies to container routes only, and ${routes[i].operation} ` +
            `(${routes[i].method} ${routes[i].template}) names no container`,
          "target",
        );
      }
    }
    let labels: LabelMatcher[];
    try {
      labels = Object.entries(spec.target.labels).map(([key, value]) =>
        parseLabelMatcher(value === null ? key : `${key}=${value}`)
      );
    } catch (error) {
      throw new RuleError((error as Error).message, "target"); // an empty label name
    }
    if (labels.length === 0) throw new RuleError("target.labels is empty", "target");
    target = { labels, text: `labels ${labels.map(formatLabelMatcher).join(", ")}` };
  }
  let body: BodyConstraint | null = null;
  if (spec.body !== undefined) {
    const operations = covered.map((i) => routes[i].operation);
    try {
      body = compileBodyConstraint(
        spec.body,
        operations,
        operations.map((operation) =>
          Object.hasOwn(BODY_KINDS, operation) ? BODY_KINDS[operation] : undefined
        ),
      );
    } catch (error) {
      if (!(error instanceof BodyConstraintError)) throw error;
      throw new RuleError(error.message, error.field === null ? "body" : `body.${error.field}`);
    }
  }
  return {
    index,
    text: spec.allow.trim(),
    line,
    routes: new Set(covered),
    query,
    target,
    body,
    oneWay: query.some((constraint) => constraint.name === "stdin" && constraint.forcesFalse),
  };
}
