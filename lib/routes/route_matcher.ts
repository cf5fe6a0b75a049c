/**
 * Resolves a canonical request (method and path segments after the version
 * prefix) to the route the engine would run, the way its router does: routes
 * are tried in table order and the first whose method and template both match
 * wins. Matching is case-sensitive and by whole segments; a multi-segment param
 * (`{name:.*}`) takes one or more segments, as many as still let the literal
 * segments after it match. The method must be the route's own: the engine does
 * not serve `HEAD` from a `GET` route.
 *
 * Also resolves the patterns a user writes in rules against the table:
 * `routesMatchingTemplate` for `METHOD /path/{param}/**` patterns and
 * `operationsMatching` for operation-name globs.
 *
 * `lib/routes/`: the Engine API's routes (the generated table) and how the engines match them.
 * Imports only `lib/`'s root.
 */
import type { RouteSpec } from "./route.ts";
import { parseRouteTemplate, type TemplateSegment } from "./route_template.ts";

export interface RouteMatch {
  route: RouteSpec;
  /** The route's position in the table. */
  index: number;
  /** Param values; a multi-segment param's segments are joined with `/`. */
  params: Readonly<Record<string, string>>;
}

interface Compiled {
  index: number;
  route: RouteSpec;
  segments: TemplateSegment[];
  multi: boolean;
  /** The fewest path segments the template can match. */
  min: number;
}

/** Candidate routes, in table order: their indices, compiled when a request first needs them. */
interface Candidates {
  indices: number[];
  compiled: Compiled[] | null;
}

interface MethodIndex {
  /** Candidates per literal first segment. */
  byFirst: Map<string, Candidates>;
  /** Candidates for any other first segment: routes starting with a param. */
  other: Candidates;
}

/** A template's first segment when it is literal text; `null` for a param or none. */
function literalFirst(template: string): string | null {
  if (template === "/") return null;
  const end = template.indexOf("/", 1);
  const first = end < 0 ? template.slice(1) : template.slice(1, end);
  return first.startsWith("{") ? null : first;
}

function compile(route: RouteSpec, index: number): Compiled {
  const segments = parseRouteTemplate(route.template);
  let multi = false;
  let min = 0;
  for (const segment of segments) {
    if (segment.kind === "param" && segment.multi) multi = true;
    min += segment.kind === "param" ? segment.min : 1;
  }
  return { index, route, segments, multi, min };
}

/**
 * Whether `path[from..]` matches `template[at..]`; records each segment's
 * extent in `ends` (the path index after it). Multi-segment params are greedy,
 * like the `.*` in the router's regex.
 */
function matchFrom(
  template: readonly TemplateSegment[],
  at: number,
  path: readonly string[],
  from: number,
  ends: number[],
): boolean {
  for (let t = at, p = from; t < template.length; t++) {
    const segment = template[t];
    if (segment.kind === "param" && segment.multi) {
      let rest = 0;
      for (let u = t + 1; u < template.length; u++) {
        const next = template[u];
        rest += next.kind === "param" ? next.min : 1;
      }
      for (let take = path.length - p - rest; take >= segment.min; take--) {
        ends[t] = p + take;
        if (matchFrom(template, t + 1, path, p + take, ends)) return true;
      }
      return false;
    }
    if (p >= path.length) return false;
    if (segment.kind === "literal" && segment.text !== path[p]) return false;
    ends[t] = ++p;
    if (t === template.length - 1) return p === path.length;
  }
  return from === path.length; // nothing left of the template
}

function paramsOf(
  template: readonly TemplateSegment[],
  path: readonly string[],
  ends: readonly number[],
): Record<string, string> {
  const params: Record<string, string> = {};
  let start = 0;
  for (let t = 0; t < template.length; t++) {
    const segment = template[t];
    if (segment.kind === "param") {
      params[segment.name] = segment.multi ? path.slice(start, ends[t]).join("/") : path[start];
    }
    start = ends[t];
  }
  return params;
}

/** The engine's route lookup over a route table. */
export class RouteMatcher {
  #routes: readonly RouteSpec[];
  #compiled: Compiled[] = [];
  #methods = new Map<string, MethodIndex>();
  #ends: number[] = [];

  /**
   * Groups the routes by method and first segment; a group's templates are
   * parsed when a request first needs them. (Built at start: parsing every
   * template then, or passing over a method's routes once per first segment,
   * is work enough for V8 to spend megabytes optimizing it.)
   */
  constructor(routes: readonly RouteSpec[]) {
    this.#routes = routes;
    const byMethod = new Map<string, { index: number; first: string | null }[]>();
    routes.forEach((route, index) => {
      const list = byMethod.get(route.method) ?? [];
      list.push({ index, first: literalFirst(route.template) });
      byMethod.set(route.method, list);
    });
    for (const [method, list] of byMethod) {
      // Each literal first segment's routes and those starting with a param, in one pass.
      const byFirst = new Map<string, Candidates>();
      for (const { first } of list) {
        if (first !== null) byFirst.set(first, { indices: [], compiled: null });
      }
      const other: Candidates = { indices: [], compiled: null };
      for (const { index, first } of list) {
        if (first !== null) {
          byFirst.get(first)!.indices.push(index);
        } else {
          for (const candidates of byFirst.values()) candidates.indices.push(index);
          other.indices.push(index);
        }
      }
      this.#methods.set(method, { byFirst, other });
    }
  }

  #candidates(candidates: Candidates): Compiled[] {
    return candidates.compiled ??= candidates.indices.map((index) =>
      this.#compiled[index] ??= compile(this.#routes[index], index)
    );
  }

  /** The first route serving `method` on `segments`, or `null`. */
  match(method: string, segments: readonly string[]): RouteMatch | null {
    const index = this.#methods.get(method);
    if (index === undefined) return null;
    const candidates = this.#candidates(
      segments.length > 0 ? index.byFirst.get(segments[0]) ?? index.other : index.other,
    );
    const ends = this.#ends;
    for (const c of candidates) {
      if (c.multi ? segments.length < c.min : segments.length !== c.min) continue;
      if (!matchFrom(c.segments, 0, segments, 0, ends)) continue;
      return { route: c.route, index: c.index, params: paramsOf(c.segments, segments, ends) };
    }
    return null;
  }
}

type PatternSegment =
  | { kind: "literal"; text: string }
  | { kind: "glob"; regex: RegExp }
  | { kind: "param" }
  | { kind: "any" };

function globRegex(glob: string): RegExp {
  const body = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp("^" + body.join(".*") + "$");
}

function parsePattern(template: string): PatternSegment[] {
  if (!template.startsWith("/")) throw new Error(`Route pattern must start with /: ${template}`);
  if (template === "/") return [];
  return template.slice(1).split("/").map((part): PatternSegment => {
    if (part === "") throw new Error(`Empty segment in route pattern: ${template}`);
    if (part === "**") return { kind: "any" };
    if (/^\{[^{}]*\}$/.test(part)) return { kind: "param" };
    if (part.includes("{") || part.includes("}")) {
      throw new Error(`Route pattern param must fill a whole segment: ${template}`);
    }
    if (part.includes("**")) throw new Error(`** must fill a whole segment: ${template}`);
    return part.includes("*") ? { kind: "glob", regex: globRegex(part) } : {
      kind: "literal",
      text: part,
    };
  });
}

function patternMatches(
  pattern: readonly PatternSegment[],
  at: number,
  template: readonly TemplateSegment[],
  from: number,
): boolean {
  if (at === pattern.length) return from === template.length;
  const want = pattern[at];
  if (want.kind === "any") {
    for (let next = from; next <= template.length; next++) {
      if (patternMatches(pattern, at + 1, template, next)) return true;
    }
    return false;
  }
  if (from === template.length) return false;
  const have = template[from];
  const ok = want.kind === "param" ? have.kind === "param" : have.kind === "literal" &&
    (want.kind === "literal" ? want.text === have.text : want.regex.test(have.text));
  return ok && patternMatches(pattern, at + 1, template, from + 1);
}

/**
 * The indices of the routes a rule's `METHOD /template` pattern names, in
 * table order. `method` may be `*` (any). In the template, `{anything}` stands
 * for a route param at that position (single- or multi-segment), `*` inside a
 * segment globs over literal segments, and a `**` segment stands for any number
 * (0+) of segments: `GET /containers/{id}/json`, `GET /containers/**`,
 * `* /images/{name}`. Throws on a malformed pattern.
 */
export function routesMatchingTemplate(
  routes: readonly RouteSpec[],
  method: string,
  template: string,
): number[] {
  const pattern = parsePattern(template);
  const found: number[] = [];
  routes.forEach((route, index) => {
    if (method !== "*" && method !== route.method) return;
    if (patternMatches(pattern, 0, parseRouteTemplate(route.template), 0)) found.push(index);
  });
  return found;
}

/** The indices of the routes whose operation matches `glob` (`*` is any text; case-sensitive). */
export function operationsMatching(routes: readonly RouteSpec[], glob: string): number[] {
  const regex = globRegex(glob);
  const found: number[] = [];
  routes.forEach((route, index) => {
    if (regex.test(route.operation)) found.push(index);
  });
  return found;
}
