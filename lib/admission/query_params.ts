/**
 * Query parameters as the engines read them. Docker reads `r.Form` by exact
 * key, taking the first value; podman's gorilla/schema decoder matches keys
 * case-insensitively (Unicode folding) and takes the last. So every checked
 * parameter is matched case-insensitively, and one sent more than once, or
 * under two spellings, is refused as ambiguous. A form-encoded body would be
 * merged into Docker's parameters ahead of the query: refused too.
 */
import { goFoldName } from "./go_json.ts";
import { malformed, quote } from "./refusal.ts";

/** Decoded as Go's `url.ParseQuery`: each key with every value, in order. */
export type QueryParams = ReadonlyMap<string, readonly string[]>;

/** Refuses non-ASCII keys, which case-insensitive matching could confuse. */
export function checkQueryKeys(query: QueryParams): void {
  for (const key of query.keys()) {
    if (!/^[\x20-\x7e]*$/.test(key)) {
      malformed(`Query parameter ${quote(key)} is not printable ASCII`, key);
    }
  }
}

/** Every value of the parameter `name` under any spelling, with the spellings used. */
export function paramValues(
  query: QueryParams,
  name: string,
): { keys: string[]; values: string[] } {
  const folded = goFoldName(name);
  const keys: string[] = [];
  const values: string[] = [];
  for (const [key, list] of query) {
    if (goFoldName(key) === folded) {
      keys.push(key);
      values.push(...list);
    }
  }
  return { keys, values };
}

/** The single value of a checked parameter, `""` when absent; refuses several. */
export function singleParam(query: QueryParams, name: string): string {
  const { keys, values } = paramValues(query, name);
  if (values.length > 1) {
    malformed(
      `Query parameter ${quote(name)} is sent ${values.length} times${
        keys.length > 1 ? ` (as ${keys.map((key) => quote(key)).join(", ")})` : ""
      }: ambiguous`,
      name,
    );
  }
  return values[0] ?? "";
}

/** Whether Go's `strconv.ParseBool` (podman) or Docker's `BoolValue` reads the value as true. */
export function truthyParam(value: string): boolean {
  const lower = value.trim().toLowerCase();
  return !(lower === "" || lower === "0" || lower === "false" || lower === "f" || lower === "no" ||
    lower === "off" || lower === "none");
}

/** Refuses a form-encoded body, which Go's `ParseForm` would read as parameters. */
export function checkNotFormEncoded(contentType: string): void {
  // deno-lint-ignore no-control-regex
  if (/[^\x00-\x7f]/.test(contentType)) {
    malformed(`Content-Type ${quote(contentType)} is not ASCII`);
  }
  const media = contentType.split(";")[0].trim().toLowerCase();
  if (media === "application/x-www-form-urlencoded" || media === "multipart/form-data") {
    malformed(
      `A body of type ${media} would be read as query parameters by the engine; send the parameters in the query`,
    );
  }
}

/** Whether a value is an http(s) URL. */
export function isHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value.trim());
}
