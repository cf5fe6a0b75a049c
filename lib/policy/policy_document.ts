/**
 * A policy file as a tree of values that remember their line, so that every
 * configuration error can name the file and the line. YAML (with `npm:yaml`,
 * YAML 1.2: `yes` is a string, duplicate keys are errors) or JSON, which YAML
 * reads too.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

export type DocNode =
  | { kind: "map"; line: number; entries: DocEntry[] }
  | { kind: "list"; line: number; items: DocNode[] }
  | { kind: "scalar"; line: number; value: string | number | boolean | null };

export interface DocEntry {
  key: string;
  line: number;
  value: DocNode;
}

/** A problem in a policy file, at a line (1-based; 0 when the file as a whole is at fault). */
export class DocumentError extends Error {
  override name = "DocumentError";
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

/** Parses `text`; throws `DocumentError` for a malformed file. */
export function parseDocumentTree(text: string): DocNode {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? 0 : lines.linePos(offset).line;
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    throw new DocumentError(lineOf(error.pos[0]), `Invalid YAML: ${error.message.split("\n")[0]}`);
  }
  const seen = new Set<unknown>();
  const convert = (node: unknown): DocNode => {
    let target = node;
    if (isAlias(target)) target = target.resolve(doc);
    const line = lineOf((target as Node | undefined)?.range?.[0]);
    if (target === null || target === undefined) return { kind: "scalar", line, value: null };
    if (seen.has(target)) throw new DocumentError(line, "A YAML alias refers to itself");
    if (isMap(target)) {
      seen.add(target);
      const entries: DocEntry[] = [];
      for (const pair of target.items) {
        const key = pair.key;
        const keyLine = lineOf((key as Node | undefined)?.range?.[0]) || line;
        if (!isScalar(key) || typeof key.value !== "string") {
          throw new DocumentError(keyLine, "Map keys must be plain strings");
        }
        entries.push({ key: key.value, line: keyLine, value: convert(pair.value) });
      }
      seen.delete(target);
      return { kind: "map", line, entries };
    }
    if (isSeq(target)) {
      seen.add(target);
      const items = target.items.map(convert);
      seen.delete(target);
      return { kind: "list", line, items };
    }
    if (isScalar(target)) {
      const value = target.value;
      if (
        value === null || typeof value === "string" || typeof value === "number" ||
        typeof value === "boolean"
      ) return { kind: "scalar", line, value };
      throw new DocumentError(line, `Unsupported YAML value ${String(value)}`);
    }
    throw new DocumentError(line, "Unsupported YAML node");
  };
  return convert(doc.contents);
}

/** The plain value of a node (maps as objects, lists as arrays), for settings parsers. */
export function plainValue(node: DocNode): unknown {
  if (node.kind === "scalar") return node.value;
  if (node.kind === "list") return node.items.map(plainValue);
  return Object.fromEntries(node.entries.map((entry) => [entry.key, plainValue(entry.value)]));
}

/** Describes a node's kind for messages: `a list`, `the text "x"`. */
export function describeNode(node: DocNode): string {
  if (node.kind === "map") return "a map";
  if (node.kind === "list") return "a list";
  return node.value === null ? "nothing" : `${typeof node.value} ${JSON.stringify(node.value)}`;
}
