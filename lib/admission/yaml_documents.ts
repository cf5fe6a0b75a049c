/**
 * Kubernetes YAML as podman's `kube play` reads it, decoded only when that is
 * unambiguous. Podman splits documents with one YAML library (1.2 rules) and
 * reads each with another (1.1 rules: `yes`, `on`, `0777`, `1_000`, `1:20`
 * are not strings there), into structs matched case-insensitively. So a body
 * is refused (400) when it uses anchors, aliases, merge keys or explicit tags,
 * repeats a key, or reads differently under YAML 1.1 and 1.2; the documents
 * are returned as Go-JSON values for the struct readers.
 */
import type { Document } from "yaml";
import { GoJsonNumber, GoJsonObject, type GoJsonValue } from "./go_json.ts";
import { malformed } from "./refusal.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

type YamlModule = typeof import("yaml");
let yaml: YamlModule | null = null;

/**
 * Loads the YAML parser, which costs some 13 MiB of resident memory: only a
 * proxy that decides a `kube play` body pays for it, on the first one.
 */
export async function loadYaml(): Promise<void> {
  yaml ??= await import("yaml");
}

function parser(): YamlModule {
  if (yaml === null) throw new Error("The YAML parser is not loaded: call loadYaml() first");
  return yaml;
}

function documents(text: string, version: "1.1" | "1.2"): Document.Parsed[] {
  const docs = parser().parseAllDocuments(text, {
    version,
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
  });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) malformed(`Invalid YAML: ${problem.message.split("\n")[0]}`);
  }
  return list;
}

/** Refuses anchors, aliases, tags and directives anywhere in the text (block or flow). */
function refuseIndirection(text: string): void {
  const { CST, Lexer } = parser();
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type === "anchor" || type === "alias") {
      malformed("YAML anchors and aliases are not accepted");
    }
    if (type === "tag") malformed(`YAML tag ${token} is not accepted`);
    if (type === "directive-line") malformed("YAML directives are not accepted");
  }
}

function toGo(value: unknown, depth: number): GoJsonValue {
  if (depth > 64) malformed("YAML nested too deeply");
  if (value === null || value === undefined) return null;
  if (typeof value === "string") {
    if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) {
      malformed("YAML string with a lone surrogate escape");
    }
    return value;
  }
  if (typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) malformed("YAML number is not finite");
    return new GoJsonNumber(String(value));
  }
  if (Array.isArray(value)) return value.map((item) => toGo(item, depth + 1));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return new GoJsonObject(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => ({
        key,
        value: toGo(item, depth + 1),
      })),
    );
  }
  malformed("YAML value of an unsupported type (a timestamp or binary)");
}

/** Parses a multi-document YAML body, or throws a 400 `Refusal`. Empty documents are dropped. */
export function parseKubeYaml(body: Uint8Array): GoJsonValue[] {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    malformed("Body is not valid UTF-8");
  }
  if (text.startsWith("\uFEFF")) malformed("Body starts with a byte order mark");
  refuseIndirection(text);
  const yaml11 = documents(text, "1.1");
  const yaml12 = documents(text, "1.2");
  if (yaml11.length !== yaml12.length) malformed("YAML reads differently under YAML 1.1 and 1.2");
  const out: GoJsonValue[] = [];
  for (const [i, doc] of yaml11.entries()) {
    const a = doc.toJS({ maxAliasCount: 0 });
    const b = yaml12[i].toJS({ maxAliasCount: 0 });
    if (JSON.stringify(a) !== JSON.stringify(b) || hasDate(a) || hasDate(b)) {
      malformed(
        `YAML document ${
          i + 1
        } reads differently under YAML 1.1 and 1.2 (yes/no, octal, timestamps...)`,
      );
    }
    if (a === null || a === undefined) continue;
    out.push(toGo(a, 0));
  }
  return out;
}

function hasDate(value: unknown): boolean {
  if (value instanceof Date || value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.some(hasDate);
  if (typeof value === "object" && value !== null) return Object.values(value).some(hasDate);
  return false;
}
