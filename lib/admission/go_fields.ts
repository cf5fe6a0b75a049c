/**
 * Reading decoded JSON as Go's encoding/json fills a struct: a known set of
 * fields matched case-insensitively, `null` leaving a field at its zero value,
 * a value of the wrong JSON type an error. Every problem throws a `Refusal`:
 * keys that collide under case folding, non-ASCII keys and type mismatches are
 * 400; a key that matches no known field is 403, because it may be a field of
 * a newer engine that grants host access.
 */
import {
  goFoldName,
  GoJsonNumber,
  GoJsonObject,
  type GoJsonValue,
  jsonTypeName,
} from "./go_json.ts";
import { forbid, malformed, quote } from "./refusal.ts";

/** Where a value sits in the body, for messages: `HostConfig.Mounts[0].Source`. */
export class Where {
  constructor(readonly path: string, readonly note = "") {}

  /** A struct field. */
  child(name: string): Where {
    return new Where(this.path === "" ? name : `${this.path}.${name}`, this.note);
  }

  /** An array element. */
  index(i: number): Where {
    return new Where(`${this.path}[${i}]`, this.note);
  }

  /** A map entry. */
  key(key: string): Where {
    return new Where(`${this.path}[${quote(key)}]`, this.note);
  }

  /** The path with its note: `Privileged (at the body's root, ...)`. */
  get label(): string {
    return (this.path === "" ? "The body" : this.path) + this.note;
  }
}

/** A struct's present fields, by canonical name, with the key as sent. */
export class Struct {
  constructor(
    readonly where: Where,
    readonly fields: ReadonlyMap<string, { key: string; value: GoJsonValue }>,
  ) {}

  has(name: string): boolean {
    return this.fields.has(name);
  }

  /** The field's value; `undefined` when absent (`null` when sent as null). */
  get(name: string): GoJsonValue | undefined {
    return this.fields.get(name)?.value;
  }

  at(name: string): Where {
    return this.where.child(name);
  }

  str(name: string): string {
    return readString(this.get(name), this.at(name));
  }

  bool(name: string): boolean {
    return readBool(this.get(name), this.at(name));
  }

  int(name: string): bigint {
    return readInt(this.get(name), this.at(name));
  }

  list(name: string): GoJsonValue[] {
    return readArray(this.get(name), this.at(name));
  }

  strings(name: string): string[] {
    return readStrings(this.get(name), this.at(name));
  }

  /** A Docker `StrSlice`: a string or an array of strings. */
  strSlice(name: string): string[] {
    const value = this.get(name);
    return typeof value === "string" ? [value] : readStrings(value, this.at(name));
  }

  map(name: string): Map<string, string> {
    return readStringMap(this.get(name), this.at(name));
  }

  object(name: string): GoJsonObject | undefined {
    return readObject(this.get(name), this.at(name));
  }

  /** A nested struct, or `undefined` when absent or null. */
  struct(name: string, known: readonly string[]): Struct | undefined {
    const object = this.object(name);
    return object === undefined ? undefined : readStruct(object, this.at(name), known);
  }
}

function mismatch(where: Where, want: string, value: GoJsonValue): never {
  malformed(`${where.label}: want ${want}, got ${jsonTypeName(value)}`, where.path);
}

/** Refuses keys Go would match ambiguously or that are not ASCII. */
export function checkKeys(object: GoJsonObject, where: Where): void {
  const collision = object.foldCollision();
  if (collision !== undefined) {
    const [a, b] = collision;
    const what = a === b
      ? `Key ${quote(a)} is sent twice`
      : `Keys ${quote(a)} and ${quote(b)} collide under case folding`;
    malformed(`${what} in ${where.label}`, where.path);
  }
  for (const key of object.keys()) {
    if (!/^[\x20-\x7e]*$/.test(key)) {
      malformed(`Key ${quote(key)} in ${where.label} is not printable ASCII`, where.path);
    }
  }
}

/**
 * Reads an object as a Go struct with the fields `known` (JSON names, any
 * case). A key matching none is refused with 403.
 */
export function readStruct(value: GoJsonValue, where: Where, known: readonly string[]): Struct {
  if (!(value instanceof GoJsonObject)) mismatch(where, "an object", value);
  checkKeys(value, where);
  const byFold = new Map(known.map((name) => [goFoldName(name), name]));
  const fields = new Map<string, { key: string; value: GoJsonValue }>();
  for (const entry of value.entries) {
    const name = byFold.get(goFoldName(entry.key));
    if (name === undefined) unknownField(where.child(entry.key));
    fields.set(name, entry);
  }
  return new Struct(where, fields);
}

/** Refuses a field the proxy does not know. */
export function unknownField(where: Where): never {
  forbid(
    where.path,
    `Unknown field ${where.label}`,
    "HOST_ACCESS=1",
    "is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
  );
}

export function readObject(value: GoJsonValue | undefined, where: Where): GoJsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof GoJsonObject)) mismatch(where, "an object", value);
  return value;
}

export function readString(value: GoJsonValue | undefined, where: Where): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") mismatch(where, "a string", value);
  return value;
}

export function readBool(value: GoJsonValue | undefined, where: Where): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") mismatch(where, "a boolean", value);
  return value;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An integer field (Go int/int64): an integer literal in range, else 400. */
export function readInt(value: GoJsonValue | undefined, where: Where): bigint {
  if (value === undefined || value === null) return 0n;
  if (!(value instanceof GoJsonNumber)) mismatch(where, "an integer", value);
  const n = value.toBigInt();
  if (n === undefined || n < INT64_MIN || n > INT64_MAX) {
    malformed(`${where.label}: ${value.text} is not an integer Go can read`, where.path);
  }
  return n;
}

export function readArray(value: GoJsonValue | undefined, where: Where): GoJsonValue[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) mismatch(where, "an array", value);
  return value;
}

export function readStrings(value: GoJsonValue | undefined, where: Where): string[] {
  return readArray(value, where).map((item, i) => readString(item, where.index(i)));
}

/**
 * A Go `map[string]string`: keys are data, matched exactly, so only a key
 * sent twice is refused (Go keeps the last).
 */
export function readStringMap(value: GoJsonValue | undefined, where: Where): Map<string, string> {
  const object = readObject(value, where);
  const out = new Map<string, string>();
  if (object === undefined) return out;
  const duplicate = object.duplicateKey();
  if (duplicate !== undefined) {
    malformed(`Key ${quote(duplicate)} is sent twice in ${where.label}`, where.path);
  }
  for (const { key, value: item } of object.entries) {
    out.set(key, readString(item, where.key(key)));
  }
  return out;
}

/** A Go map with values of any type: refuses duplicates, returns the entries. */
export function readMapEntries(
  value: GoJsonValue | undefined,
  where: Where,
): [string, GoJsonValue][] {
  const object = readObject(value, where);
  if (object === undefined) return [];
  const duplicate = object.duplicateKey();
  if (duplicate !== undefined) {
    malformed(`Key ${quote(duplicate)} is sent twice in ${where.label}`, where.path);
  }
  return object.entries.map(({ key, value: item }) => [key, item]);
}
