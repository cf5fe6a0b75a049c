/**
 * The engine watchdog in-process, against a fake engine that goes away and
 * comes back on the same socket: `/healthz`, `/readyz` 503 then 200, the 502
 * at once while the engine is down, `socket_proxy_engine_up`, one log line per
 * change of state, and recovery without a restart of the proxy.
 */
import assert from "node:assert/strict";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { withProxy } from "./helpers/in_process.ts";
import { parsePrometheusText, sampleValue } from "./helpers/prometheus_text.ts";
import { RawClient } from "./helpers/raw_client.ts";
import { within } from "./helpers/deadline.ts";
import type { ProxyServer } from "../lib/server/server.ts";

const QUICK = { intervalMs: 100, downIntervalMs: 100, probeTimeoutMs: 1000 };

function metricsPort(server: ProxyServer): number {
  const address = server.metricsAddress;
  assert.ok(address?.transport === "tcp");
  return address.port;
}

async function status(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

/** Resolves once `condition` holds, checking every 50 ms; fails naming `what` after `ms`. */
async function waitFor(what: string, condition: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("readiness follows the engine, clients get 502 at once while it is down, and it recovers", async () => {
  const engine = await FakeEngine.start();
  const env = { CONTAINERS: "1", METRICS_LISTEN: "127.0.0.1:0" };
  await withProxy(env, async ({ port, server, logText }) => {
    const base = `http://127.0.0.1:${metricsPort(server)}`;
    assert.deepEqual(await status(`${base}/healthz`), { status: 200, text: "ok\n" });
    assert.deepEqual(await status(`${base}/readyz`), {
      status: 200,
      text: "ready: the engine answers GET /version\n",
    });
    const up = async () =>
      sampleValue(
        parsePrometheusText(await (await fetch(`${base}/metrics`)).text()),
        "socket_proxy_engine_up",
      );
    assert.equal(await up(), 1);

    // The engine goes away.
    await engine.close();
    await Deno.remove(engine.path).catch(() => {}); // Deno may have removed it
    await waitFor("readyz 503", async () => (await status(`${base}/readyz`)).status === 503);
    const notReady = await status(`${base}/readyz`);
    assert.match(notReady.text, /^not ready: /);
    assert.equal(await up(), 0);
    assert.deepEqual(await status(`${base}/healthz`), { status: 200, text: "ok\n" });
    const client = await RawClient.connect(port);
    await client.write("GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n");
    const answer = await within(client.readResponse(), "the 502", 1000);
    assert.equal(answer?.status, 502);
    assert.match(
      JSON.parse(answer!.text).message,
      /^Cannot connect to the Docker daemon at unix:\/\/.*\(is the docker daemon running\?\)$/,
    );

    // It comes back on the same socket.
    const back = await FakeEngine.start(engine.path);
    try {
      await waitFor("readyz 200", async () => (await status(`${base}/readyz`)).status === 200);
      assert.equal(await up(), 1);
      const again = await RawClient.connect(port);
      await again.write("GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await within(again.readResponse(), "the answer"))?.status, 200);
      again.close();
      assert.equal(back.requests.length, 1, "probes are not clients' requests");
      assert.ok(back.probes > 0);
    } finally {
      await back.close();
    }
    client.close();
    const text = logText();
    assert.equal(text.match(/Docker engine not reachable/g)?.length, 1, text);
    assert.equal(text.match(/answers again, after [0-9.]+s down/g)?.length, 1, text);
  }, { engine, watchdog: QUICK });
});

Deno.test("an engine that accepts connections and never answers gets clients a 502 at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sp-wedged-" });
  const path = `${dir}/engine.sock`;
  // Never accepted: the kernel completes connections into the backlog, nothing answers.
  const wedged = Deno.listen({ transport: "unix", path });
  try {
    await withProxy({ CONTAINERS: "1" }, async ({ port, server, logText }) => {
      await waitFor(
        "the engine seen wedged",
        () => Promise.resolve(server.engine?.failFast === true),
      );
      const client = await RawClient.connect(port);
      const sent = performance.now();
      await client.write("GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n");
      const answer = await within(client.readResponse(), "the 502", 1000);
      assert.equal(answer?.status, 502);
      assert.ok(performance.now() - sent < 1000);
      assert.match(JSON.parse(answer!.text).message, /no answer to GET \/version within 0\.3s/);
      client.close();
      assert.match(logText(), /answering 502 at once until it answers again/);
    }, { socketPath: path, watchdog: { ...QUICK, probeTimeoutMs: 300 } });
  } finally {
    wedged.close();
  }
});

Deno.test("denials and the proxy's own health answer do not wait for the engine's verdict", async () => {
  const engine = await FakeEngine.start();
  await withProxy({}, async ({ port, server }) => {
    await engine.close();
    await Deno.remove(engine.path).catch(() => {}); // Deno may have removed it
    await waitFor("the engine seen down", () => Promise.resolve(server.engine?.down === true));
    // Not failFast: the engine is gone, connections fail at once by themselves.
    assert.equal(server.engine?.failFast, false);
    const client = await RawClient.connect(port);
    await client.write("GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await within(client.readResponse(), "the 403"))?.status, 403);
    await client.write(
      "GET /_ping HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthcheck: ready\r\n\r\n",
    );
    const ready = await within(client.readResponse(), "the readiness answer");
    assert.equal(ready?.status, 503);
    assert.match(JSON.parse(ready!.text).message, /^Docker engine unavailable: /);
    client.close();
  }, { engine, watchdog: QUICK });
});
