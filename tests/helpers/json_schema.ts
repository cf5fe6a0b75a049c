/**
 * A small JSON Schema checker for the subset `policy.schema.json` uses (type,
 * enum, const, pattern, properties, additionalProperties, required, items,
 * minItems, minProperties, oneOf, anyOf, $ref to $defs). Returns the paths
 * that fail; enough to show the schema accepts what the loader accepts.
 */
type Schema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const check = (schema: Schema, value: unknown, path: string): boolean => {
    const before = errors.length;
    if (typeof schema.$ref === "string") {
      const name = schema.$ref.replace("#/$defs/", "");
      return check((root.$defs as Record<string, Schema>)[name], value, path);
    }
    const fail = (what: string) => errors.push(`${path || "/"}: ${what}`);
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? schema.type : [schema.type];
      const type = typeOf(value);
      if (!types.includes(type) && !(type === "integer" && types.includes("number"))) {
        fail(`want ${types.join(" or ")}, got ${type}`);
      }
    }
    if (schema.const !== undefined && value !== schema.const) fail(`want ${schema.const}`);
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) fail("not one of the enum");
    if (typeof schema.pattern === "string" && typeof value === "string") {
      if (!new RegExp(schema.pattern, "u").test(value)) fail(`does not match ${schema.pattern}`);
    }
    if (Array.isArray(value)) {
      if (typeof schema.minItems === "number" && value.length < schema.minItems) fail("too short");
      if (schema.items) {
        value.forEach((item, i) => check(schema.items as Schema, item, `${path}/${i}`));
      }
    }
    if (typeOf(value) === "object") {
      const object = value as Record<string, unknown>;
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      if (
        typeof schema.minProperties === "number" &&
        Object.keys(object).length < schema.minProperties
      ) {
        fail("too few properties");
      }
      for (const name of (schema.required ?? []) as string[]) {
        if (!(name in object)) fail(`missing ${name}`);
      }
      for (const [key, item] of Object.entries(object)) {
        if (Object.hasOwn(properties, key)) check(properties[key], item, `${path}/${key}`);
        else if (schema.additionalProperties === false) fail(`unknown property ${key}`);
        else if (typeof schema.additionalProperties === "object") {
          check(schema.additionalProperties as Schema, item, `${path}/${key}`);
        }
      }
    }
    for (const [keyword, need] of [["oneOf", 1], ["anyOf", 0]] as const) {
      const options = schema[keyword] as Schema[] | undefined;
      if (!options) continue;
      const passing = options.filter((option) => {
        const mark = errors.length;
        const ok = check(option, value, path);
        errors.length = mark;
        return ok;
      }).length;
      if (need === 1 ? passing !== 1 : passing === 0) {
        fail(`${keyword}: ${passing} alternatives fit`);
      }
    }
    return errors.length === before;
  };
  check(root, value, "");
  return errors;
}
