/**
 * Globs for names, references and values: `*` matches any run of characters
 * but `/`, `**` any run including `/`; everything else is literal.
 */

export interface Glob {
  /** As written. */
  readonly text: string;
  test(value: string): boolean;
}

const SPECIAL = /[.+?^${}()|[\]\\]/g;

export function isGlob(text: string): boolean {
  return text.includes("*");
}

/** Compiles `text`; a text without `*` matches only itself. */
export function compileGlob(text: string): Glob {
  if (!isGlob(text)) return { text, test: (value) => value === text };
  let source = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "*") {
      source += text[i].replace(SPECIAL, "\\$&");
    } else if (text[i + 1] === "*") {
      source += ".*";
      i++;
    } else {
      source += "[^/]*";
    }
  }
  const pattern = new RegExp(`^${source}$`, "s");
  return { text, test: (value) => pattern.test(value) };
}
