/**
 * A JSON decoder that reads a body the way the engines (Go's encoding/json)
 * do, and refuses what they would read differently from a naive parser.
 *
 * It keeps every object's keys in the order sent, duplicates included, so a
 * caller can see what Go would do: match keys to struct fields
 * case-insensitively, with Unicode simple case folding (`"Bindſ"` is `Binds`,
 * the KELVIN SIGN folds to `k`), the last of several matching keys winning.
 * `GoJsonObject.field()` is that lookup, returning the key as sent.
 *
 * Refused as malformed (`GoJsonError`): invalid UTF-8 (Go would silently turn
 * it into U+FFFD), a byte order mark, anything but whitespace after the value
 * (old engines ignore it, newer ones refuse it), lone surrogate escapes (Go
 * turns them into U+FFFD), control characters in strings, and nesting deeper
 * than `MAX_DEPTH`. Numbers keep their literal text, so a caller can decide
 * exactly as Go would whether one fits an integer field.
 */
import { goFoldName } from "./go_fold.ts";

export { goFoldName };

/** Deepest nesting accepted; Go allows 10000, real bodies use fewer than 10. */
export const MAX_DEPTH = 512;

export type GoJsonValue =
  | null
  | boolean
  | string
  | GoJsonNumber
  | GoJsonValue[]
  | GoJsonObject;

/** A JSON number, kept as its literal text. */
export class GoJsonNumber {
  constructor(readonly text: string) {}

  /** Whether Go would decode it into an integer type: no fraction, no exponent. */
  get isInteger(): boolean {
    return /^-?(0|[1-9][0-9]*)$/.test(this.text);
  }

  /** The value as a BigInt, when it is an integer literal. */
  toBigInt(): bigint | undefined {
    return this.isInteger ? BigInt(this.text) : undefined;
  }

  toString(): string {
    return this.text;
  }
}

/** One key of an object, as sent (after unescaping), with its value. */
export interface GoJsonEntry {
  readonly key: string;
  readonly value: GoJsonValue;
}

/** A JSON object with its keys in the order sent, duplicates kept. */
export class GoJsonObject {
  constructor(readonly entries: readonly GoJsonEntry[]) {}

  /** The keys as sent, in order. */
  keys(): string[] {
    return this.entries.map((entry) => entry.key);
  }

  /**
   * The entries Go would decode into the struct field `name`: keys equal to it
   * under Go's case folding, in order (Go keeps the last one).
   */
  field(name: string): GoJsonEntry[] {
    const folded = goFoldName(name);
    return this.entries.filter((entry) => goFoldName(entry.key) === folded);
  }

  /** The entries with exactly this key, in order (map semantics). */
  exact(key: string): GoJsonEntry[] {
    return this.entries.filter((entry) => entry.key === key);
  }

  /** The first pair of keys that Go would take for the same struct field. */
  foldCollision(): [string, string] | undefined {
    const seen = new Map<string, string>();
    for (const { key } of this.entries) {
      const folded = goFoldName(key);
      const previous = seen.get(folded);
      if (previous !== undefined) return [previous, key];
      seen.set(folded, key);
    }
    return undefined;
  }

  /** The first key sent twice exactly (for map-typed objects). */
  duplicateKey(): string | undefined {
    const seen = new Set<string>();
    for (const { key } of this.entries) {
      if (seen.has(key)) return key;
      seen.add(key);
    }
    return undefined;
  }
}

export class GoJsonError extends Error {
  override name = "GoJsonError";
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Parses a request body as Go would, or throws `GoJsonError`. */
export function parseGoJson(body: Uint8Array): GoJsonValue {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    throw new GoJsonError("Body is not valid UTF-8", 0);
  }
  return parseGoJsonText(text);
}

/** Parses JSON text (already decoded) with the same rules as `parseGoJson`. */
export function parseGoJsonText(text: string): GoJsonValue {
  const parser = new Parser(text);
  parser.skipSpace();
  if (parser.pos >= text.length) throw new GoJsonError("Body is empty", 0);
  const value = parser.value(0);
  parser.skipSpace();
  if (parser.pos < text.length) {
    throw new GoJsonError(
      `Unexpected content after the JSON value at offset ${parser.pos}`,
      parser.pos,
    );
  }
  return value;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    const char = this.text[this.pos];
    const found = char === undefined ? "end of body" : JSON.stringify(char);
    throw new GoJsonError(`Invalid JSON at offset ${this.pos}: ${what}, found ${found}`, this.pos);
  }

  skipSpace(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  value(depth: number): GoJsonValue {
    if (depth > MAX_DEPTH) {
      throw new GoJsonError(`JSON nested deeper than ${MAX_DEPTH} levels`, this.pos);
    }
    const c = this.text[this.pos];
    switch (c) {
      case "{":
        return this.object(depth);
      case "[":
        return this.array(depth);
      case '"':
        return this.string();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      default:
        if (c === "-" || (c >= "0" && c <= "9")) return this.number();
        this.fail("expected a value");
    }
  }

  literal<T>(word: string, value: T): T {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    this.fail(`expected ${word}`);
  }

  number(): GoJsonNumber {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail("expected a number");
    this.pos += match[0].length;
    const next = this.text[this.pos];
    if (next !== undefined && /[0-9.eE+\-]/.test(next)) this.fail("malformed number");
    return new GoJsonNumber(match[0]);
  }

  string(): string {
    const text = this.text;
    this.pos++; // opening quote
    let out = "";
    let start = this.pos;
    while (true) {
      if (this.pos >= text.length) this.fail("unterminated string");
      const c = text.charCodeAt(this.pos);
      if (c === 0x22) {
        out += text.slice(start, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail("control character in string");
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += text.slice(start, this.pos);
      const escape = text[this.pos + 1];
      const simple: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      if (escape !== undefined && Object.hasOwn(simple, escape)) {
        out += simple[escape];
        this.pos += 2;
      } else if (escape === "u") {
        const unit = this.hex4(this.pos + 2);
        this.pos += 6;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (text[this.pos] !== "\\" || text[this.pos + 1] !== "u") {
            this.fail("lone surrogate escape (Go would read U+FFFD)");
          }
          const low = this.hex4(this.pos + 2);
          if (low < 0xdc00 || low > 0xdfff) {
            this.fail("lone surrogate escape (Go would read U+FFFD)");
          }
          this.pos += 6;
          out += String.fromCharCode(unit, low);
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          this.fail("lone surrogate escape (Go would read U+FFFD)");
        } else {
          out += String.fromCharCode(unit);
        }
      } else {
        this.pos++;
        this.fail("invalid escape");
      }
      start = this.pos;
    }
  }

  hex4(at: number): number {
    const digits = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) {
      this.pos = at;
      this.fail("expected four hex digits");
    }
    return parseInt(digits, 16);
  }

  array(depth: number): GoJsonValue[] {
    this.pos++;
    const items: GoJsonValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return items;
    }
    while (true) {
      this.skipSpace();
      items.push(this.value(depth + 1));
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
      } else if (c === "]") {
        this.pos++;
        return items;
      } else {
        this.fail("expected , or ]");
      }
    }
  }

  object(depth: number): GoJsonObject {
    this.pos++;
    const entries: GoJsonEntry[] = [];
    this.skipSpace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return new GoJsonObject(entries);
    }
    while (true) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail("expected a key");
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos] !== ":") this.fail("expected :");
      this.pos++;
      this.skipSpace();
      entries.push({ key, value: this.value(depth + 1) });
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
      } else if (c === "}") {
        this.pos++;
        return new GoJsonObject(entries);
      } else {
        this.fail("expected , or }");
      }
    }
  }
}

/** A short description of a value's JSON type, for error messages. */
export function jsonTypeName(value: GoJsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return "a boolean";
  if (typeof value === "string") return "a string";
  if (value instanceof GoJsonNumber) return "a number";
  if (Array.isArray(value)) return "an array";
  return "an object";
}
