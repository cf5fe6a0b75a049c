/**
 * Answers the proxy rewrites before a scoped client sees them (container
 * lists without hidden containers, inspect answers without environment
 * values): the engine's body is read whole, rewritten, and sent with a
 * `Content-Length` of its own. Only `200` JSON answers are rewritten; any
 * other answer passes as it came, re-framed. Not for answers without a body
 * (HEAD, 204, 304): those pass as they are.
 */
import type { BufferedConn } from "../http/buffered_conn.ts";
import type { ByteWriter } from "../http/byte_writer.ts";
import { ChunkedDecoder } from "../http/chunked.ts";
import { writeReframedResponseHead } from "../http/forward_head.ts";
import { HttpError, type ResponseHead } from "../http/http_head.ts";
import { type BodyMode, CHUNKED, LENGTH, NO_BODY, UpstreamClosedError } from "./response_relay.ts";

/** Largest answer rewritten (a list of some 50,000 containers). */
export const MAX_REWRITTEN_ANSWER = 64 * 1024 * 1024;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Reads the body of `response` whole from `engine` (after its head). */
async function readBody(engine: BufferedConn, response: ResponseHead, mode: BodyMode) {
  const parts: Uint8Array[] = [];
  let total = 0;
  const keep = (bytes: Uint8Array) => {
    total += bytes.length;
    if (total > MAX_REWRITTEN_ANSWER) {
      throw new HttpError(502, "The engine's answer is too large for the proxy to filter");
    }
    parts.push(bytes.slice());
  };
  const chunked = mode === CHUNKED ? new ChunkedDecoder(502) : null;
  let left = mode === LENGTH ? response.contentLength : 0;
  for (;;) {
    if (mode === NO_BODY) break;
    if (chunked !== null) {
      engine.start = chunked.feed(engine.buf, engine.start, engine.end, (buf, start, end) => {
        keep(buf.subarray(start, end));
      });
      if (chunked.done) break;
    } else if (mode === LENGTH) {
      const take = Math.min(left, engine.available);
      keep(engine.buf.subarray(engine.start, engine.start + take));
      engine.start += take;
      left -= take;
      if (left === 0) break;
    } else {
      keep(engine.buf.subarray(engine.start, engine.end));
      engine.start = engine.end;
    }
    engine.reset();
    if (!(await engine.fill())) {
      if (mode !== CHUNKED && mode !== LENGTH && engine.error === null) break;
      throw new UpstreamClosedError(true);
    }
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    body.set(part, at);
    at += part.length;
  }
  return body;
}

/**
 * Relays the answer whose head is `engine.buf[responseStart, engine.start)`,
 * its body passed through `rewrite` (parsed JSON in, JSON out) when it is a
 * `200`. Returns the bytes sent to the client.
 */
export async function relayRewritten(
  client: BufferedConn,
  engine: BufferedConn,
  responseStart: number,
  response: ResponseHead,
  mode: BodyMode,
  close: boolean,
  scratch: ByteWriter,
  rewrite: (answer: unknown) => unknown,
): Promise<number> {
  // The head's fields are offsets into the engine's buffer, which reading the
  // body reuses: keep a copy of the bytes up to the head's end.
  const head = engine.buf.slice(0, engine.start);
  let body = await readBody(engine, response, mode);
  if (response.status === 200 && body.length > 0) {
    let parsed: unknown = undefined;
    try {
      parsed = JSON.parse(decoder.decode(body));
    } catch {
      // Not JSON: nothing to filter, and nothing the scope could hide in it.
    }
    if (parsed !== undefined) body = encoder.encode(JSON.stringify(rewrite(parsed)));
  }
  scratch.reset();
  writeReframedResponseHead(scratch, head, responseStart, response, body.length, close);
  scratch.bytes(body);
  await client.write(scratch.view());
  return scratch.length;
}
