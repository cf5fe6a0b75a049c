/**
 * `/events` for a scoped client: the engine's stream decoded, filtered line by
 * line (`EventFilter`), and re-chunked, as it arrives — the stream is never
 * held back for more than one line.
 */
import type { BufferedConn } from "../http/buffered_conn.ts";
import { ByteWriter } from "../http/byte_writer.ts";
import { ChunkedDecoder, LAST_CHUNK, writeChunkHeader } from "../http/chunked.ts";
import { writeReframedResponseHead } from "../http/forward_head.ts";
import type { ResponseHead } from "../http/http_head.ts";
import { type BodyMode, CHUNKED, LENGTH, NO_BODY, UpstreamClosedError } from "./response_relay.ts";
import type { EventFilter } from "../scoping/event_filter.ts";

/**
 * Relays a `200` event stream through `filter`; returns the bytes sent. The
 * caller relays anything else (an error answer) as usual.
 */
export async function relayEvents(
  client: BufferedConn,
  engine: BufferedConn,
  responseStart: number,
  response: ResponseHead,
  mode: BodyMode,
  close: boolean,
  filter: EventFilter,
): Promise<number> {
  const out = new ByteWriter(4096);
  writeReframedResponseHead(out, engine.buf, responseStart, response, -2, close);
  let sent = 0;
  const pass = (line: Uint8Array) => {
    out.reserve(line.length + 20);
    out.length = writeChunkHeader(out.buf, out.length, line.length);
    out.bytes(line);
    out.ascii("\r\n");
  };
  const flush = async () => {
    if (out.length === 0) return;
    sent += out.length;
    await client.write(out.view());
    out.reset();
  };
  const chunked = mode === CHUNKED ? new ChunkedDecoder(502) : null;
  let left = mode === LENGTH ? response.contentLength : 0;
  let ended = mode === NO_BODY;
  while (!ended) {
    if (chunked !== null) {
      engine.start = chunked.feed(engine.buf, engine.start, engine.end, (buf, start, end) => {
        filter.feed(buf.subarray(start, end), pass);
      });
      ended = chunked.done;
    } else {
      const end = mode === LENGTH ? engine.start + Math.min(left, engine.available) : engine.end;
      filter.feed(engine.buf.subarray(engine.start, end), pass);
      left -= end - engine.start;
      engine.start = end;
      ended = mode === LENGTH && left === 0;
    }
    await flush();
    if (ended) break;
    engine.reset();
    if (!(await engine.fill())) {
      if (mode !== CHUNKED && mode !== LENGTH && engine.error === null) break;
      throw new UpstreamClosedError(sent > 0);
    }
  }
  out.bytes(LAST_CHUNK);
  await flush();
  return sent;
}
