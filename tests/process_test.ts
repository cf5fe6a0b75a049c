/**
 * The proxy as a process (`main.ts` with its least permissions): start-up,
 * faults, signals, and resources after many aborted streams.
 */
import assert from "node:assert/strict";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { RawClient } from "./helpers/raw_client.ts";
import { startProxyProcess } from "./helpers/proxy_process.ts";

async function tempSocket(): Promise<string> {
  return `${await Deno.makeTempDir({ prefix: "sp-proc-" })}/engine.sock`;
}

Deno.test("the proxy starts without an engine, warns, answers 502, then serves once it appears", async () => {
  const socket = await tempSocket();
  const proxy = await startProxyProcess({ SOCKET_PATH: socket });
  try {
    await proxy.waitForLine(new RegExp(`warning Docker engine not reachable at unix://${socket}`));
    const down = await fetch(`http://127.0.0.1:${proxy.port}/_ping`);
    assert.equal(down.status, 502);
    assert.match((await down.json()).message, new RegExp(`unix://${socket}`));
    const engine = await FakeEngine.start(socket);
    try {
      const up = await fetch(`http://127.0.0.1:${proxy.port}/_ping`);
      assert.equal(await up.text(), "OK");
    } finally {
      await engine.close();
    }
  } finally {
    await proxy.stop();
  }
});

Deno.test("an engine restart ends streams cleanly and new requests work at once", async () => {
  const socket = await tempSocket();
  let engine = await FakeEngine.start(socket);
  const proxy = await startProxyProcess({ SOCKET_PATH: socket });
  try {
    const stream = await RawClient.connect(proxy.port);
    await stream.write("GET /events?fake=stream HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.ok((await stream.conn.read(new Uint8Array(4096))) !== null);
    const ping = await fetch(`http://127.0.0.1:${proxy.port}/_ping`);
    assert.equal(await ping.text(), "OK"); // leaves a pooled connection behind
    await engine.close();
    await Deno.remove(socket).catch(() => {});
    // The stream ends with the engine: the client sees the connection close.
    await stream.readToEnd();
    stream.close();
    engine = await FakeEngine.start(socket);
    const again = await fetch(`http://127.0.0.1:${proxy.port}/_ping`);
    assert.equal(await again.text(), "OK");
  } finally {
    await proxy.stop();
    await engine.close();
  }
});

Deno.test("SIGTERM lets a request in flight finish, closes streams and exits 0", async () => {
  const engine = await FakeEngine.start();
  const proxy = await startProxyProcess({ SOCKET_PATH: engine.path });
  try {
    const release = engine.hold();
    const inFlight = await RawClient.connect(proxy.port);
    await inFlight.write("GET /events?fake=hold HTTP/1.1\r\nHost: x\r\n\r\n");
    const stream = await RawClient.connect(proxy.port);
    await stream.write("GET /events?fake=stream HTTP/1.1\r\nHost: x\r\n\r\n");
    await stream.conn.read(new Uint8Array(4096));
    await engine.until(() => engine.requests.length === 2);
    proxy.child.kill("SIGTERM");
    await proxy.waitForLine(/Received SIGTERM: shutting down/);
    await stream.readToEnd(); // closed at once
    release();
    const response = await inFlight.readResponse();
    assert.equal(response?.status, 200);
    const status = await proxy.status;
    assert.equal(status.code, 0);
    assert.ok(proxy.lines.some((line) => /notice Stopped/.test(line)));
    inFlight.close();
    stream.close();
  } finally {
    await proxy.stop();
    await engine.close();
  }
});

Deno.test("a second signal exits at once", async () => {
  const engine = await FakeEngine.start();
  const proxy = await startProxyProcess({ SOCKET_PATH: engine.path, SHUTDOWN_TIMEOUT: "60s" });
  try {
    engine.hold(); // never released: the grace period would last a minute
    const inFlight = await RawClient.connect(proxy.port);
    await inFlight.write("GET /events?fake=hold HTTP/1.1\r\nHost: x\r\n\r\n");
    await engine.until(() => engine.requests.length === 1);
    proxy.child.kill("SIGINT");
    await proxy.waitForLine(/Received SIGINT: shutting down/);
    const started = Date.now();
    proxy.child.kill("SIGINT");
    const status = await proxy.status;
    assert.notEqual(status.code, 0);
    assert.ok(Date.now() - started < 5000);
    inFlight.close();
  } finally {
    await proxy.stop();
    await engine.close();
  }
});

function openFds(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** The descriptor count once closing connections have finished closing. */
async function settledFds(pid: number, atMost = Infinity): Promise<number> {
  let last = -1;
  let stable = 0;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const count = openFds(pid);
    stable = count === last ? stable + 1 : 0;
    last = count;
    if (stable >= 3 && count <= atMost) return count;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return last;
}

Deno.test("after 10,000 aborted streams the proxy's open descriptors are back to baseline", async () => {
  const engine = await FakeEngine.start();
  const proxy = await startProxyProcess({ SOCKET_PATH: engine.path, LOG_LEVEL: "notice" });
  const pid = proxy.child.pid;
  const abortStreams = async (count: number) => {
    const batch = 50;
    for (let done = 0; done < count; done += batch) {
      await Promise.all(Array.from({ length: batch }, async () => {
        const client = await RawClient.connect(proxy.port);
        await client.write("GET /events?fake=stream HTTP/1.1\r\nHost: x\r\n\r\n");
        await client.conn.read(new Uint8Array(4096));
        client.close();
      }));
    }
    // Every engine connection the aborted streams used is closed again.
    await engine.until(() => engine.open === 0, 30_000);
  };
  try {
    await abortStreams(1000); // warm up: JIT, pools, buffers
    const baseFds = await settledFds(pid);
    await abortStreams(10_000);
    assert.equal(engine.requests.length, 11_000);
    // Connections close asynchronously after the engine side did: wait for it.
    assert.equal(await settledFds(pid, baseFds), baseFds, "open file descriptors");
  } finally {
    await proxy.stop();
    await engine.close();
  }
});

Deno.test("an address the permissions do not cover stops the proxy with how to run it", async () => {
  const granted = await tempSocket();
  const wanted = await tempSocket();
  const { parseConfig } = await import("../lib/config/config.ts");
  const { runFlags } = await import("../lib/server/permissions.ts");
  const flags = runFlags(parseConfig({ LISTEN: "127.0.0.1:0", SOCKET_PATH: granted }).config);
  const proxy = await startProxyProcess({ SOCKET_PATH: wanted }, {
    denoFlags: flags,
    noWait: true,
  });
  const status = await proxy.status;
  assert.equal(status.code, 2);
  const text = proxy.lines.join("\n");
  assert.match(
    text,
    new RegExp(`Not permitted to use the configured addresses \\(net unix:${wanted}`),
  );
  assert.match(text, new RegExp(`deno task compile --listen 127\\.0\\.0\\.1:0 --socket ${wanted}`));
  assert.doesNotMatch(text, /\[y\/n|Deno requests/, "never a permission prompt");
});

Deno.test("a bad setting stops the proxy at start, naming the variable", async () => {
  const proxy = await startProxyProcess({ CONTAINERS: "maybe", ALLOW_RESTART: "1" }, {
    denoFlags: ["--allow-env"],
    noWait: true,
  });
  const status = await proxy.status;
  assert.equal(status.code, 2);
  assert.match(
    proxy.lines.join("\n"),
    /socket-proxy: Unknown setting ALLOW_RESTART \(did you mean ALLOW_RESTARTS\?\)/,
  );
});

Deno.test("--version and --help work", async () => {
  const version = await startProxyProcess({}, { args: ["--version"], noWait: true });
  assert.equal((await version.status).code, 0);
  assert.match(version.lines.join("\n"), /^socket-proxy \d+\.\d+\.\d+$/m);
  const help = await startProxyProcess({}, { args: ["--help"], noWait: true });
  assert.equal((await help.status).code, 0);
  assert.match(help.lines.join("\n"), /Usage: socket-proxy/);
});

Deno.test("healthcheck exits 0 against a healthy proxy and 1 when the engine is gone, even with PING=0", async () => {
  const engine = await FakeEngine.start();
  const proxy = await startProxyProcess({ SOCKET_PATH: engine.path, PING: "0" });
  try {
    const env = { LISTEN: `127.0.0.1:${proxy.port}`, SOCKET_PATH: engine.path };
    const healthy = await startProxyProcess(env, { args: ["healthcheck"], noWait: true });
    assert.equal((await healthy.status).code, 0, healthy.lines.join("\n"));
    assert.match(healthy.lines.join("\n"), /^healthy: /m);
    // PING=0 still refuses everyone else.
    const ping = await fetch(`http://127.0.0.1:${proxy.port}/_ping`);
    assert.equal(ping.status, 403);
    await ping.body?.cancel();
    await engine.close();
    const unhealthy = await startProxyProcess(env, { args: ["healthcheck"], noWait: true });
    assert.equal((await unhealthy.status).code, 1);
    assert.match(unhealthy.lines.join("\n"), /^unhealthy: .*503/m);
  } finally {
    await proxy.stop();
  }
});

Deno.test("the proxy listens on a unix socket too, and removes it when it stops", async () => {
  const engine = await FakeEngine.start();
  const dir = await Deno.makeTempDir({ prefix: "sp-listen-" });
  const path = `${dir}/proxy.sock`;
  // A stale socket file from an earlier run does not stop it.
  Deno.listen({ transport: "unix", path }).close();
  const proxy = await startProxyProcess({ SOCKET_PATH: engine.path, LISTEN: `unix:${path}` });
  try {
    await proxy.waitForLine(new RegExp(`listening on unix:${path}`));
    const conn = await Deno.connect({ transport: "unix", path });
    await conn.write(
      new TextEncoder().encode("GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    const answer = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nOK$/);
    const health = await startProxyProcess({ SOCKET_PATH: engine.path, LISTEN: `unix:${path}` }, {
      args: ["healthcheck"],
      noWait: true,
    });
    assert.equal((await health.status).code, 0, health.lines.join("\n"));
    assert.equal((await proxy.stop()).code, 0);
    await assert.rejects(() => Deno.lstat(path), Deno.errors.NotFound);
  } finally {
    await proxy.stop();
    await engine.close();
  }
});

Deno.test("a unix listen address never removes a live socket, such as the engine's", async () => {
  const engine = await FakeEngine.start();
  try {
    const proxy = await startProxyProcess(
      { SOCKET_PATH: engine.path, LISTEN: `unix:${engine.path}` },
      { noWait: true },
    );
    assert.equal((await proxy.status).code, 1);
    assert.match(proxy.lines.join("\n"), /Cannot listen: Something already listens on/);
    assert.ok(Deno.lstatSync(engine.path).isSocket, "the engine's socket is still there");
    const answer = await Deno.connect({ transport: "unix", path: engine.path });
    answer.close();
  } finally {
    await engine.close();
  }
});
