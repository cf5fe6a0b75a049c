/**
 * Canonical request targets: the one form of a path that the policy checks and
 * that the engine is then sent, so the two can never disagree.
 *
 * Percent-escapes are decoded exactly once. The decoded path may only hold the
 * characters Docker object names and API paths use, so the canonical form needs
 * no escapes at all; anything that a router might read differently from us
 * (encoded `/` or `\`, dot segments, empty segments, `;` parameters, a second
 * round of escapes, control bytes, a malformed `/vX.Y` prefix) is refused.
 */

export interface RequestTarget {
  /** The API version prefix without the slash (`v1.41`), or `null`. */
  version: string | null;
  /** Decoded path segments after the version prefix. */
  segments: string[];
  /** Canonical path, version prefix included: `/v1.41/containers/json`. */
  path: string;
  /** The query with its `?`, or `""`. Forwarded as received. */
  query: string;
}

export interface TargetError {
  error: string;
}

// Characters a canonical path segment may hold: unreserved and the sub-delims
// Docker references use (`:` tags, `@` digests, `+` and `=` in names), minus `;`.
const SEGMENT_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@") {
  SEGMENT_CHAR[c.charCodeAt(0)] = 1;
}

const VERSION_LIKE = /^[vV][0-9.]+$/;
const VERSION = /^v[0-9]+(\.[0-9]+)*$/;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

function describeByte(code: number): string {
  return code >= 0x21 && code <= 0x7e
    ? `"${String.fromCharCode(code)}"`
    : `0x${code.toString(16).padStart(2, "0")}`;
}

/** Returns whether `value` is a `RequestTarget` rather than a `TargetError`. */
export function isTargetError(value: RequestTarget | TargetError): value is TargetError {
  return (value as TargetError).error !== undefined;
}

/**
 * Parses an origin-form request target into its canonical form, or explains
 * why it is refused.
 */
export function parseRequestTarget(raw: string): RequestTarget | TargetError {
  if (raw.length === 0 || raw.charCodeAt(0) !== 0x2f) {
    if (raw === "*") return { error: "Asterisk-form request targets are not accepted" };
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(raw)) {
      return { error: "Absolute-form request targets are not accepted: send the path only" };
    }
    return { error: "Request target must start with /" };
  }
  let pathEnd = raw.indexOf("?");
  if (pathEnd < 0) pathEnd = raw.length;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) {
      return { error: `Request target holds byte ${describeByte(code)}` };
    }
    if (code === 0x23) return { error: "Request target holds a fragment (#)" };
  }

  const segments: string[] = [];
  let start = 1; // where the current segment begins in `raw`
  let decoded: string | null = null; // the segment so far, once it held an escape
  for (let i = 1; i <= pathEnd; i++) {
    if (i === pathEnd || raw.charCodeAt(i) === 0x2f) {
      const segment = decoded ?? raw.slice(start, i);
      if (segment === "") {
        if (i === pathEnd && segments.length === 0) break; // the path "/"
        return { error: "Empty path segment (// or a trailing /)" };
      }
      if (segment === "." || segment === "..") {
        return { error: "Dot segment (. or ..) in path" };
      }
      segments.push(segment);
      start = i + 1;
      decoded = null;
      continue;
    }
    const code = raw.charCodeAt(i);
    if (code !== 0x25) {
      if (SEGMENT_CHAR[code] !== 1) {
        return { error: `Character ${describeByte(code)} is not allowed in path` };
      }
      if (decoded !== null) decoded += raw[i];
      continue;
    }
    const high = i + 2 < pathEnd ? hexValue(raw.charCodeAt(i + 1)) : -1;
    const low = high >= 0 ? hexValue(raw.charCodeAt(i + 2)) : -1;
    if (low < 0) return { error: "Malformed percent-encoding in path" };
    const byte = high * 16 + low;
    if (byte === 0x2f) return { error: "Encoded slash (%2F) in path" };
    if (byte === 0x25) return { error: "Double percent-encoding in path" };
    if (byte >= 0x80) return { error: "Non-ASCII byte in path" };
    if (SEGMENT_CHAR[byte] !== 1) {
      return { error: `Encoded byte ${describeByte(byte)} is not allowed in path` };
    }
    decoded = (decoded ?? raw.slice(start, i)) + String.fromCharCode(byte);
    i += 2;
  }

  let version: string | null = null;
  if (segments.length > 0 && VERSION_LIKE.test(segments[0])) {
    if (!VERSION.test(segments[0])) {
      return { error: `Malformed API version prefix: /${segments[0]}` };
    }
    version = segments.shift()!;
    if (segments.length > 0 && VERSION_LIKE.test(segments[0])) {
      return { error: "Repeated API version prefix" };
    }
  }
  const rest = segments.length === 0 ? "" : "/" + segments.join("/");
  const path = version === null ? rest || "/" : "/" + version + rest;
  return { version, segments, path, query: raw.slice(pathEnd) };
}
