/**
 * Query parameters decoded as the engine decodes them (Go's `url.ParseQuery`):
 * pairs split on `&`, keys and values percent-decoded with `+` as a space,
 * every value of a repeated key kept in order, keys case-sensitive.
 *
 * Where Go's decoding depends on the engine's version or the handler, the
 * query is refused instead of guessed: a `;` (a separator before Go 1.17, a
 * dropped pair since), a malformed escape (the pair is dropped, and some
 * handlers then fail), or bytes that do not decode as UTF-8.
 */

export type QueryParams = ReadonlyMap<string, readonly string[]>;

export interface QueryError {
  error: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** Go's `QueryUnescape`, or `null` for a malformed escape or invalid UTF-8. */
export function unescapeComponent(text: string): string | null {
  if (text.indexOf("%") < 0) return text.indexOf("+") < 0 ? text : text.replaceAll("+", " ");
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25) {
      const high = i + 2 < text.length ? hexValue(text.charCodeAt(i + 1)) : -1;
      const low = high >= 0 ? hexValue(text.charCodeAt(i + 2)) : -1;
      if (low < 0) return null;
      bytes.push(high * 16 + low);
      i += 2;
    } else {
      bytes.push(code === 0x2b ? 0x20 : code);
    }
  }
  try {
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

/** Parses `query` (with or without its leading `?`). */
export function parseQuery(query: string): QueryParams | QueryError {
  const params = new Map<string, string[]>();
  const text = query.startsWith("?") ? query.slice(1) : query;
  if (text === "") return params;
  if (text.includes(";")) {
    return { error: "Query holds a ';', which engines read differently: use '&'" };
  }
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const key = unescapeComponent(equals < 0 ? pair : pair.slice(0, equals));
    const value = equals < 0 ? "" : unescapeComponent(pair.slice(equals + 1));
    if (key === null || value === null) {
      return { error: `Malformed escape in query parameter ${JSON.stringify(pair)}` };
    }
    const values = params.get(key);
    if (values === undefined) params.set(key, [value]);
    else values.push(value);
  }
  return params;
}

export function isQueryError(value: QueryParams | QueryError): value is QueryError {
  return (value as QueryError).error !== undefined;
}

const GO_FALSE = new Set(["", "0", "no", "false", "none"]);
const PARSE_BOOL_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);

/**
 * A boolean parameter as the engine reads it. Handlers use one of two
 * decodings: `httputils.BoolValue` (anything but "", 0, no, false, none is
 * true) and `strconv.ParseBool` (1, t, true… true; 0, f, false… false; else an
 * error). `false` when both read it as false (or absent), `true` when both
 * read it as true, `null` when they could disagree.
 */
export function goBoolean(values: readonly string[] | undefined): boolean | null {
  if (values === undefined) return false;
  if (values.length !== 1) return null;
  const value = values[0];
  if (GO_FALSE.has(value.trim().toLowerCase())) return false;
  if (PARSE_BOOL_TRUE.has(value)) return true;
  return null;
}

/**
 * Every value of `name` as Podman reads its queries (gorilla/schema matches
 * names to fields case-insensitively, Unicode folding included): the values of
 * every key that folds to `name`, or `undefined` when there is none.
 */
export function foldedValues(
  params: QueryParams,
  name: string,
  fold: (text: string) => string,
): string[] | undefined {
  const folded = fold(name);
  let values: string[] | undefined;
  for (const [key, given] of params) {
    if (fold(key) === folded) (values ??= []).push(...given);
  }
  return values;
}
