/**
 * The query parameters of one swagger operation, with their types.
 */
import type { ParamType } from "../../lib/routes/route.ts";

const TYPES = new Set<string>(["boolean", "integer", "number", "string", "array", "object"]);

/**
 * Collects the `in: query` parameters of `parameters` (a swagger parameter
 * list; `$ref`s resolved in `shared`, the document's `parameters`); the
 * booleans whose default is true are added to `trueByDefault`.
 */
export function swaggerQuery(
  parameters: unknown,
  where: string,
  shared: Record<string, unknown> = {},
  trueByDefault: Set<string> = new Set(),
): Record<string, ParamType> {
  const query: Record<string, ParamType> = {};
  if (parameters === undefined || parameters === null) return query;
  if (!Array.isArray(parameters)) throw new Error(`Parameters are not a list: ${where}`);
  for (let param of parameters) {
    const ref = (param as { $ref?: string })?.$ref;
    if (typeof ref === "string") {
      param = shared[ref.replace(/^#\/parameters\//, "")];
      if (param === undefined) throw new Error(`Unresolved parameter ${ref}: ${where}`);
    }
    const { in: place, name, type, default: fallback } = param as {
      in?: string;
      name?: string;
      type?: string;
      default?: unknown;
    };
    if (place !== "query") continue;
    if (typeof name !== "string" || typeof type !== "string" || !TYPES.has(type)) {
      throw new Error(`Query parameter without a known type: ${where} ${name}: ${type}`);
    }
    query[name] = type as ParamType;
    // A boolean the engine reads as true when it is absent (`stream` of stats).
    if (type === "boolean" && fallback === true) trueByDefault.add(name);
  }
  return query;
}
