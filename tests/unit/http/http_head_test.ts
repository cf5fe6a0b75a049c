import assert from "node:assert/strict";
import { ByteWriter } from "../../../lib/http/byte_writer.ts";
import { writeRequestHead, writeResponseHead } from "../../../lib/http/forward_head.ts";
import {
  fieldName,
  fieldValue,
  HeadScanner,
  HttpError,
  parseRequestHead,
  parseResponseHead,
  type RequestHead,
} from "../../../lib/http/http_head.ts";

const LIMITS = { maxRequestLine: 8192, maxHeaderBytes: 65536, maxHeaderCount: 100 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Scans and parses `text` as one request head. */
function parse(text: string, limits = LIMITS): { head: RequestHead; buf: Uint8Array } {
  const buf = encoder.encode(text);
  const scanner = new HeadScanner();
  scanner.reset(0);
  const end = scanner.scan(buf, buf.length, limits);
  if (end < 0) throw new Error("incomplete head");
  return { head: parseRequestHead(buf, 0, end), buf };
}

function status(text: string, limits = LIMITS): number | "incomplete" | "ok" {
  try {
    parse(text, limits);
    return "ok";
  } catch (error) {
    if (error instanceof HttpError) return error.status;
    if ((error as Error).message === "incomplete head") return "incomplete";
    throw error;
  }
}

Deno.test("parseRequestHead() reads method, target, framing and connection options", () => {
  const { head, buf } = parse(
    "POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: x\r\nUser-Agent:  Docker-Client/28 \r\n" +
      "Content-Length: 12\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
  );
  assert.equal(head.method, "POST");
  assert.equal(head.target, "/v1.41/exec/abc/start");
  assert.equal(head.contentLength, 12);
  assert.equal(head.chunked, false);
  assert.equal(head.upgrade, "tcp");
  assert.equal(head.close, false);
  assert.equal(head.count, 5);
  assert.equal(fieldName(buf, head, 1), "User-Agent");
  assert.equal(fieldValue(buf, head, 1), "Docker-Client/28");
});

Deno.test("parseRequestHead() reads HTTP/1.0 with its own rules: no Host, close unless kept alive", async (t) => {
  await t.step("a bare HTTP/1.0 request closes and needs no Host", () => {
    const { head } = parse("GET /_ping HTTP/1.0\r\n\r\n");
    assert.equal(head.http10, true);
    assert.equal(head.close, true);
  });
  await t.step("Connection: keep-alive keeps it open", () => {
    const { head } = parse("GET /_ping HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    assert.equal(head.close, false);
  });
  await t.step("a body with Content-Length is read as in HTTP/1.1", () => {
    const { head } = parse("POST /build HTTP/1.0\r\nContent-Length: 5\r\n\r\n");
    assert.equal(head.contentLength, 5);
  });
  await t.step("100-continue is ignored, as HTTP/1.0 knows no 1xx", () => {
    const { head } = parse("POST /b HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
    assert.equal(head.expectContinue, false);
  });
  await t.step("HTTP/1.1 is not HTTP/1.0", () => {
    assert.equal(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n").head.http10, false);
  });
});

Deno.test("parseRequestHead() ignores Upgrade unless Connection names it", () => {
  assert.equal(parse("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n").head.upgrade, "");
  const { head } = parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n");
  assert.equal(head.close, true);
});

Deno.test("parseRequestHead() refuses what another parser could read differently", async (t) => {
  const cases: [string, string, number | "incomplete"][] = [
    [
      "both Content-Length and Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      400,
    ],
    [
      "two Content-Length",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
      400,
    ],
    ["a Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\n", 400],
    ["a signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\n", 400],
    ["a negative Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400],
    ["a hex Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400],
    ["an empty Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", 400],
    [
      "a huge Content-Length",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
      400,
    ],
    [
      "gzip, chunked",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      400,
    ],
    [
      "chunked, chunked",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      400,
    ],
    [
      "two Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      400,
    ],
    ["identity", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", 400],
    [
      "chunked with a tab inside",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chun\tked\r\n\r\n",
      400,
    ],
    ["obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n", 400],
    ["obs-fold with a tab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\tcontinued\r\n\r\n", 400],
    ["space before a colon", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n", 400],
    ["tab before a colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A\t: 5\r\n\r\n", 400],
    ["bare LF after the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n", 400],
    ["bare LF after a header", "GET / HTTP/1.1\r\nHost: x\n\r\n", 400],
    ["bare LF at the end", "GET / HTTP/1.1\r\nHost: x\r\n\n", 400],
    ["bare CR in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400],
    ["NUL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n", 400],
    ["a control byte in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n", 400],
    ["DEL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u007fb\r\n\r\n", 400],
    ["NUL in a name", "GET / HTTP/1.1\r\nHost: x\r\nX\u0000A: 1\r\n\r\n", 400],
    ["an empty name", "GET / HTTP/1.1\r\nHost: x\r\n: 1\r\n\r\n", 400],
    ["a line without a colon", "GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", 400],
    ["a method with a slash", "GE/T / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["a method with a space before it", " GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["two spaces after the method", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["a tab as separator", "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["a lowercase version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400],
    ["an extra word", "GET / HTTP/1.1 x\r\nHost: x\r\n\r\n", 400],
    ["no version", "GET /\r\nHost: x\r\n\r\n", 400],
    ["HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505],
    ["HTTP/1.0 with a chunked body", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    [
      "HTTP/1.0 asking for an upgrade",
      "POST / HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
      400,
    ],
    ["HTTP/1.0 with two Host", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["HTTP/1.0 obs-fold", "GET / HTTP/1.0\r\nX-A: 1\r\n continued\r\n\r\n", 400],
    ["HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400],
    ["the HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400],
    ["CONNECT", "CONNECT docker:2375 HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["TRACE", "TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    [
      "a TLS ClientHello",
      "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003",
      400,
    ],
    ["a leading empty line", "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["no Host", "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", 400],
    ["two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["a control byte in the target", "GET /a\u0001b HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["a non-ASCII target", "GET /\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["a malformed Connection", "GET / HTTP/1.1\r\nHost: x\r\nConnection: a b\r\n\r\n", 400],
    [
      "two Upgrade",
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: tcp\r\nUpgrade: h2c\r\n\r\n",
      400,
    ],
    [
      "a malformed Upgrade",
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: t c p\r\n\r\n",
      400,
    ],
    [
      "an unknown expectation",
      "POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n",
      417,
    ],
  ];
  for (const [name, text, expected] of cases) {
    await t.step(name, () => assert.equal(status(text), expected));
  }
});

Deno.test("HeadScanner enforces the size limits before the head is complete", async (t) => {
  const limits = { maxRequestLine: 64, maxHeaderBytes: 256, maxHeaderCount: 4 };
  await t.step("a request line over the limit is 414 without a line end", () => {
    assert.equal(status("GET /" + "a".repeat(100), limits), 414);
  });
  await t.step("a request line over the limit is 414", () => {
    assert.equal(status("GET /" + "a".repeat(100) + " HTTP/1.1\r\nHost: x\r\n\r\n", limits), 414);
  });
  await t.step("a request line at the limit is fine", () => {
    const line = "GET /" + "a".repeat(64 - 14) + " HTTP/1.1";
    assert.equal(line.length, 64);
    assert.equal(status(line + "\r\nHost: x\r\n\r\n", limits), "ok");
  });
  await t.step("a header block over the limit is 431 without its end", () => {
    assert.equal(status("GET / HTTP/1.1\r\nHost: x\r\nX-A: " + "b".repeat(300), limits), 431);
  });
  await t.step("too many fields is 431", () => {
    assert.equal(
      status("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n", limits),
      431,
    );
  });
  await t.step("the field limit itself is fine", () => {
    assert.equal(status("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 1\r\nC: 1\r\n\r\n", limits), "ok");
  });
});

Deno.test("HeadScanner finds a head delivered one byte at a time", () => {
  const text = encoder.encode("GET /_ping HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\nNEXT");
  const scanner = new HeadScanner();
  scanner.reset(0);
  let end = -1;
  for (let n = 1; n <= text.length && end < 0; n++) end = scanner.scan(text, n, LIMITS);
  assert.equal(end, text.length - 4);
});

function requestHead(text: string, target: string, upgrade = true): string {
  const { head, buf } = parse(text);
  const out = new ByteWriter(16);
  writeRequestHead(out, buf, head, { target, upgrade });
  return decoder.decode(out.view());
}

Deno.test("writeRequestHead() writes the canonical request the engine receives", () => {
  assert.equal(
    requestHead(
      "GET /%63ontainers/json HTTP/1.1\r\nHost: proxy:2375\r\nUser-Agent:\tcurl \r\nAccept: */*\r\n\r\n",
      "/containers/json",
    ),
    "GET /containers/json HTTP/1.1\r\nHost: docker\r\nUser-Agent: curl\r\nAccept: */*\r\n\r\n",
  );
});

Deno.test("writeRequestHead() drops hop-by-hop fields, the Connection tokens first", () => {
  assert.equal(
    requestHead(
      "POST /build HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\n" +
        "Keep-Alive: 5\r\nProxy-Connection: x\r\nTE: trailers\r\nTrailer: X\r\n" +
        "Proxy-Authorization: Basic x\r\nExpect: 100-continue\r\nUpgrade: h2c\r\nX-Registry-Auth: e30=\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n",
      "/build",
    ),
    "POST /build HTTP/1.1\r\nHost: docker\r\nX-Registry-Auth: e30=\r\nTransfer-Encoding: chunked\r\n\r\n",
  );
});

Deno.test("writeRequestHead() passes an upgrade on only when asked", () => {
  const text = "POST /exec/1/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n" +
    "Content-Length: 2\r\n\r\n";
  assert.equal(
    requestHead(text, "/exec/1/start"),
    "POST /exec/1/start HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
  );
  assert.equal(
    requestHead(text, "/exec/1/start", false),
    "POST /exec/1/start HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\n",
  );
});

function responseHead(text: string, close: boolean): string {
  const buf = encoder.encode(text);
  const scanner = new HeadScanner();
  scanner.reset(0);
  const end = scanner.scan(buf, buf.length, LIMITS);
  const head = parseResponseHead(buf, 0, end);
  const out = new ByteWriter(16);
  writeResponseHead(out, buf, 0, head, close);
  return decoder.decode(out.view());
}

Deno.test("writeResponseHead() removes hop-by-hop fields and adds Connection: close", () => {
  assert.equal(
    responseHead(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive, X-Hop\r\n" +
        "X-Hop: 1\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n",
      true,
    ),
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
  );
});

Deno.test("writeResponseHead() keeps the Upgrade of a 101", () => {
  const text = "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n" +
    "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
  assert.equal(responseHead(text, false), text);
});

Deno.test("parseResponseHead() reads the framing of engine responses", () => {
  const buf = encoder.encode(
    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nContent-Length: 10\r\n\r\n",
  );
  const head = parseResponseHead(buf, 0, buf.length);
  assert.equal(head.status, 200);
  assert.equal(head.contentLength, 10);
  assert.equal(head.contentType, "", "a framed answer is never a hijacked stream");
  assert.equal(head.hopByHop, false);
  const raw = encoder.encode(
    "HTTP/1.1 200 OK\r\nContent-Type: Application/VND.docker.raw-stream\r\n\r\n",
  );
  assert.equal(
    parseResponseHead(raw, 0, raw.length).contentType,
    "application/vnd.docker.raw-stream",
  );
  assert.throws(
    () => parseResponseHead(encoder.encode("HTTX/1.1 200 OK\r\n\r\n"), 0, 19),
    (error: Error) => error instanceof HttpError && error.status === 502,
  );
});
