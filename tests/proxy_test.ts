/**
 * The proxy's forwarding behaviour, in front of a recording fake engine:
 * keep-alive, pipelining, tunnels and half-close, streams, bodies, faults.
 */
import assert from "node:assert/strict";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { withProxy } from "./helpers/in_process.ts";
import type { ProxyServer } from "../lib/server/server.ts";
import { RawClient } from "./helpers/raw_client.ts";
import { within } from "./helpers/deadline.ts";

const decoder = new TextDecoder();
const text = (bytes: Uint8Array) => decoder.decode(bytes);
const ALL = { POST: "1", CONTAINERS: "1", EXEC: "1", IMAGES: "1", BUILD: "1" };

Deno.test("the proxy forwards the canonical request, with Host set and hop-by-hop fields gone", async () => {
  await withProxy(ALL, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    await client.write(
      "GET /v1.41/%63ontainers/json?all=1 HTTP/1.1\r\nHost: proxy:2375\r\nUser-Agent: t\r\n" +
        "Connection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: 5\r\nTE: trailers\r\n\r\n",
    );
    const response = await within(client.readResponse(), "an answer");
    assert.equal(response?.status, 200);
    assert.deepEqual(JSON.parse(response!.text), {
      method: "GET",
      target: "/v1.41/containers/json?all=1",
    });
    assert.equal(
      text(engine.requests[0].raw),
      "GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: docker\r\nUser-Agent: t\r\n\r\n",
    );
    client.close();
  });
});

Deno.test("the proxy serves keep-alive requests over one pooled engine connection", async () => {
  await withProxy({}, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    for (let i = 0; i < 5; i++) {
      await client.write("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
      const response = await within(client.readResponse(), "an answer");
      assert.equal(response?.text, "OK");
    }
    assert.equal(engine.requests.length, 5);
    assert.equal(engine.open, 1);
    client.close();
  });
});

Deno.test("the proxy decides every pipelined request on its own", async () => {
  await withProxy({}, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    await client.write(
      "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n" +
        "GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n" +
        "HEAD /_ping HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert.equal((await within(client.readResponse(), "an answer"))?.status, 200);
    const denied = await within(client.readResponse(), "an answer");
    assert.equal(denied?.status, 403);
    assert.match(
      denied!.text,
      /Forbidden by socket-proxy: GET \/containers\/json \(ContainerList\) needs CONTAINERS=1/,
    );
    assert.equal((await within(client.readResponse({ head: true }), "an answer"))?.status, 200);
    assert.deepEqual(engine.requests.map((r) => `${r.method} ${r.target}`), [
      "GET /_ping",
      "HEAD /_ping",
    ]);
    client.close();
  });
});

Deno.test("a denial is Docker's error body with a 403", async () => {
  await withProxy({}, async ({ port, engine, logText }) => {
    const response = await within(
      fetch(`http://127.0.0.1:${port}/v1.41/containers/create`, { method: "POST", body: "{}" }),
      "an answer",
    );
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.deepEqual(await within(response.json(), "the body"), {
      message:
        "Forbidden by socket-proxy: POST /v1.41/containers/create (ContainerCreate) needs POST=1 and CONTAINERS=1",
    });
    assert.equal(engine.requests.length, 0);
    assert.match(
      logText(),
      /warning 127\.0\.0\.1:\d+ POST \/v1\.41\/containers\/create \(ContainerCreate\) denied 403/,
    );
  });
});

Deno.test("the proxy logs one line per request at info", async () => {
  await withProxy({}, async ({ port, logText }) => {
    const response = await within(fetch(`http://127.0.0.1:${port}/v1.47/_ping`), "an answer");
    assert.equal(await within(response.text(), "the body"), "OK");
    assert.match(
      logText(),
      /info 127\.0\.0\.1:\d+ GET \/v1\.47\/_ping \(SystemPing\) allowed 200 \d+B [\d.]+ms\n/,
    );
  });
});

Deno.test("the proxy re-frames a chunked request body canonically", async () => {
  await withProxy(ALL, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    await client.write(
      "POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: dropped\r\n\r\n",
    );
    assert.equal((await within(client.readResponse(), "an answer"))?.status, 200);
    assert.equal(
      text(engine.requests[0].raw),
      "POST /build HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    );
    client.close();
  });
});

Deno.test("the proxy answers Expect: 100-continue itself and then forwards the body", async () => {
  await withProxy(ALL, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    await client.write(
      "POST /containers/create HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
    );
    assert.equal((await within(client.readResponse(), "an answer"))?.status, 100);
    await client.write("{}");
    assert.equal((await within(client.readResponse(), "an answer"))?.status, 200);
    assert.equal(
      text(engine.requests[0].raw),
      "POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\n{}",
    );
    client.close();
  });
});

Deno.test("the proxy streams large bodies both ways", async () => {
  await withProxy(ALL, async ({ port, engine }) => {
    const size = 20 * 1024 * 1024;
    const upload = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) upload[i] = i % 251;
    const response = await within(
      fetch(`http://127.0.0.1:${port}/images/load`, { method: "POST", body: upload }),
      "an answer to the upload",
    );
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.equal(engine.requests[0].body.length, size);
    assert.deepEqual(engine.requests[0].body, upload);
    for (
      const path of [
        `/images/x/get?fake=big&size=${size}`,
        `/images/x/get?fake=chunked&size=${size}`,
      ]
    ) {
      const download = await within(fetch(`http://127.0.0.1:${port}${path}`), "an answer");
      assert.equal(download.status, 200);
      const body = new Uint8Array(await within(download.arrayBuffer(), "the download", 30_000));
      assert.equal(body.length, size, path);
      assert.ok(body.every((b) => b === 120), path);
    }
  });
});

Deno.test("a tunnel relays both ways, forwards early bytes first and half-closes", async () => {
  await withProxy(ALL, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    // The request and the first tunnel bytes in one write, before the engine answered.
    await client.write(
      "POST /exec/abc/start?fake=hijack HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n" +
        "Content-Length: 0\r\n\r\nearly ",
    );
    await client.write("late");
    client.closeWrite(); // like `docker exec` without -i
    const all = text(await within(client.readToEnd(), "the end of the connection"));
    assert.match(all, /^HTTP\/1\.1 101 UPGRADED\r\n/);
    assert.match(all, /\r\nUpgrade: tcp\r\n/);
    // The engine's greeting, the echo of both writes, then its own end after our EOF.
    assert.equal(all.slice(all.indexOf("\r\n\r\n") + 4), "helloearly latebye");
    assert.equal(engine.requests.length, 1);
    await engine.until(() => engine.open === 0);
    client.close();
  });
});

Deno.test("a 200 raw-stream answer becomes a tunnel too", async () => {
  await withProxy(ALL, async ({ port }) => {
    const client = await RawClient.connect(port);
    await client.write(
      "POST /containers/abc/attach?fake=raw200 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    const head = new Uint8Array(4096);
    const n = await within(client.conn.read(head), "bytes from the proxy");
    assert.equal(
      text(head.subarray(0, n ?? 0)),
      "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n",
    );
    await client.write("ping");
    client.closeWrite();
    assert.equal(text(await within(client.readToEnd(), "the end of the connection")), "pingbye");
    client.close();
  });
});

Deno.test("an upgrade the engine does not accept leaves the connection in HTTP", async () => {
  await withProxy({ POST: "1" }, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    await client.write(
      "GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n" +
        "GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert.equal((await within(client.readResponse(), "an answer"))?.status, 200);
    assert.equal((await within(client.readResponse(), "an answer"))?.status, 403);
    assert.equal(engine.requests.length, 1);
    assert.equal(
      text(engine.requests[0].raw),
      "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    client.close();
  });
});

Deno.test("a stream outlives the idle and header timeouts", async () => {
  await withProxy({ IDLE_TIMEOUT: "200ms", HEADER_TIMEOUT: "200ms" }, async ({ port, engine }) => {
    const stream = await RawClient.connect(port);
    await stream.write("GET /events?fake=stream HTTP/1.1\r\nHost: x\r\n\r\n");
    // Read the head and the first chunk.
    const first = await within(stream.conn.read(new Uint8Array(4096)), "bytes from the proxy");
    assert.ok(first !== null && first > 0);
    // An idle connection opened after the stream is closed by the idle timeout...
    const idle = await RawClient.connect(port);
    assert.equal(await within(idle.closedByPeer(), "the proxy closing the connection"), true);
    // ...while the stream, idle for longer, is still open at both ends.
    assert.equal(engine.open, 1);
    stream.close();
    await engine.until(() => engine.open === 0);
    idle.close();
  });
});

Deno.test("a client leaving a stream closes the engine side", async () => {
  await withProxy({}, async ({ port, engine }) => {
    for (let i = 0; i < 20; i++) {
      const client = await RawClient.connect(port);
      await client.write("GET /events?fake=stream HTTP/1.1\r\nHost: x\r\n\r\n");
      await within(client.conn.read(new Uint8Array(4096)), "bytes from the proxy");
      client.close();
    }
    await engine.until(() => engine.open === 0);
  });
});

Deno.test("a client leaving a tunnel closes the engine side", async () => {
  await withProxy(ALL, async ({ port, engine }) => {
    for (let i = 0; i < 10; i++) {
      const client = await RawClient.connect(port);
      await client.write(
        "POST /exec/abc/start?fake=hijack HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n" +
          "Content-Length: 0\r\n\r\n",
      );
      assert.ok(
        (await within(client.conn.read(new Uint8Array(4096)), "bytes from the proxy")) !== null,
      );
      client.close();
    }
    await engine.until(() => engine.open === 0);
  });
});

Deno.test("a client leaving mid-upload closes the engine side", async () => {
  await withProxy(ALL, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    await client.write("POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
    await client.write(new Uint8Array(100_000));
    await engine.until(() => engine.open === 1);
    client.close();
    await engine.until(() => engine.open === 0);
    assert.equal(engine.requests.length, 0, "the engine never saw a complete request");
  });
});

Deno.test("the proxy answers 502 naming the socket while the engine is away, and recovers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sp-absent-" });
  const socketPath = `${dir}/engine.sock`;
  const placeholder = await FakeEngine.start();
  await withProxy({}, async ({ port }) => {
    const down = await within(fetch(`http://127.0.0.1:${port}/_ping`), "an answer");
    assert.equal(down.status, 502);
    const body = await within(down.json(), "the body");
    assert.match(
      body.message,
      new RegExp(`Cannot connect to the Docker daemon at unix://${socketPath}`),
    );
    const engine = await FakeEngine.start(socketPath);
    try {
      const up = await within(fetch(`http://127.0.0.1:${port}/_ping`), "an answer");
      assert.equal(up.status, 200);
      assert.equal(await within(up.text(), "the body"), "OK");
    } finally {
      await engine.close();
    }
  }, { engine: placeholder, socketPath });
});

Deno.test("past MAX_CONNECTIONS the proxy answers 503", async () => {
  await withProxy({ MAX_CONNECTIONS: "2" }, async ({ port }) => {
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    // Make sure both are accepted and served before the third arrives.
    for (const client of [a, b]) {
      await client.write("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await within(client.readResponse(), "an answer"))?.status, 200);
    }
    const c = await RawClient.connect(port);
    const refused = await within(c.readResponse(), "an answer");
    assert.equal(refused?.status, 503);
    assert.match(refused!.text, /Too many connections/);
    a.close();
    b.close();
    c.close();
  });
});

Deno.test("a request head that takes too long is answered 408 and closed", async () => {
  await withProxy({ HEADER_TIMEOUT: "200ms" }, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    await client.write("GET /_ping HTTP/1.1\r\nHo");
    const response = await within(client.readResponse(), "an answer");
    assert.equal(response?.status, 408);
    assert.equal(await within(client.closedByPeer(), "the proxy closing the connection"), true);
    assert.equal(engine.requests.length, 0);
    client.close();
  });
});

Deno.test("an idle keep-alive connection is closed after IDLE_TIMEOUT", async () => {
  await withProxy({ IDLE_TIMEOUT: "200ms" }, async ({ port }) => {
    const client = await RawClient.connect(port);
    await client.write("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await within(client.readResponse(), "an answer"))?.status, 200);
    const started = Date.now();
    assert.equal(await within(client.closedByPeer(), "the proxy closing the connection"), true);
    assert.ok(Date.now() - started < 5000);
    client.close();
  });
});

Deno.test("500 clients sending half a request do not delay a good /_ping beyond a second", async () => {
  await withProxy({}, async ({ port }) => {
    const slow = await Promise.all(Array.from({ length: 500 }, () => RawClient.connect(port)));
    await Promise.all(
      slow.map((client) => client.write("GET /_ping HTTP/1.1\r\nHost: x\r\nX-Slow: ")),
    );
    const started = performance.now();
    const response = await within(fetch(`http://127.0.0.1:${port}/_ping`), "an answer");
    assert.equal(await within(response.text(), "the body"), "OK");
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed}ms`);
    for (const client of slow) client.close();
  });
});

Deno.test("shutdown lets a request in flight finish and closes streams at once", async () => {
  await withProxy({ SHUTDOWN_TIMEOUT: "10s" }, async ({ port, server, engine }) => {
    const release = engine.hold();
    const inFlight = await RawClient.connect(port);
    await inFlight.write("GET /events?fake=hold HTTP/1.1\r\nHost: x\r\n\r\n");
    const stream = await RawClient.connect(port);
    await stream.write("GET /events?fake=stream HTTP/1.1\r\nHost: x\r\n\r\n");
    await within(stream.conn.read(new Uint8Array(4096)), "bytes from the proxy");
    const idle = await RawClient.connect(port);
    await engine.until(() => engine.requests.length === 2);
    const stopping = server.shutdown();
    // The stream and the idle connection close without waiting for the grace period.
    await within(stream.readToEnd(), "the end of the connection");
    assert.equal(await within(idle.closedByPeer(), "the proxy closing the connection"), true);
    // New connections are refused.
    await assert.rejects(() => Deno.connect({ hostname: "127.0.0.1", port }));
    // The request in flight still gets its answer, with Connection: close.
    release();
    const response = await within(inFlight.readResponse(), "an answer");
    assert.equal(response?.status, 200);
    assert.equal(response?.headers.connection, "close");
    await stopping;
    for (const client of [inFlight, stream, idle]) client.close();
  });
});

Deno.test("after 10,000 aborted streams the proxy's memory is back to baseline", async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc, "run with --v8-flags=--expose-gc (deno task test does)");
  // V8 frees ArrayBuffer memory on a background thread after a collection:
  // collect until the figure stops falling.
  const settled = async () => {
    let last = Infinity;
    for (let i = 0; i < 50; i++) {
      gc();
      const usage = Deno.memoryUsage();
      if (usage.heapUsed + usage.external >= last) return usage;
      last = usage.heapUsed + usage.external;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Deno.memoryUsage();
  };
  await withProxy({ LOG_LEVEL: "warning" }, async ({ port, engine, server }) => {
    const abortStreams = async (count: number) => {
      for (let done = 0; done < count; done += 50) {
        await Promise.all(Array.from({ length: 50 }, async () => {
          const client = await RawClient.connect(port);
          await client.write("GET /events?fake=stream HTTP/1.1\r\nHost: x\r\n\r\n");
          await within(client.conn.read(new Uint8Array(4096)), "bytes from the proxy");
          client.close();
        }));
      }
      await engine.until(() => engine.open === 0 && server.connectionCount === 0, 30_000);
      engine.requests.length = 0; // the recording is the test's memory, not the proxy's
    };
    await abortStreams(1000);
    const base = await settled();
    await abortStreams(10_000);
    const after = await settled();
    const grown = after.heapUsed + after.external - base.heapUsed - base.external;
    assert.ok(grown < 2 * 1024 * 1024, `heap and buffers grew by ${grown} bytes`);
  });
});

Deno.test("a [::] listener is dual-stack: IPv4 and IPv6 clients both get through", async () => {
  await withProxy({ LISTEN: "[::]:0" }, async ({ port, logText }) => {
    for (const hostname of ["127.0.0.1", "::1"]) {
      const conn = await Deno.connect({ hostname, port });
      await conn.write(
        new TextEncoder().encode("GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      );
      const answer = new TextDecoder().decode(
        await within(new Response(conn.readable).arrayBuffer(), "an answer"),
      );
      assert.match(answer, /^HTTP\/1\.1 200 OK/, hostname);
    }
    // IPv4 clients are logged as IPv4, not as IPv4-mapped IPv6.
    assert.match(logText(), /info 127\.0\.0\.1:\d+ GET \/_ping \(SystemPing\) allowed 200/);
    assert.match(logText(), /info \[::1\]:\d+ GET \/_ping \(SystemPing\) allowed 200/);
  });
});

/**
 * Runs `fn` once the proxy holds a pooled engine connection and the engine
 * behind it has restarted, so that connection is stale.
 */
async function afterEngineRestart(
  env: Record<string, string>,
  fn: (
    proxy: { port: number; server: ProxyServer; engine: FakeEngine; client: RawClient },
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sp-restart-" });
  const socketPath = `${dir}/engine.sock`;
  const first = await FakeEngine.start(socketPath);
  let second: FakeEngine | null = null;
  try {
    await withProxy(env, async ({ port, server }) => {
      const client = await RawClient.connect(port);
      await client.write("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await within(client.readResponse(), "an answer"))?.status, 200);
      assert.equal(server.pool.idleCount, 1);
      await first.close();
      await Deno.remove(socketPath).catch(() => {});
      second = await FakeEngine.start(socketPath);
      try {
        await fn({ port, server, engine: second, client });
      } finally {
        client.close();
      }
    }, { engine: first, socketPath });
  } finally {
    await (second as FakeEngine | null)?.close();
  }
}

Deno.test("the proxy retries a stale pooled connection after an engine restart", async () => {
  await afterEngineRestart({}, async ({ engine, client }) => {
    await client.write("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await within(client.readResponse(), "an answer"))?.status, 200);
    assert.equal(engine.requests.length, 1);
  });
});

Deno.test("a stale pooled connection is not retried for a POST, which may have been acted on", async () => {
  await afterEngineRestart(
    { POST: "1", CONTAINERS: "1" },
    async ({ port, server, engine, client }) => {
      const create = "POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
      await client.write(create);
      assert.equal((await within(client.readResponse(), "an answer"))?.status, 502);
      assert.equal(engine.requests.length, 0, "nothing was sent twice");
      assert.equal(server.pool.idleCount, 0, "the stale pool is dropped");
      // The next one goes through on a fresh engine connection.
      const again = await RawClient.connect(port);
      await again.write(create);
      assert.equal((await within(again.readResponse(), "an answer"))?.status, 200);
      again.close();
    },
  );
});

Deno.test("a malformed answer from the engine is a 502", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sp-bad-engine-" });
  const path = `${dir}/engine.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.read(new Uint8Array(4096));
      await conn.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\nBroken header\r\n\r\n"));
      conn.close();
    }
  })();
  const placeholder = await FakeEngine.start();
  await withProxy({}, async ({ port }) => {
    const response = await within(fetch(`http://127.0.0.1:${port}/_ping`), "an answer");
    assert.equal(response.status, 502);
    assert.match(
      (await within(response.json(), "the body")).message,
      /Bad response from the Docker daemon/,
    );
  }, { engine: placeholder, socketPath: path });
  listener.close();
  await serving.catch(() => {});
});

Deno.test("a client pipelining megabytes during a stream is closed, not buffered", async () => {
  await withProxy(
    { MAX_REQUEST_LINE: "1024", MAX_HEADER_SIZE: "4096" },
    async ({ port, engine }) => {
      const client = await RawClient.connect(port);
      await client.write("GET /events?fake=stream HTTP/1.1\r\nHost: x\r\n\r\n");
      await within(client.conn.read(new Uint8Array(4096)), "bytes from the proxy");
      const flood = new Uint8Array(64 * 1024).fill(65);
      let written = 0;
      try {
        for (let i = 0; i < 128; i++) written += await client.conn.write(flood);
      } catch {
        // The proxy closed the connection.
      }
      assert.ok(written < 8 * 1024 * 1024, `the proxy read ${written} bytes`);
      await engine.until(() => engine.open === 0);
      client.close();
    },
  );
});
