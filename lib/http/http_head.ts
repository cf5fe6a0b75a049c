/**
 * Strict HTTP/1.1 message heads, parsed from bytes. HTTP/1.0 requests are read
 * under the same rules, with 1.0's own: no Host needed, keep-alive only when
 * asked for, a body only with Content-Length, no upgrade, no 100-continue.
 *
 * Requests come from clients the proxy does not trust, so anything a second
 * parser could read differently is refused (RFC 9112 with no leniency): bare LF,
 * obs-fold, whitespace before a colon, control bytes, several or malformed
 * Content-Length values, any Transfer-Encoding but one `chunked`, both framings
 * at once. Responses come from the engine; they are parsed for framing only.
 *
 * Parsing works on byte offsets into the connection's buffer; header fields are
 * recorded as offsets and turned into strings only where a value matters.
 *
 * `lib/http/`, the wire format: strict heads, chunked framing, canonical targets, buffered
 * connections, the heads sent on, HTTP/1.0 answers and the proxy's own answers. It knows nothing of
 * policies or the engine, and imports only `lib/`'s root.
 */

export class HttpError extends Error {
  override name = "HttpError";
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;

/** tchar from RFC 9110: the bytes a method or header name may hold. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

// Header kinds the proxy acts on; everything else is OTHER and passes through.
export const OTHER = 0;
export const HOST = 1;
export const CONTENT_LENGTH = 2;
export const TRANSFER_ENCODING = 3;
export const CONNECTION = 4;
export const KEEP_ALIVE = 5;
export const PROXY_CONNECTION = 6;
export const TE = 7;
export const TRAILER = 8;
export const UPGRADE = 9;
export const EXPECT = 10;
export const PROXY_AUTHORIZATION = 11;
export const PROXY_AUTHENTICATE = 12;
export const CONTENT_TYPE = 13;

const KNOWN: [string, number][] = [
  ["host", HOST],
  ["content-length", CONTENT_LENGTH],
  ["transfer-encoding", TRANSFER_ENCODING],
  ["connection", CONNECTION],
  ["keep-alive", KEEP_ALIVE],
  ["proxy-connection", PROXY_CONNECTION],
  ["te", TE],
  ["trailer", TRAILER],
  ["upgrade", UPGRADE],
  ["expect", EXPECT],
  ["proxy-authorization", PROXY_AUTHORIZATION],
  ["proxy-authenticate", PROXY_AUTHENTICATE],
  ["content-type", CONTENT_TYPE],
];
// Indexed by name length: [lowercase bytes, kind] candidates.
const KNOWN_BY_LENGTH: [Uint8Array, number][][] = [];
for (const [name, kind] of KNOWN) {
  (KNOWN_BY_LENGTH[name.length] ??= []).push([new TextEncoder().encode(name), kind]);
}

/** Classifies the header name `buf[start, end)`, case-insensitively. */
export function headerKind(buf: Uint8Array, start: number, end: number): number {
  const candidates = KNOWN_BY_LENGTH[end - start];
  if (candidates === undefined) return OTHER;
  outer: for (const [name, kind] of candidates) {
    for (let i = 0; i < name.length; i++) {
      // `| 0x20` lowercases letters; names are tchar-validated, so no other byte aliases.
      if ((buf[start + i] | 0x20) !== name[i]) continue outer;
    }
    return kind;
  }
  return OTHER;
}

/** Latin-1 view of `buf[start, end)` (byte n is char n). */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 4096) {
    return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  }
  let text = "";
  for (let at = start; at < end; at += 4096) text += latin1(buf, at, Math.min(end, at + 4096));
  return text;
}

const METHODS = ["GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"].map((name) => ({
  name,
  bytes: new TextEncoder().encode(name),
}));

/** The method `buf[start, end)` as a string, the common ones without allocating. */
function methodName(buf: Uint8Array, start: number, end: number): string {
  outer: for (const method of METHODS) {
    if (method.bytes.length !== end - start) continue;
    for (let i = 0; i < method.bytes.length; i++) {
      if (buf[start + i] !== method.bytes[i]) continue outer;
    }
    return method.name;
  }
  return latin1(buf, start, end);
}

export interface HeadLimits {
  maxRequestLine: number;
  maxHeaderBytes: number;
  maxHeaderCount: number;
}

/**
 * Finds the end of a message head as bytes arrive, enforcing line endings and
 * size limits before the whole head is in, so a client cannot make the proxy
 * buffer more than the limits allow.
 */
export class HeadScanner {
  #start = 0;
  #pos = 0;
  #lineStart = 0;
  #requestLineEnd = -1;
  #fields = 0;

  /** Starts scanning a new head at `start`. */
  reset(start: number): void {
    this.#start = start;
    this.#pos = start;
    this.#lineStart = start;
    this.#requestLineEnd = -1;
    this.#fields = 0;
  }

  /** Moves the offsets after the buffer's contents were shifted left by `by`. */
  shift(by: number): void {
    this.#start -= by;
    this.#pos -= by;
    this.#lineStart -= by;
    if (this.#requestLineEnd >= 0) this.#requestLineEnd -= by;
  }

  /** Whether any byte of the head has been seen. */
  get started(): boolean {
    return this.#pos > this.#start;
  }

  /**
   * Scans `buf` up to `end`. Returns the offset just past the head's empty line,
   * or -1 when more bytes are needed. Throws `HttpError` on a malformed or
   * oversized head.
   */
  scan(buf: Uint8Array, end: number, limits: HeadLimits): number {
    let pos = this.#pos;
    if (pos === this.#start && pos < end && TCHAR[buf[pos]] !== 1) {
      throw new HttpError(400, "Not an HTTP/1.1 request");
    }
    for (; pos < end; pos++) {
      if (buf[pos] !== LF) continue;
      if (pos === this.#lineStart || buf[pos - 1] !== CR) {
        throw new HttpError(400, "Bare LF line ending");
      }
      const length = pos - 1 - this.#lineStart;
      if (this.#requestLineEnd < 0) {
        if (length > limits.maxRequestLine) throw new HttpError(414, "Request line too long");
        this.#requestLineEnd = pos + 1;
      } else if (length === 0) {
        this.#pos = pos + 1;
        return pos + 1;
      } else if (++this.#fields > limits.maxHeaderCount) {
        throw new HttpError(431, "Too many header fields");
      }
      if (pos + 1 - this.#requestLineEnd > limits.maxHeaderBytes) {
        throw new HttpError(431, "Header block too large");
      }
      this.#lineStart = pos + 1;
    }
    this.#pos = pos;
    if (this.#requestLineEnd < 0) {
      if (pos - this.#lineStart > limits.maxRequestLine + 1) {
        throw new HttpError(414, "Request line too long");
      }
    } else if (pos - this.#requestLineEnd > limits.maxHeaderBytes) {
      throw new HttpError(431, "Header block too large");
    }
    return -1;
  }
}

/** Header fields as offsets: for field i, `fields[i*4 .. i*4+3]` is name start/end, value start/end. */
interface FieldTable {
  count: number;
  fields: Int32Array;
  kinds: Uint8Array;
}

export interface RequestHead extends FieldTable {
  method: string;
  target: string;
  /** An HTTP/1.0 request: its answer is written in HTTP/1.0 (see `http10_relay.ts`). */
  http10: boolean;
  /** Body length, or -1 when the request has no Content-Length. */
  contentLength: number;
  chunked: boolean;
  /** The client asked to close after this request. */
  close: boolean;
  /** The `Upgrade` value when `Connection` holds `upgrade`, else `""`. */
  upgrade: string;
  expectContinue: boolean;
  /** Lowercased names of further headers that `Connection` marks hop-by-hop. */
  connectionNamed: string[] | null;
}

export interface ResponseHead extends FieldTable {
  status: number;
  contentLength: number;
  chunked: boolean;
  /** Transfer-Encoding present but not ending in chunked: the body runs to close. */
  closeDelimitedEncoding: boolean;
  close: boolean;
  upgrade: string;
  /** Content-Type, lowercased, of an answer with neither Content-Length nor chunking; else `""`. */
  contentType: string;
  /** Hop-by-hop fields are present, so the head cannot be forwarded as is. */
  hopByHop: boolean;
  connectionNamed: string[] | null;
}

function newFields(count: number): Int32Array {
  return new Int32Array(Math.max(8, count) * 4);
}

/**
 * Splits header lines from `start` to `end` (which includes the final CRLF of
 * the last field, before the empty line) into a field table. Strict when
 * `strict`, which requests always are.
 */
function readFields(
  buf: Uint8Array,
  start: number,
  end: number,
  table: FieldTable,
  strict: boolean,
): void {
  let count = 0;
  let pos = start;
  while (pos < end) {
    const lineStart = pos;
    if (buf[pos] === SP || buf[pos] === HT) {
      throw new HttpError(400, "Obsolete line folding in header");
    }
    while (TCHAR[buf[pos]] === 1) pos++;
    const nameEnd = pos;
    if (buf[pos] !== COLON) {
      if (buf[pos] === SP || buf[pos] === HT) {
        throw new HttpError(400, "Whitespace before a header colon");
      }
      throw new HttpError(400, nameEnd === lineStart ? "Empty header name" : "Invalid header name");
    }
    if (nameEnd === lineStart) throw new HttpError(400, "Empty header name");
    pos++;
    while (buf[pos] === SP || buf[pos] === HT) pos++;
    const valueStart = pos;
    let valueEnd = pos;
    for (;; pos++) {
      const b = buf[pos];
      if (b === CR) break;
      if (b < SP && b !== HT || b === 0x7f) {
        if (strict || b === LF) throw new HttpError(400, "Control byte in header value");
      }
      if (b !== SP && b !== HT) valueEnd = pos + 1;
    }
    if (buf[pos + 1] !== LF) throw new HttpError(400, "Bare CR in header");
    pos += 2;
    if (count * 4 >= table.fields.length) {
      const grown = new Int32Array(table.fields.length * 2);
      grown.set(table.fields);
      table.fields = grown;
      const kinds = new Uint8Array(grown.length / 4);
      kinds.set(table.kinds);
      table.kinds = kinds;
    }
    const f = count * 4;
    table.fields[f] = lineStart;
    table.fields[f + 1] = nameEnd;
    table.fields[f + 2] = valueStart;
    table.fields[f + 3] = valueEnd;
    table.kinds[count] = headerKind(buf, lineStart, nameEnd);
    count++;
  }
  table.count = count;
}

/** Header `i`'s value as a string. */
export function fieldValue(buf: Uint8Array, table: FieldTable, i: number): string {
  return latin1(buf, table.fields[i * 4 + 2], table.fields[i * 4 + 3]);
}

/** Header `i`'s name as sent. */
export function fieldName(buf: Uint8Array, table: FieldTable, i: number): string {
  return latin1(buf, table.fields[i * 4], table.fields[i * 4 + 1]);
}

const HTTP_11 = new TextEncoder().encode("HTTP/1.1");
const HTTP_1 = HTTP_11.subarray(0, 7);

/** The minor version of `HTTP/1.0` or `HTTP/1.1` at `buf[at]`, else -1. */
function minorVersion(buf: Uint8Array, at: number): number {
  for (let i = 0; i < 7; i++) if (buf[at + i] !== HTTP_11[i]) return -1;
  const minor = buf[at + 7];
  return minor === 49 ? 1 : minor === 48 ? 0 : -1;
}

/** The decimal number in `buf[start, end)`, or -1 unless it is 1 to 15 digits. */
function decimal(buf: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = buf[i] - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}
const TOKEN_LIST = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*,[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/;
const PROTOCOL_LIST =
  /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+)?(?:[ \t]*,[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+)?)*$/;

/** Reads `Connection` tokens into the head's flags; returns the other named fields. */
function connectionTokens(
  value: string,
  into: { close: boolean; upgradeToken: boolean; keepAlive: boolean },
  named: string[] | null,
): string[] | null {
  if (!TOKEN_LIST.test(value)) throw new HttpError(400, "Malformed Connection header");
  for (const raw of value.split(",")) {
    const token = raw.trim().toLowerCase();
    if (token === "close") into.close = true;
    else if (token === "upgrade") into.upgradeToken = true;
    else if (token === "keep-alive") into.keepAlive = true;
    else (named ??= []).push(token);
  }
  return named;
}

/**
 * Parses a request head in `buf[start, end)`, where `end` is what
 * `HeadScanner.scan` returned. Throws `HttpError` with the status to answer.
 */
export function parseRequestHead(
  buf: Uint8Array,
  start: number,
  end: number,
  into?: RequestHead,
): RequestHead {
  // Request line: method SP request-target SP HTTP-version CRLF.
  let pos = start;
  while (TCHAR[buf[pos]] === 1) pos++;
  if (pos === start || buf[pos] !== SP) throw new HttpError(400, "Malformed request line");
  const method = methodName(buf, start, pos);
  const targetStart = ++pos;
  while (buf[pos] > SP && buf[pos] < 0x7f) pos++;
  if (pos === targetStart || buf[pos] !== SP) throw new HttpError(400, "Malformed request target");
  const target = latin1(buf, targetStart, pos);
  const versionStart = ++pos;
  while (buf[pos] !== CR) pos++;
  const minor = pos - versionStart === 8 ? minorVersion(buf, versionStart) : -1;
  if (minor < 0) {
    const version = latin1(buf, versionStart, pos);
    // Other HTTP/1.x versions are well-formed but not served; anything else,
    // the HTTP/2 preface included, is not HTTP/1.x at all.
    if (/^HTTP\/1\.[0-9]$/.test(version)) {
      throw new HttpError(505, `HTTP version not supported: ${version} (use HTTP/1.1 or HTTP/1.0)`);
    }
    throw new HttpError(400, "Malformed request line");
  }
  const http10 = minor === 0;
  if (method === "CONNECT" || method === "TRACE") {
    throw new HttpError(400, `Method not supported: ${method}`);
  }
  pos += 2;

  const head: RequestHead = into ?? {
    method,
    target,
    http10,
    count: 0,
    fields: newFields(0),
    kinds: new Uint8Array(8),
    contentLength: -1,
    chunked: false,
    close: false,
    upgrade: "",
    expectContinue: false,
    connectionNamed: null,
  };
  head.method = method;
  head.target = target;
  head.http10 = http10;
  head.contentLength = -1;
  head.chunked = false;
  head.close = false;
  head.upgrade = "";
  head.expectContinue = false;
  head.connectionNamed = null;
  readFields(buf, pos, end - 2, head, true);

  let hosts = 0;
  let lengths = 0;
  let encodings = 0;
  let upgradeValue = "";
  let upgrades = 0;
  const connection = { close: false, upgradeToken: false, keepAlive: false };
  for (let i = 0; i < head.count; i++) {
    switch (head.kinds[i]) {
      case HOST:
        hosts++;
        break;
      case CONTENT_LENGTH: {
        if (++lengths > 1) throw new HttpError(400, "Several Content-Length headers");
        const value = decimal(buf, head.fields[i * 4 + 2], head.fields[i * 4 + 3]);
        if (value < 0) throw new HttpError(400, "Malformed Content-Length");
        head.contentLength = value;
        break;
      }
      case TRANSFER_ENCODING:
        if (++encodings > 1) throw new HttpError(400, "Several Transfer-Encoding headers");
        if (fieldValue(buf, head, i).toLowerCase() !== "chunked") {
          throw new HttpError(400, "Transfer-Encoding other than chunked");
        }
        head.chunked = true;
        break;
      case CONNECTION:
        head.connectionNamed = connectionTokens(
          fieldValue(buf, head, i),
          connection,
          head.connectionNamed,
        );
        break;
      case UPGRADE:
        upgrades++;
        upgradeValue = fieldValue(buf, head, i);
        if (!PROTOCOL_LIST.test(upgradeValue)) throw new HttpError(400, "Malformed Upgrade header");
        break;
      case EXPECT:
        if (fieldValue(buf, head, i).toLowerCase() !== "100-continue") {
          throw new HttpError(417, "Unsupported expectation");
        }
        head.expectContinue = true;
        break;
    }
  }
  if (hosts > 1 || (hosts === 0 && !http10)) {
    throw new HttpError(400, hosts === 0 ? "Missing Host header" : "Several Host headers");
  }
  if (lengths > 0 && encodings > 0) {
    throw new HttpError(400, "Both Content-Length and Transfer-Encoding");
  }
  if (upgrades > 1) throw new HttpError(400, "Several Upgrade headers");
  head.close = connection.close;
  if (connection.upgradeToken && upgrades === 1) head.upgrade = upgradeValue;
  if (http10) {
    if (head.chunked) {
      throw new HttpError(400, "Transfer-Encoding in an HTTP/1.0 request (send Content-Length)");
    }
    if (head.upgrade !== "") {
      throw new HttpError(400, "Upgrade in an HTTP/1.0 request (upgrades need HTTP/1.1)");
    }
    // 1.0 closes unless asked not to, and knows no 100-continue (RFC 9110, 10.1.1).
    head.close ||= !connection.keepAlive;
    head.expectContinue = false;
  }
  return head;
}

/**
 * Parses a response head in `buf[start, end)`. The engine is trusted more than
 * clients, but its framing must still be unambiguous; throws `HttpError(502)`.
 */
export function parseResponseHead(
  buf: Uint8Array,
  start: number,
  end: number,
  into?: ResponseHead,
): ResponseHead {
  // HTTP-version SP 3DIGIT SP reason CRLF
  let version = true;
  for (let i = 0; i < 7; i++) if (buf[start + i] !== HTTP_1[i]) version = false;
  if (
    !version || buf[start + 8] !== SP ||
    buf[start + 9] < 48 || buf[start + 9] > 57 || buf[start + 10] < 48 || buf[start + 10] > 57 ||
    buf[start + 11] < 48 || buf[start + 11] > 57
  ) {
    throw new HttpError(502, "Malformed status line from the engine");
  }
  const status = (buf[start + 9] - 48) * 100 + (buf[start + 10] - 48) * 10 + buf[start + 11] - 48;
  let pos = start + 12;
  while (buf[pos] !== CR) pos++;
  pos += 2;
  const head: ResponseHead = into ?? {
    status,
    count: 0,
    fields: newFields(0),
    kinds: new Uint8Array(8),
    contentLength: -1,
    chunked: false,
    closeDelimitedEncoding: false,
    close: false,
    upgrade: "",
    contentType: "",
    hopByHop: false,
    connectionNamed: null,
  };
  head.status = status;
  head.contentLength = -1;
  head.chunked = false;
  head.closeDelimitedEncoding = false;
  head.close = buf[start + 7] === 48; // HTTP/1.0
  head.upgrade = "";
  head.contentType = "";
  head.hopByHop = false;
  head.connectionNamed = null;
  try {
    readFields(buf, pos, end - 2, head, false);
  } catch (error) {
    throw new HttpError(
      502,
      `Malformed response head from the engine: ${(error as Error).message}`,
    );
  }
  const connection = { close: false, upgradeToken: false, keepAlive: false };
  let lengths = 0;
  let contentType = -1;
  for (let i = 0; i < head.count; i++) {
    switch (head.kinds[i]) {
      case CONTENT_LENGTH: {
        const value = decimal(buf, head.fields[i * 4 + 2], head.fields[i * 4 + 3]);
        if (value < 0 || ++lengths > 1 && value !== head.contentLength) {
          throw new HttpError(502, "Malformed Content-Length from the engine");
        }
        head.contentLength = value;
        break;
      }
      case TRANSFER_ENCODING: {
        const codings = fieldValue(buf, head, i).toLowerCase().split(",");
        head.chunked = codings[codings.length - 1].trim() === "chunked";
        head.closeDelimitedEncoding = !head.chunked;
        break;
      }
      case CONNECTION:
        head.hopByHop = true;
        try {
          head.connectionNamed = connectionTokens(
            fieldValue(buf, head, i),
            connection,
            head.connectionNamed,
          );
        } catch {
          throw new HttpError(502, "Malformed Connection header from the engine");
        }
        break;
      case UPGRADE:
        head.upgrade = fieldValue(buf, head, i);
        head.hopByHop = true;
        break;
      case CONTENT_TYPE:
        contentType = i;
        break;
      case KEEP_ALIVE:
      case PROXY_CONNECTION:
      case TE:
      case PROXY_AUTHENTICATE:
      case PROXY_AUTHORIZATION:
        head.hopByHop = true;
        break;
    }
  }
  if (head.chunked || head.closeDelimitedEncoding) head.contentLength = -1;
  head.close ||= connection.close;
  // Only an unframed answer can be a hijacked stream; only then does the type matter.
  if (contentType >= 0 && head.contentLength < 0 && !head.chunked) {
    head.contentType = fieldValue(buf, head, contentType).toLowerCase();
  }
  return head;
}
