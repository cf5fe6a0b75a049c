/**
 * The chunked decoder at its edges: every refusal with its message, the limits
 * at and past their bounds, state that must be reset between chunks. Written
 * against the mutants `deno task mutate chunked` showed surviving.
 */
import assert from "node:assert/strict";
import { ChunkedDecoder, LAST_CHUNK, writeChunkHeader } from "../../../lib/http/chunked.ts";
import { HttpError } from "../../../lib/http/http_head.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function decode(text: string, status?: number) {
  const buf = encoder.encode(text);
  const chunked = new ChunkedDecoder(status);
  let data = "";
  const end = chunked.feed(
    buf,
    0,
    buf.length,
    (b, s, e) => data += decoder.decode(b.subarray(s, e)),
  );
  return { data, end, done: chunked.done };
}

function refusal(text: string, status?: number): { status: number; message: string } {
  try {
    decode(text, status);
  } catch (error) {
    assert.ok(error instanceof HttpError, String(error));
    return { status: error.status, message: error.message };
  }
  assert.fail(`accepted ${JSON.stringify(text.slice(0, 80))}`);
}

Deno.test("ChunkedDecoder names what is wrong with the framing", async (t) => {
  const cases: [string, string, string][] = [
    [
      "a byte other than CR after the data",
      "3\r\nabcX\n0\r\n\r\n",
      "Chunk data longer than its size",
    ],
    ["data longer than its size", "3\r\nabcd\r\n0\r\n\r\n", "Chunk data longer than its size"],
    ["a bare CR after the data", "3\r\nabc\rX0\r\n\r\n", "Malformed chunk ending"],
    ["no size", "\r\n", "Malformed chunk size"],
    ["a size that is not hex", "g\r\n", "Malformed chunk size"],
    ["a digit then junk", "5x\r\n", "Malformed chunk size"],
    ["a size line without LF", "5\rhello\r\n0\r\n\r\n", "Malformed chunk size line"],
    ["17 hex digits", "00000000000000003\r\nabc\r\n0\r\n\r\n", "Chunk size overflows"],
    ["2^53", "20000000000000\r\n", "Chunk size overflows"],
    ["2^53 + 1", "20000000000001\r\n", "Chunk size overflows"],
    [
      "a control byte in an extension",
      "1;\u0001\r\nx\r\n0\r\n\r\n",
      "Control byte in chunk extension",
    ],
    ["DEL in an extension", "1;\u007f\r\nx\r\n0\r\n\r\n", "Control byte in chunk extension"],
    ["a bare LF in an extension", "1;a\nx\r\n0\r\n\r\n", "Control byte in chunk extension"],
    ["a trailer folded with a space", "0\r\n x\r\n\r\n", "Malformed trailer"],
    ["a trailer folded with a tab", "0\r\n\tx\r\n\r\n", "Malformed trailer"],
    ["a bare LF for the last line", "0\r\n\n", "Malformed trailer"],
    ["a control byte opening a trailer", "0\r\n\u0001X: 1\r\n\r\n", "Control byte in trailer"],
    ["DEL opening a trailer", "0\r\n\u007fX: 1\r\n\r\n", "Control byte in trailer"],
    ["a control byte inside a trailer", "0\r\nX: \u0001\r\n\r\n", "Control byte in trailer"],
    ["DEL inside a trailer", "0\r\nX: \u007f\r\n\r\n", "Control byte in trailer"],
    ["a bare LF inside a trailer", "0\r\nX: a\nb\r\n\r\n", "Control byte in trailer"],
    ["a bare CR ending a trailer", "0\r\nX: a\rb\r\n\r\n", "Bare CR in trailer"],
    ["a CR without LF at the end", "0\r\n\rX", "Malformed end of chunked body"],
  ];
  for (const [name, text, message] of cases) {
    await t.step(name, () => assert.deepEqual(refusal(text), { status: 400, message }));
  }
  await t.step("the engine's bad framing is a 502", () => {
    assert.deepEqual(refusal("3\r\nabcX\n0\r\n\r\n", 502), {
      status: 502,
      message: "Chunk data longer than its size",
    });
  });
});

Deno.test("ChunkedDecoder accepts what the grammar allows, up to its limits", async (t) => {
  const cases: [string, string, string][] = [
    ["upper- and lowercase hex", "A\r\n0123456789\r\nf\r\n0123456789abcde\r\n0\r\n\r\n", ""],
    ["every hex digit's value", "B\r\n0123456789a\r\nF\r\n0123456789abcde\r\n0\r\n\r\n", ""],
    ["16 hex digits", "0000000000000003\r\nabc\r\n0\r\n\r\n", "abc"],
    ["a size of 9", "9\r\n123456789\r\n0\r\n\r\n", "123456789"],
    [
      "16 hex digits in every chunk",
      "0000000000000003\r\nabc\r\n0000000000000001\r\nd\r\n0000000000000000\r\n\r\n",
      "abcd",
    ],
    ["a chunk after a larger one", "10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n", ""],
    ["extensions with tabs and spaces", "1;a=b\t c\r\nx\r\n0;last\r\n\r\n", "x"],
    ["a trailer with a tab", "0\r\nX:\ta\r\n\r\n", ""],
    ["two trailers", "0\r\nA: 1\r\nB: 2\r\n\r\n", ""],
  ];
  for (const [name, text, data] of cases) {
    await t.step(name, () => {
      const result = decode(text);
      assert.equal(result.done, true);
      assert.equal(result.end, text.length);
      if (data !== "") assert.equal(result.data, data);
    });
  }
  await t.step("each chunk's data is exactly its size", () => {
    assert.equal(
      decode("A\r\n0123456789\r\nf\r\n0123456789abcde\r\n0\r\n\r\n").data,
      "01234567890123456789abcde",
    );
    assert.equal(decode("10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n").data, "0123456789abcdefx");
  });
  await t.step("a size of 2^53 - 1 is still read", () => {
    const chunked = new ChunkedDecoder();
    const buf = encoder.encode("1fffffffffffff\r\nabc");
    assert.equal(chunked.feed(buf, 0, buf.length), buf.length);
    assert.equal(chunked.done, false);
  });
  await t.step("hex digits stop at / : ` and g", () => {
    for (const text of ["/\r\n", ":\r\n", "`\r\n", "@\r\n", "g\r\n", "G\r\n"]) {
      assert.equal(refusal(text).message, "Malformed chunk size", text);
    }
  });
  const trailer = (bytes: number) => "0\r\nX: " + "a".repeat(bytes - 5) + "\r\n\r\n";
  await t.step(
    "a trailer section of 64 KiB",
    () => assert.equal(decode(trailer(65536)).done, true),
  );
  await t.step("a trailer section over 64 KiB", () => {
    assert.equal(refusal(trailer(65537)).message, "Trailer section too large");
  });
  await t.step("an empty trailer line counts too", () => {
    assert.equal(
      refusal("0\r\n" + "X:\r\n".repeat(21846) + "\r\n").message,
      "Trailer section too large",
    );
  });
});

Deno.test("ChunkedDecoder stops just past the body and reads nothing more", () => {
  const buf = encoder.encode("1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n");
  const chunked = new ChunkedDecoder();
  const spans: string[] = [];
  const onData = (b: Uint8Array, s: number, e: number) =>
    spans.push(decoder.decode(b.subarray(s, e)));
  const end = chunked.feed(buf, 0, buf.length, onData);
  assert.equal(end, 11);
  assert.equal(chunked.done, true);
  assert.equal(chunked.feed(buf, end, buf.length, onData), end, "a finished body takes nothing");
  assert.deepEqual(spans, ["x"]);
});

Deno.test("ChunkedDecoder reports data in spans of the input, never past a chunk", () => {
  const buf = encoder.encode("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  const chunked = new ChunkedDecoder();
  const spans: [number, number][] = [];
  for (let at = 0; at < buf.length;) {
    const until = Math.min(buf.length, at + 4);
    at = chunked.feed(buf, at, until, (_, s, e) => spans.push([s, e]));
  }
  assert.deepEqual(spans, [[3, 4], [4, 6], [11, 12], [12, 13]]);
});

Deno.test("writeChunkHeader() writes the shortest hex size at the given offset", async (t) => {
  const cases: [number, string][] = [
    [0, "0"],
    [9, "9"],
    [10, "a"],
    [15, "f"],
    [16, "10"],
    [255, "ff"],
    [256, "100"],
    [4095, "fff"],
    [4096, "1000"],
    [0xabcdef, "abcdef"],
    [2 ** 32, "100000000"],
  ];
  for (const [length, hex] of cases) {
    await t.step(hex, () => {
      const out = new Uint8Array(32).fill(46);
      const end = writeChunkHeader(out, 3, length);
      assert.equal(end, 3 + hex.length + 2);
      assert.equal(decoder.decode(out.subarray(0, end + 1)), "..." + hex + "\r\n.");
    });
  }
  assert.equal(decoder.decode(LAST_CHUNK), "0\r\n\r\n");
});
