/**
 * Route templates in the routers' (gorilla/mux) syntax, split into segments.
 *
 * `{id}` matches one segment; `{name:.*}` and `{id:.+}` match one
 * or more (the regex also spans `/`). mux would let `.*` match nothing, but on
 * a canonical path (no empty segments) that is only possible for a template
 * that is a single `.*` param, which then also matches `/`. Other regexes, and
 * params sharing a segment with text, are refused: the engines use neither.
 */

export type TemplateSegment =
  | { kind: "literal"; text: string }
  | { kind: "param"; name: string; multi: boolean; min: 0 | 1 };

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(?::(.*))?\}$/;

/** Splits a route template into its segments; throws on syntax the matcher cannot honour. */
export function parseRouteTemplate(template: string): TemplateSegment[] {
  if (!template.startsWith("/")) throw new Error(`Route template must start with /: ${template}`);
  if (template === "/") return [];
  const parts = template.slice(1).split("/");
  const segments = parts.map((part): TemplateSegment => {
    const param = PARAM.exec(part);
    if (param === null) {
      if (part.includes("{") || part.includes("}")) {
        throw new Error(`Route template param must fill a whole segment: ${template}`);
      }
      return { kind: "literal", text: part };
    }
    const regex = param[2];
    if (regex === undefined) {
      return { kind: "param", name: param[1], multi: false, min: 1 };
    }
    if (regex === ".*" || regex === ".+") {
      return { kind: "param", name: param[1], multi: true, min: 1 };
    }
    throw new Error(`Unsupported route template param regex ${regex}: ${template}`);
  });
  const only = segments[0];
  if (segments.length === 1 && only.kind === "param" && only.multi && /:\.\*\}$/.test(parts[0])) {
    segments[0] = { ...only, min: 0 };
  }
  return segments;
}

/**
 * The template with every param written `{}`: two templates with the same shape
 * name the same paths position by position (`/containers/{id}/json` and
 * `/containers/{name:.*}/json`).
 */
export function templateShape(template: string): string {
  return template.replace(/\{[^{}]*\}/g, "{}");
}
