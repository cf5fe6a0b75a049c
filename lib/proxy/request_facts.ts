/**
 * What the pipeline reads off a client and its request head besides the
 * policy's inputs: who the peer is, and the few header fields it acts on.
 */
import { CONTENT_TYPE, fieldValue, latin1, OTHER, type RequestHead } from "../http/http_head.ts";
import { hasBody } from "./request_body.ts";

/** `host:port` of a client, IPv4-mapped IPv6 shown as IPv4. */
export function describePeer(
  addr: Deno.Addr,
): { peer: string; local: boolean; host: string | null } {
  if (addr.transport === "unix" || addr.transport === "unixpacket") {
    return { peer: "unix", local: true, host: null };
  }
  if (addr.transport !== "tcp" && addr.transport !== "udp") {
    return { peer: "?", local: false, host: null };
  }
  const host = addr.hostname.startsWith("::ffff:") ? addr.hostname.slice(7) : addr.hostname;
  const local = host === "::1" || host.startsWith("127.");
  return {
    peer: host.includes(":") ? `[${host}]:${addr.port}` : `${host}:${addr.port}`,
    local,
    host,
  };
}

/** Whether a request body is a form, whose fields the engine would merge into the query. */
export function isFormBody(buf: Uint8Array, head: RequestHead): boolean {
  if (!hasBody(head)) return false;
  for (let i = 0; i < head.count; i++) {
    if (head.kinds[i] !== CONTENT_TYPE) continue;
    const type = fieldValue(buf, head, i).toLowerCase().trim();
    if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/")) {
      return true;
    }
  }
  return false;
}

/** The value of the first field named `lowerName` (not one the parser classifies), or `null`. */
export function fieldText(buf: Uint8Array, head: RequestHead, lowerName: string): string | null {
  for (let i = 0; i < head.count; i++) {
    if (head.kinds[i] !== OTHER) continue;
    const start = head.fields[i * 4];
    const end = head.fields[i * 4 + 1];
    if (end - start === lowerName.length && latin1(buf, start, end).toLowerCase() === lowerName) {
      return fieldValue(buf, head, i).toLowerCase(); // the parser strips blanks around it
    }
  }
  return null;
}
