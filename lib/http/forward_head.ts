/**
 * The heads the proxy sends on: the canonical request for the engine and the
 * response for the client. Pure functions over parsed heads.
 *
 * Hop-by-hop fields are removed both ways, the fields named by `Connection`
 * first (as Go's `httputil.ReverseProxy` does); the proxy then writes its own
 * framing, so what the engine receives is exactly one well-formed request.
 */
import type { ByteWriter } from "./byte_writer.ts";
import {
  CONNECTION,
  CONTENT_LENGTH,
  EXPECT,
  HOST,
  KEEP_ALIVE,
  latin1,
  PROXY_AUTHENTICATE,
  PROXY_AUTHORIZATION,
  PROXY_CONNECTION,
  type RequestHead,
  type ResponseHead,
  TE,
  TRAILER,
  TRANSFER_ENCODING,
  UPGRADE,
} from "./http_head.ts";

/** The `Host` the engine is sent. */
export const ENGINE_HOST = "docker";

// Request fields never copied: hop-by-hop, framing and Host (the proxy writes its
// own), and Expect (the proxy answers 100-continue itself).
const REQUEST_DROPPED = new Uint8Array(16);
for (
  const kind of [
    HOST,
    CONTENT_LENGTH,
    TRANSFER_ENCODING,
    CONNECTION,
    KEEP_ALIVE,
    PROXY_CONNECTION,
    TE,
    TRAILER,
    UPGRADE,
    EXPECT,
    PROXY_AUTHORIZATION,
    PROXY_AUTHENTICATE,
  ]
) REQUEST_DROPPED[kind] = 1;

// Response fields never copied. Transfer-Encoding and Trailer stay: chunked
// bodies are passed through as the engine framed them.
const RESPONSE_DROPPED = new Uint8Array(16);
for (
  const kind of [
    CONNECTION,
    KEEP_ALIVE,
    PROXY_CONNECTION,
    TE,
    UPGRADE,
    PROXY_AUTHENTICATE,
    PROXY_AUTHORIZATION,
  ]
) RESPONSE_DROPPED[kind] = 1;

function namedBy(
  named: string[] | null,
  buf: Uint8Array,
  fields: Int32Array,
  i: number,
): boolean {
  return named !== null &&
    named.includes(latin1(buf, fields[i * 4], fields[i * 4 + 1]).toLowerCase());
}

export interface ForwardOptions {
  /** The canonical target (path and query) the policy allowed. */
  target: string;
  /** The request line and Host field, already encoded (see `RouteCache`). */
  requestLine?: Uint8Array;
  /** Whether to pass the client's `Upgrade` on. */
  upgrade: boolean;
}

/**
 * Writes the request the engine receives: `METHOD target HTTP/1.1`, `Host`,
 * the client's end-to-end fields as `Name: value`, then the framing.
 */
export function writeRequestHead(
  out: ByteWriter,
  buf: Uint8Array,
  head: RequestHead,
  options: ForwardOptions,
): void {
  writeRequestFields(out, buf, head, options);
  writeFraming(out, head, options.upgrade, head.chunked ? -2 : head.contentLength);
}

/** The request line, `Host` and the client's end-to-end fields: all but the framing. */
export function writeRequestFields(
  out: ByteWriter,
  buf: Uint8Array,
  head: RequestHead,
  options: ForwardOptions,
): void {
  if (options.requestLine) out.bytes(options.requestLine);
  else out.ascii(head.method + " " + options.target + " HTTP/1.1\r\nHost: " + ENGINE_HOST + "\r\n");
  const { fields, kinds } = head;
  for (let i = 0; i < head.count; i++) {
    if (REQUEST_DROPPED[kinds[i]] === 1) continue;
    if (namedBy(head.connectionNamed, buf, fields, i)) continue;
    const f = i * 4;
    out.bytes(buf, fields[f], fields[f + 1]);
    out.ascii(": ");
    out.bytes(buf, fields[f + 2], fields[f + 3]);
    out.ascii("\r\n");
  }
}

/**
 * Ends the head with the proxy's own framing: `length` bytes of body
 * (`Content-Length`, left out when -1: no body), or -2 for chunked; then the
 * upgrade the client asked for, when it is passed on.
 */
export function writeFraming(
  out: ByteWriter,
  head: RequestHead,
  upgrade: boolean,
  length: number,
): void {
  if (length === -2) out.ascii("Transfer-Encoding: chunked\r\n");
  else if (length >= 0) out.ascii("Content-Length: " + length + "\r\n");
  if (upgrade && head.upgrade !== "") {
    out.ascii("Connection: Upgrade\r\nUpgrade: " + head.upgrade + "\r\n");
  }
  out.ascii("\r\n");
}

/**
 * Whether the engine's response head can go to the client byte for byte: no
 * hop-by-hop fields to remove and no `Connection: close` to add.
 */
export function responseHeadIsClean(head: ResponseHead, close: boolean): boolean {
  return !head.hopByHop && !close;
}

/**
 * Writes the response head the client receives, from the engine's head in
 * `buf[start, end)`: hop-by-hop fields removed, `Connection: close` added when
 * the proxy will close. A `101` keeps its `Connection`/`Upgrade`.
 */
export function writeResponseHead(
  out: ByteWriter,
  buf: Uint8Array,
  start: number,
  head: ResponseHead,
  close: boolean,
): void {
  let lineEnd = start;
  while (buf[lineEnd] !== 10) lineEnd++;
  out.bytes(buf, start, lineEnd + 1);
  const keepUpgrade = head.status === 101;
  const { fields, kinds } = head;
  for (let i = 0; i < head.count; i++) {
    const kind = kinds[i];
    if (
      RESPONSE_DROPPED[kind] === 1 && !(keepUpgrade && (kind === CONNECTION || kind === UPGRADE))
    ) {
      continue;
    }
    if (!keepUpgrade && namedBy(head.connectionNamed, buf, fields, i)) continue;
    const f = i * 4;
    out.bytes(buf, fields[f], fields[f + 1]);
    out.ascii(": ");
    out.bytes(buf, fields[f + 2], fields[f + 3]);
    out.ascii("\r\n");
  }
  if (close && !keepUpgrade) out.ascii("Connection: close\r\n");
  out.ascii("\r\n");
}

/**
 * Writes the response head for a body the proxy re-frames (a rewritten or
 * filtered answer): like `writeResponseHead`, without the engine's framing
 * fields, with `Content-Length: length`, or chunked when `length` is -2.
 */
export function writeReframedResponseHead(
  out: ByteWriter,
  buf: Uint8Array,
  start: number,
  head: ResponseHead,
  length: number,
  close: boolean,
): void {
  let lineEnd = start;
  while (buf[lineEnd] !== 10) lineEnd++;
  out.bytes(buf, start, lineEnd + 1);
  const { fields, kinds } = head;
  for (let i = 0; i < head.count; i++) {
    const kind = kinds[i];
    if (RESPONSE_DROPPED[kind] === 1 || kind === CONTENT_LENGTH || kind === TRANSFER_ENCODING) {
      continue;
    }
    if (kind === TRAILER || namedBy(head.connectionNamed, buf, fields, i)) continue;
    const f = i * 4;
    out.bytes(buf, fields[f], fields[f + 1]);
    out.ascii(": ");
    out.bytes(buf, fields[f + 2], fields[f + 3]);
    out.ascii("\r\n");
  }
  out.ascii(length === -2 ? "Transfer-Encoding: chunked\r\n" : `Content-Length: ${length}\r\n`);
  if (close) out.ascii("Connection: close\r\n");
  out.ascii("\r\n");
}
