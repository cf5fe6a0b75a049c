import assert from "node:assert/strict";
import { Http10Relay } from "../../../lib/http/http10_relay.ts";

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/** The relay for `request`, or null. */
function select(request: string, previous: unknown = null): Http10Relay | null {
  const buf = latin1(request);
  return Http10Relay.select(buf, 0, buf.length, previous);
}

/** What the client receives when the proxy writes `writes`, one after another. */
function rewrite(request: string, writes: string[]): string {
  const relay = select(request)!;
  assert.ok(relay, "an HTTP/1.0 request selects the relay");
  return writes.map((write) => text(relay.transform(latin1(write)))).join("");
}

/** `body` in chunks of `size` bytes. */
function chunked(body: string, size: number): string {
  let out = "";
  for (let at = 0; at < body.length; at += size) {
    const part = body.slice(at, at + size);
    out += `${part.length.toString(16)};ext=1\r\n${part}\r\n`;
  }
  return out + "0\r\nX-Trailer: t\r\n\r\n";
}

Deno.test("Http10Relay.select() picks HTTP/1.0 requests only", async (t) => {
  await t.step("HTTP/1.0", () => assert.ok(select("GET /_ping HTTP/1.0\r\n\r\n")));
  await t.step("HTTP/1.1", () => assert.equal(select("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), null));
  await t.step("a target that ends like a version", () => {
    assert.equal(select("GET /HTTP/1.0 HTTP/1.1\r\nHost: x\r\n\r\n"), null);
  });
  await t.step("a malformed request line in HTTP/1.0", () => {
    assert.ok(select("GET  / HTTP/1.0\r\n\r\n"));
  });
  await t.step("the relay of the previous request is reused", () => {
    const first = select("GET / HTTP/1.0\r\n\r\n");
    assert.equal(select("GET / HTTP/1.0\r\n\r\n", first), first);
  });
});

Deno.test("Http10Relay rewrites every answer into HTTP/1.0", async (t) => {
  const cases: { name: string; request?: string; writes: string[]; expected: string }[] = [
    {
      name: "a Content-Length answer keeps its length, without keep-alive when closing",
      writes: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"],
      expected: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nOK",
    },
    {
      name: "a Content-Length answer on a kept connection says keep-alive",
      writes: ["HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK"],
      expected: "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n" +
        "Connection: keep-alive\r\n\r\nOK",
    },
    {
      name: "a chunked answer is de-chunked, its trailer dropped",
      writes: [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer\r\nConnection: close\r\n\r\n" +
        chunked("hello world", 4),
      ],
      expected: "HTTP/1.0 200 OK\r\n\r\nhello world",
    },
    {
      name: "a chunked answer split anywhere across writes",
      writes: (() => {
        const all = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
          chunked("abcdefghijklmnopqrstuvwxyz", 5);
        const pieces: string[] = [];
        for (let at = 0; at < all.length; at += 7) pieces.push(all.slice(at, at + 7));
        return pieces;
      })(),
      expected: "HTTP/1.0 200 OK\r\n\r\nabcdefghijklmnopqrstuvwxyz",
    },
    {
      name: "the head of a HEAD answer is all there is",
      request: "HEAD /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      writes: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"],
      expected: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
    },
    {
      name: "an interim answer is dropped",
      writes: [
        "HTTP/1.1 102 Processing\r\n\r\n",
        "HTTP/1.1 204 No Content\r\n\r\n",
      ],
      expected: "HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n",
    },
    {
      name: "a close-delimited answer passes as it is",
      writes: ["HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc", "def"],
      expected: "HTTP/1.0 200 OK\r\n\r\nabcdef",
    },
    {
      name: "a raw stream passes as it is, never kept alive",
      writes: ["HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nhi", "x"],
      expected: "HTTP/1.0 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nhix",
    },
    {
      name: "a proxy error answer",
      writes: [
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n{}\r\n",
      ],
      expected:
        "HTTP/1.0 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 4\r\n" +
        "Connection: keep-alive\r\n\r\n{}\r\n",
    },
    {
      name: "two answers in a row on a kept connection",
      writes: [
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb",
      ],
      expected: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\na" +
        "HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nb",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.equal(rewrite(c.request ?? "GET /x HTTP/1.0\r\n\r\n", c.writes), c.expected);
    });
  }
});

Deno.test("Http10Relay passes a body it does not change without copying it", () => {
  const relay = select("GET / HTTP/1.0\r\n\r\n")!;
  relay.transform(latin1("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n"));
  const body = latin1("abcdef");
  const sent = relay.transform(body);
  assert.equal(text(sent), "abcdef");
  assert.equal(sent.buffer, body.buffer, "a view of the same bytes");
});
