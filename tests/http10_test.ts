/**
 * HTTP/1.0 clients (`printf 'GET /_ping HTTP/1.0\r\n\r\n' | nc proxy 2375`):
 * decided like any request, forwarded as HTTP/1.1, answered in HTTP/1.0, byte
 * for byte as checked here.
 */
import assert from "node:assert/strict";
import { withProxy } from "./helpers/in_process.ts";
import { RawClient } from "./helpers/raw_client.ts";

const latin1 = new TextDecoder("latin1");

/** Sends `request` on a new connection and returns everything until the proxy closes. */
async function exchange(port: number, request: string): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    await client.write(request);
    return latin1.decode(await client.readToEnd());
  } finally {
    client.close();
  }
}

const PING_ANSWER = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK";

Deno.test("an HTTP/1.0 /_ping is answered in HTTP/1.0 and the connection closed", async () => {
  await withProxy({}, async ({ port, engine, logText }) => {
    assert.equal(await exchange(port, "GET /_ping HTTP/1.0\r\n\r\n"), PING_ANSWER);
    assert.equal(
      latin1.decode(engine.requests[0].raw),
      "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n",
      "the engine gets HTTP/1.1, framed by the proxy",
    );
    assert.match(logText(), /GET \/_ping \(SystemPing\) allowed 200/);
  });
});

Deno.test("an HTTP/1.0 client that ends its side after the request (nc) still gets the answer", async () => {
  await withProxy({ IMAGES: "1" }, async ({ port }) => {
    for (const target of ["/_ping", "/images/x/get?fake=chunked&size=40000"]) {
      const client = await RawClient.connect(port);
      await client.write(`GET ${target} HTTP/1.0\r\n\r\n`);
      client.closeWrite();
      const answer = latin1.decode(await client.readToEnd());
      client.close();
      assert.match(answer, /^HTTP\/1\.0 200 OK\r\n/, target);
      assert.ok(answer.endsWith(target === "/_ping" ? "\r\n\r\nOK" : "x".repeat(40000)), target);
    }
  });
});

Deno.test("a chunked engine answer reaches an HTTP/1.0 client de-chunked and close-delimited", async (t) => {
  await withProxy({ IMAGES: "1" }, async ({ port }) => {
    for (const keepAlive of [false, true]) {
      await t.step(keepAlive ? "asked to keep alive" : "not asked to keep alive", async () => {
        const answer = await exchange(
          port,
          "GET /images/x/get?fake=chunked&size=100 HTTP/1.0\r\n" +
            (keepAlive ? "Connection: keep-alive\r\n" : "") + "\r\n",
        );
        assert.equal(answer, "HTTP/1.0 200 OK\r\n\r\n" + "x".repeat(100));
      });
    }
  });
});

Deno.test("a denial answers an HTTP/1.0 client in HTTP/1.0", async () => {
  await withProxy({}, async ({ port, engine }) => {
    const answer = await exchange(port, "GET /containers/json HTTP/1.0\r\n\r\n");
    const body = JSON.stringify({
      message: "Forbidden by socket-proxy: GET /containers/json (ContainerList) needs CONTAINERS=1",
    }) + "\n";
    assert.equal(
      answer,
      "HTTP/1.0 403 Forbidden\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
    assert.equal(engine.requests.length, 0);
  });
});

Deno.test("an HTTP/1.0 client that asks to keep alive keeps its connection while answers have a length", async () => {
  await withProxy({}, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    const keep = "GET /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    await client.write(keep);
    const first = await client.readResponse();
    assert.equal(first?.status, 200);
    assert.equal(first?.text, "OK");
    assert.equal(first?.headers.connection, "keep-alive");
    // A denial has a length too: still kept.
    await client.write("GET /containers/json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const denied = await client.readResponse();
    assert.equal(denied?.status, 403);
    assert.equal(denied?.headers.connection, "keep-alive");
    // Without keep-alive, the answer is the last.
    await client.write("GET /_ping HTTP/1.0\r\n\r\n");
    assert.equal(latin1.decode(await client.readToEnd()), PING_ANSWER);
    client.close();
    assert.equal(engine.requests.length, 2);
  });
});

Deno.test("an HTTP/1.0 request asking for an upgrade is refused in HTTP/1.0", async () => {
  await withProxy({ POST: "1", EXEC: "1" }, async ({ port, engine }) => {
    const answer = await exchange(
      port,
      "POST /exec/abc/start?fake=hijack HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n" +
        "Content-Length: 0\r\n\r\n",
    );
    assert.match(answer, /^HTTP\/1\.0 400 Bad Request\r\n/);
    assert.match(answer, /Upgrade in an HTTP\/1\.0 request \(upgrades need HTTP\/1\.1\)/);
    assert.equal(engine.received, 0);
  });
});

Deno.test("an HTTP/1.0 request with a chunked body is refused in HTTP/1.0", async () => {
  await withProxy({ POST: "1", BUILD: "1" }, async ({ port, engine }) => {
    const answer = await exchange(
      port,
      "POST /build HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    assert.match(answer, /^HTTP\/1\.0 400 Bad Request\r\n/);
    assert.match(answer, /send Content-Length/);
    assert.equal(engine.received, 0);
  });
});

Deno.test("an HTTP/1.0 request body with Content-Length is forwarded with the proxy's framing", async () => {
  await withProxy({ POST: "1", BUILD: "1" }, async ({ port, engine }) => {
    const answer = await exchange(port, "POST /build HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello");
    assert.match(answer, /^HTTP\/1\.0 200 OK\r\n/);
    assert.equal(
      latin1.decode(engine.requests[0].raw),
      "POST /build HTTP/1.1\r\nHost: docker\r\nContent-Length: 5\r\n\r\nhello",
    );
  });
});

Deno.test("an HTTP/1.1 request after an HTTP/1.0 one on the same connection is answered in HTTP/1.1", async () => {
  await withProxy({}, async ({ port }) => {
    const client = await RawClient.connect(port);
    await client.write(
      "GET /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" +
        "GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    const all = latin1.decode(await client.readToEnd());
    assert.match(all, /^HTTP\/1\.0 200 OK\r\n[\s\S]*\r\n\r\nOKHTTP\/1\.1 200 OK\r\n/);
    client.close();
  });
});
