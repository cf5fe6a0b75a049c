/**
 * The heads the proxy sends on, field by field: every hop-by-hop field is
 * dropped both ways, the fields `Connection` names whatever their case, and
 * the framing is the proxy's own. Written against the mutants
 * `deno task mutate forward_head` showed surviving.
 */
import assert from "node:assert/strict";
import { ByteWriter } from "../../../lib/http/byte_writer.ts";
import {
  ENGINE_HOST,
  responseHeadIsClean,
  writeFraming,
  writeReframedResponseHead,
  writeRequestFields,
  writeRequestHead,
  writeResponseHead,
} from "../../../lib/http/forward_head.ts";
import { HeadScanner, parseRequestHead, parseResponseHead } from "../../../lib/http/http_head.ts";

const LIMITS = { maxRequestLine: 8192, maxHeaderBytes: 65536, maxHeaderCount: 100 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function request(text: string) {
  const buf = encoder.encode(text);
  const scanner = new HeadScanner();
  scanner.reset(0);
  const end = scanner.scan(buf, buf.length, LIMITS);
  return { buf, head: parseRequestHead(buf, 0, end) };
}

function forwarded(text: string, upgrade = true, requestLine?: string): string {
  const { buf, head } = request(text);
  const out = new ByteWriter(8);
  writeRequestHead(out, buf, head, {
    target: "/canonical?q=1",
    upgrade,
    requestLine: requestLine === undefined ? undefined : encoder.encode(requestLine),
  });
  return decoder.decode(out.view());
}

function response(text: string, close: boolean, prefix = "") {
  const buf = encoder.encode(prefix + text);
  const scanner = new HeadScanner();
  scanner.reset(prefix.length);
  const end = scanner.scan(buf, buf.length, LIMITS);
  const head = parseResponseHead(buf, prefix.length, end);
  const out = new ByteWriter(8);
  writeResponseHead(out, buf, prefix.length, head, close);
  return { text: decoder.decode(out.view()), head };
}

Deno.test("every hop-by-hop request field is dropped, and the Host is the proxy's", async (t) => {
  for (
    const field of [
      "Host: evil",
      "Content-Length: 0",
      "Connection: keep-alive",
      "Keep-Alive: timeout=5",
      "Proxy-Connection: keep-alive",
      "TE: trailers",
      "Trailer: X-A",
      "Upgrade: h2c",
      "Expect: 100-continue",
      "Proxy-Authorization: Basic eA==",
      "Proxy-Authenticate: Basic",
    ]
  ) {
    await t.step(field, () => {
      const host = field.startsWith("Host") ? "" : "Host: x\r\n";
      assert.equal(
        forwarded(`GET /a HTTP/1.1\r\n${host}${field}\r\nX-Kept: 1\r\n\r\n`),
        `GET /canonical?q=1 HTTP/1.1\r\nHost: ${ENGINE_HOST}\r\nX-Kept: 1\r\n` +
          (field === "Content-Length: 0" ? "Content-Length: 0\r\n" : "") + "\r\n",
      );
    });
  }
});

Deno.test("fields named by Connection are dropped whatever their case; others stay", () => {
  assert.equal(
    forwarded(
      "GET /a HTTP/1.1\r\nHost: x\r\nconnection: X-HOP, x-other\r\nX-Hop: 1\r\nx-OTHER: 2\r\n" +
        "X-Hopper: 3\r\n\r\n",
    ),
    "GET /canonical?q=1 HTTP/1.1\r\nHost: docker\r\nX-Hopper: 3\r\n\r\n",
  );
});

Deno.test("the request line comes from the route cache when it has one", () => {
  assert.equal(
    forwarded(
      "GET /a HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\n",
      true,
      "GET /cached HTTP/1.1\r\nHost: docker\r\n",
    ),
    "GET /cached HTTP/1.1\r\nHost: docker\r\nX-A: 1\r\n\r\n",
  );
});

Deno.test("writeFraming() writes the proxy's own framing and the upgrade it passes on", async (t) => {
  const { head } = request(
    "POST /a HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: tcp\r\n\r\n",
  );
  const framing = (upgrade: boolean, length: number) => {
    const out = new ByteWriter(8);
    writeFraming(out, head, upgrade, length);
    return decoder.decode(out.view());
  };
  await t.step("chunked", () => {
    assert.equal(framing(false, -2), "Transfer-Encoding: chunked\r\n\r\n");
  });
  await t.step("a length, zero included", () => {
    assert.equal(framing(false, 0), "Content-Length: 0\r\n\r\n");
    assert.equal(framing(false, 12), "Content-Length: 12\r\n\r\n");
  });
  await t.step("no body", () => assert.equal(framing(false, -1), "\r\n"));
  await t.step("the upgrade, when passed on", () => {
    assert.equal(framing(true, -1), "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
    assert.equal(
      framing(true, 3),
      "Content-Length: 3\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
    );
  });
  await t.step("no upgrade when the client asked for none", () => {
    const plain = request("POST /a HTTP/1.1\r\nHost: x\r\n\r\n").head;
    const out = new ByteWriter(8);
    writeFraming(out, plain, true, -1);
    assert.equal(decoder.decode(out.view()), "\r\n");
  });
  await t.step("writeRequestFields() writes no framing", () => {
    const { buf, head } = request("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n");
    const out = new ByteWriter(8);
    writeRequestFields(out, buf, head, { target: "/a", upgrade: true });
    assert.equal(decoder.decode(out.view()), "POST /a HTTP/1.1\r\nHost: docker\r\n");
  });
  await t.step("a chunked request is forwarded chunked", () => {
    assert.equal(
      forwarded("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
      "POST /canonical?q=1 HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
  });
});

Deno.test("every hop-by-hop response field is dropped; framing and Trailer stay", async (t) => {
  for (
    const field of [
      "Connection: keep-alive",
      "Keep-Alive: timeout=5",
      "Proxy-Connection: keep-alive",
      "TE: trailers",
      "Upgrade: h2c",
      "Proxy-Authenticate: Basic",
      "Proxy-Authorization: Basic eA==",
    ]
  ) {
    await t.step(field, () => {
      const { text, head } = response(
        `HTTP/1.1 200 OK\r\n${field}\r\nContent-Length: 0\r\nTrailer: X\r\n\r\n`,
        false,
      );
      assert.equal(text, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nTrailer: X\r\n\r\n");
      assert.equal(responseHeadIsClean(head, false), false);
    });
  }
});

Deno.test("a response head is clean when it has no hop-by-hop field and the proxy keeps the connection", () => {
  const { head, text } = response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
  assert.equal(responseHeadIsClean(head, false), true);
  assert.equal(responseHeadIsClean(head, true), false);
  assert.equal(text, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
});

Deno.test("writeResponseHead() starts at the head's offset and names Connection-listed fields in any case", () => {
  const { text } = response(
    "HTTP/1.1 200 OK\r\nConnection: x-a\r\nX-A: 1\r\nx-b: 2\r\n\r\n",
    true,
    "leftover bytes\n",
  );
  assert.equal(text, "HTTP/1.1 200 OK\r\nx-b: 2\r\nConnection: close\r\n\r\n");
});

Deno.test("a 101 keeps Connection and Upgrade but still loses the other hop-by-hop fields", () => {
  const { text } = response(
    "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade, X-A\r\nUpgrade: tcp\r\nX-A: 1\r\nKeep-Alive: 1\r\n\r\n",
    true,
  );
  assert.equal(
    text,
    "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade, X-A\r\nUpgrade: tcp\r\nX-A: 1\r\n\r\n",
  );
  const ok = response("HTTP/1.1 200 OK\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", false).text;
  assert.equal(ok, "HTTP/1.1 200 OK\r\n\r\n");
});

function reframed(text: string, length: number, close: boolean, prefix = ""): string {
  const buf = encoder.encode(prefix + text);
  const scanner = new HeadScanner();
  scanner.reset(prefix.length);
  const end = scanner.scan(buf, buf.length, LIMITS);
  const head = parseResponseHead(buf, prefix.length, end);
  const out = new ByteWriter(8);
  writeReframedResponseHead(out, buf, prefix.length, head, length, close);
  return decoder.decode(out.view());
}

Deno.test("writeReframedResponseHead() drops the engine's framing and hop-by-hop fields, and frames the new body", async (t) => {
  const engine = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 120\r\n" +
    "Transfer-Encoding: chunked\r\nTrailer: X-T\r\nConnection: keep-alive, X-Hop\r\n" +
    "X-Hop: 1\r\nKeep-Alive: timeout=5\r\nApi-Version: 1.41\r\n\r\n";
  const kept = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n";
  const cases: [string, number, boolean, string][] = [
    ["with a length", 17, false, `${kept}Content-Length: 17\r\n\r\n`],
    ["with no body", 0, false, `${kept}Content-Length: 0\r\n\r\n`],
    ["chunked", -2, false, `${kept}Transfer-Encoding: chunked\r\n\r\n`],
    ["closing", 5, true, `${kept}Content-Length: 5\r\nConnection: close\r\n\r\n`],
  ];
  for (const [name, length, close, expected] of cases) {
    await t.step(name, () => {
      assert.equal(reframed(engine, length, close, "earlier bytes\n"), expected);
    });
  }
});
