/**
 * The engine's `filters` query parameter, merged with a scope's own filters.
 * The engine reads it as a JSON map from filter name to values, in one of two
 * formats (`{"label":{"a=b":true}}`, or the legacy `{"label":["a=b"]}`); values
 * of one name are alternatives, except `label`, whose values must all hold.
 * So a scope's labels are added to the client's: the engine then answers what
 * both ask for. `foldNames`: the engine is Podman, whose query names match
 * case-insensitively.
 */
import { goFoldName } from "../admission/go_json.ts";
import {
  foldedValues,
  isQueryError,
  parseQuery,
  unescapeComponent,
} from "../policy/query_params.ts";

type Filters = Record<string, unknown>;

/** Adds `values` under `name` in `filters`, in the format it already uses. */
function addValues(filters: Filters, name: string, values: readonly string[]): boolean {
  const current = filters[name];
  if (current === undefined || current === null) {
    const legacy = Object.values(filters).some(Array.isArray);
    filters[name] = legacy ? [...values] : Object.fromEntries(values.map((v) => [v, true]));
    return true;
  }
  if (Array.isArray(current)) {
    if (!current.every((value) => typeof value === "string")) return false;
    current.push(...values);
    return true;
  }
  if (typeof current === "object") {
    for (const value of values) (current as Record<string, boolean>)[value] = true;
    return true;
  }
  return false;
}

/**
 * The query `rawQuery` (with its `?`, or `""`) with `values` added to the
 * filter `name`; other parameters stay as sent. `null` when the client's
 * filters cannot be merged unambiguously (given twice, not a JSON map, a
 * malformed query): the caller then leaves the query alone and relies on
 * filtering the answer.
 */
export function addFilterValues(
  rawQuery: string,
  name: string,
  values: readonly string[],
  foldNames = false,
): string | null {
  const params = parseQuery(rawQuery);
  if (isQueryError(params)) return null;
  // Podman matches `Filters` as `filters`: every spelling is one parameter.
  const given = foldNames ? foldedValues(params, "filters", goFoldName) : params.get("filters");
  if (given !== undefined && given.length !== 1) return null;
  let filters: Filters = {};
  if (given !== undefined && given[0].trim() !== "") {
    try {
      filters = JSON.parse(given[0]);
    } catch {
      return null;
    }
    if (filters === null || typeof filters !== "object" || Array.isArray(filters)) return null;
  }
  if (!addValues(filters, name, values)) return null;
  const encoded = "filters=" + encodeURIComponent(JSON.stringify(filters));
  const pairs = rawQuery.replace(/^\?/, "").split("&").filter((pair) => pair !== "");
  const at = pairs.findIndex((pair) => {
    const key = unescapeComponent(pair.includes("=") ? pair.slice(0, pair.indexOf("=")) : pair);
    return key !== null &&
      (foldNames ? goFoldName(key) === goFoldName("filters") : key === "filters");
  });
  if (at >= 0) pairs[at] = encoded;
  else pairs.push(encoded);
  return "?" + pairs.join("&");
}
