import assert from "node:assert/strict";
import { ChunkedDecoder, writeChunkHeader } from "../../../lib/http/chunked.ts";
import { HttpError } from "../../../lib/http/http_head.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Decodes `text` fed in pieces of `step` bytes; returns the data and where the body ended. */
function decode(text: string, step = Infinity): { data: string; end: number; done: boolean } {
  const buf = encoder.encode(text);
  const chunked = new ChunkedDecoder();
  let data = "";
  let pos = 0;
  while (pos < buf.length && !chunked.done) {
    const until = Math.min(buf.length, pos + step);
    pos = chunked.feed(buf, pos, until, (b, s, e) => data += decoder.decode(b.subarray(s, e)));
  }
  return { data, end: pos, done: chunked.done };
}

Deno.test("ChunkedDecoder decodes bodies fed in any pieces", async (t) => {
  const body =
    "5\r\nhello\r\n1;name=value\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
  for (const step of [1, 2, 3, 7, Infinity]) {
    await t.step(`${step} bytes at a time`, () => {
      const result = decode(body, step);
      assert.deepEqual(result, { data: "hello 0123456789", end: body.length - 4, done: true });
    });
  }
});

Deno.test("ChunkedDecoder refuses malformed framing", async (t) => {
  const cases: [string, string][] = [
    ["a size that overflows", "fffffffffffffffff\r\n"],
    ["a size beyond 2^53", "20000000000000\r\n"],
    ["no size", "\r\n"],
    ["a size with a sign", "+5\r\nhello\r\n0\r\n\r\n"],
    ["whitespace before the size", " 5\r\nhello\r\n0\r\n\r\n"],
    ["whitespace after the size", "5 \r\nhello\r\n0\r\n\r\n"],
    ["a bare LF after the size", "5\nhello\r\n0\r\n\r\n"],
    ["data longer than its size", "3\r\nhello\r\n0\r\n\r\n"],
    ["a bare LF after the data", "5\r\nhello\n0\r\n\r\n"],
    ["a control byte in an extension", "5;a\u0001\r\nhello\r\n0\r\n\r\n"],
    ["a folded trailer", "0\r\n folded\r\n\r\n"],
    ["a bare CR in a trailer", "0\r\nX: a\rb\r\n\r\n"],
    ["a bare LF at the end", "0\r\n\n"],
  ];
  for (const [name, body] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => decode(body),
        (error: Error) => error instanceof HttpError && error.status === 400,
      );
    });
  }
});

Deno.test("ChunkedDecoder answers 502 for the engine's bad framing", () => {
  const chunked = new ChunkedDecoder(502);
  assert.throws(
    () => chunked.feed(encoder.encode("zz\r\n"), 0, 4),
    (error: Error) => error instanceof HttpError && error.status === 502,
  );
});

Deno.test("writeChunkHeader() writes the size in hex", () => {
  for (
    const [length, text] of [[1, "1\r\n"], [15, "f\r\n"], [16, "10\r\n"], [
      65536,
      "10000\r\n",
    ]] as const
  ) {
    const out = new Uint8Array(16);
    const end = writeChunkHeader(out, 0, length);
    assert.equal(decoder.decode(out.subarray(0, end)), text);
  }
});
