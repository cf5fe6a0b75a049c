/**
 * Routes of the engine's API: what `route_table.ts` lists, one entry per
 * method and path template, in the order the engine's router tries them.
 *
 * Templates keep the routers' syntax (gorilla/mux): `{id}` is one path segment,
 * `{name:.*}` and `{id:.+}` span one or more segments (`GET /images/{name:.*}/json`
 * serves `GET /images/ghcr.io/acme/app:1/json`). Params always fill whole
 * segments. A template never holds the `/vX.Y` version prefix: the engine serves
 * every route with and without it.
 */

/** A query parameter's type, as the API's swagger declares it. */
export type ParamType = "boolean" | "integer" | "number" | "string" | "array" | "object";

/** One route the engine serves. */
export interface RouteSpec {
  /** The swagger's operation id (`ContainerList`), `Libpod`-prefixed for libpod routes. */
  operation: string;
  /** `GET`, `HEAD`, `POST`, `PUT`, `DELETE` or `OPTIONS`: only this method matches. */
  method: string;
  /** The router's template: `/containers/{name:.*}/json`, `/libpod/containers/{name}/json`. */
  template: string;
  /** `libpod` for Podman's own API (paths under `/libpod`), `docker` for the Engine API. */
  api: "docker" | "libpod";
  /**
   * The first API version that has it. Docker: the first swagger from v1.25 on
   * that documents it, or the router's minimum version. Libpod: `"4"` for the
   * manifests routes Podman serves only behind a `/v4`…`/v9` prefix.
   */
  since?: string;
  /**
   * The last API version that has it, when newer ones dropped it. Libpod: `"3"`
   * for the manifests routes Podman serves only behind a `/v0`…`/v3` prefix.
   */
  until?: string;
  /** The documented query parameters and their types (union over versions). */
  query: Readonly<Record<string, ParamType>>;
  /** Boolean parameters the engine reads as true when they are absent (`stream` of stats). */
  trueByDefault?: readonly string[];
  /**
   * Where it comes from: moby's `swagger`, moby's `router` only (undocumented),
   * or `podman`'s routers (libpod routes, and compat routes moby lacks).
   */
  source: "swagger" | "router" | "podman";
}

const SOURCES: Readonly<Record<string, RouteSpec["source"]>> = {
  s: "swagger",
  r: "router",
  p: "podman",
};

const PARAM_TYPES: Readonly<Record<string, ParamType>> = {
  b: "boolean",
  i: "integer",
  n: "number",
  s: "string",
  a: "array",
  o: "object",
};

/** The one-letter code of each param type, for the compact table rows. */
export const PARAM_TYPE_CODES: Readonly<Record<ParamType, string>> = {
  boolean: "b",
  integer: "i",
  number: "n",
  string: "s",
  array: "a",
  object: "o",
};

/**
 * Builds a `RouteSpec` from a compact table row: a source code (`s`, `r`, `p`),
 * the operation, `"METHOD /template"`, the query as space-separated `name:type`
 * pairs with one-letter types (`"all:b limit:i"`), and optional versions.
 */
export function routeSpec(
  source: string,
  operation: string,
  route: string,
  query = "",
  since = "",
  until = "",
): RouteSpec {
  const space = route.indexOf(" ");
  const template = route.slice(space + 1);
  const params: Record<string, ParamType> = {};
  const trueByDefault: string[] = [];
  for (const pair of query.split(" ")) {
    if (pair === "") continue;
    const colon = pair.lastIndexOf(":");
    // `B`: a boolean that is true when absent.
    if (pair.slice(colon + 1) === "B") trueByDefault.push(pair.slice(0, colon));
    const type = PARAM_TYPES[pair.slice(colon + 1).toLowerCase()];
    if (colon <= 0 || type === undefined) throw new Error(`Bad query parameter in table: ${pair}`);
    params[pair.slice(0, colon)] = type;
  }
  const spec: RouteSpec = {
    operation,
    method: route.slice(0, space),
    template,
    api: template === "/libpod" || template.startsWith("/libpod/") ? "libpod" : "docker",
    query: Object.freeze(params),
    source: SOURCES[source],
  };
  if (spec.source === undefined) throw new Error(`Bad route source in table: ${source}`);
  if (trueByDefault.length > 0) spec.trueByDefault = Object.freeze(trueByDefault);
  if (since !== "") spec.since = since;
  if (until !== "") spec.until = until;
  return Object.freeze(spec);
}
