/**
 * The query parameters of one swagger operation, with their types.
 */
import type { ParamType } from "../../lib/routes/route.ts";

const TYPES = new Set<string>(["boolean", "integer", "number", "string", "array", "object"]);

/**
 * Collects the `in: query` parameters of `parameters` (a swagger parameter
 * list; `$ref`s resolved in `shared`, the document's `parameters`).
 */
export function swaggerQuery(
  parameters: unknown,
  where: string,
  shared: Record<string, unknown> = {},
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
    const { in: place, name, type } = param as { in?: string; name?: string; type?: string };
    if (place !== "query") continue;
    if (typeof name !== "string" || typeof type !== "string" || !TYPES.has(type)) {
      throw new Error(`Query parameter without a known type: ${where} ${name}: ${type}`);
    }
    query[name] = type as ParamType;
  }
  return query;
}
