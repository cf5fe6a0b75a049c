/**
 * Engine deadlines, readiness and the watchdog against the real engine, the
 * proxy as a process:
 *
 * - a wedged dockerd (stopped with SIGSTOP: it accepts connections and never
 *   answers): a finite request is answered 504 within ENGINE_TIMEOUT + 1 s on a
 *   connection that stays usable, `/readyz` turns 503, clients then get 502 at
 *   once, `healthcheck --ready` exits 1; after SIGCONT all of it recovers;
 * - a real dockerd restart (a private engine of the test's own, stopped and
 *   started again on the same socket and data): the proxy serves again without
 *   a restart of its own.
 *
 * Run through `scripts/test_env.ts`, which exports SP_TEST_DOCKER_PID.
 */
import assert from "node:assert/strict";
import { engineSocket, startProxyProcess } from "./helpers/proxy_process.ts";
import { RawClient } from "./helpers/raw_client.ts";
import { within } from "./helpers/deadline.ts";
import { parsePrometheusText, sampleValue } from "./helpers/prometheus_text.ts";
import { startEngine } from "../scripts/private_engine.ts";

function dockerPid(): number {
  const pid = Number(Deno.env.get("SP_TEST_DOCKER_PID"));
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new Error(
      "SP_TEST_DOCKER_PID is not set: run through scripts/test_env.ts, which starts a private dockerd",
    );
  }
  return pid;
}

const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`;

async function status(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

/** Resolves once `condition` holds, checking every 100 ms; fails naming `what` after `ms`. */
async function waitFor(what: string, condition: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `socket-proxy healthcheck --ready` against the proxy on `port`; its exit code and line. */
async function healthcheckReady(port: number): Promise<{ code: number; line: string }> {
  const check = await startProxyProcess({ LISTEN: `127.0.0.1:${port}` }, {
    args: ["healthcheck", "--ready"],
    noWait: true,
  });
  const { code } = await check.status;
  return { code, line: check.lines.join("\n") };
}

async function metricsPort(proxy: { waitForLine(p: RegExp): Promise<string> }): Promise<number> {
  const line = await proxy.waitForLine(/metrics:\s+http:\/\/\S+:\d+\/metrics/);
  return Number(/:(\d+)\/metrics/.exec(line)![1]);
}

Deno.test("a SIGSTOPped dockerd: 504 in time, readiness 503, 502 at once, and all recovers on SIGCONT", async () => {
  const pid = dockerPid();
  const proxy = await startProxyProcess({
    SOCKET_PATH: engineSocket(),
    CONTAINERS: "1",
    ENGINE_TIMEOUT: "2s",
    METRICS_LISTEN: "127.0.0.1:0",
  });
  let stopped = false;
  try {
    const base = `http://127.0.0.1:${await metricsPort(proxy)}`;
    await waitFor("readyz 200", async () => (await status(`${base}/readyz`)).status === 200);
    assert.equal((await healthcheckReady(proxy.port)).code, 0);
    const client = await RawClient.connect(proxy.port);
    await client.write(get("/v1.41/containers/json"));
    assert.equal((await within(client.readResponse(), "the first answer"))?.status, 200);

    Deno.kill(pid, "SIGSTOP");
    stopped = true;

    // A finite request: 504 within ENGINE_TIMEOUT + 1 s.
    const sent = performance.now();
    await client.write(get("/v1.41/containers/json"));
    const timedOut = await within(client.readResponse(), "the 504", 6000);
    const elapsed = performance.now() - sent;
    console.log(`e2e_engine_ops: 504 after ${Math.round(elapsed)} ms (ENGINE_TIMEOUT=2s)`);
    assert.equal(timedOut?.status, 504);
    assert.ok(elapsed >= 1990 && elapsed <= 3000, `504 after ${elapsed} ms`);
    assert.match(
      JSON.parse(timedOut!.text).message,
      /^The Docker engine did not begin answering GET \/v1\.41\/containers\/json \(ContainerList\) within ENGINE_TIMEOUT \(2s\)/,
    );
    // The same connection goes on (a request the proxy answers itself).
    await client.write(get("/v1.41/images/json"));
    assert.equal((await within(client.readResponse(), "the 403"))?.status, 403);

    // The watchdog notices: not ready, and clients get 502 at once.
    await waitFor("readyz 503", async () => (await status(`${base}/readyz`)).status === 503);
    assert.equal(
      (await status(`${base}/readyz`)).text,
      "not ready: no answer to GET /version within 2s\n",
    );
    assert.deepEqual(await status(`${base}/healthz`), { status: 200, text: "ok\n" });
    const other = await RawClient.connect(proxy.port);
    const asked = performance.now();
    await other.write(get("/v1.41/containers/json"));
    const refused = await within(other.readResponse(), "the 502", 1000);
    const waited = performance.now() - asked;
    console.log(`e2e_engine_ops: 502 after ${Math.round(waited)} ms while the engine is down`);
    assert.equal(refused?.status, 502);
    assert.ok(waited < 1000, `502 after ${waited} ms`);
    assert.match(JSON.parse(refused!.text).message, /no answer to GET \/version within 2s/);
    other.close();
    const notReady = await healthcheckReady(proxy.port);
    assert.equal(notReady.code, 1);
    assert.match(notReady.line, /^not ready: .*no answer to GET \/version within 2s/m);
    const families = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
    assert.equal(sampleValue(families, "socket_proxy_engine_up"), 0);
    assert.equal(
      sampleValue(families, "socket_proxy_engine_timeouts_total", { operation: "ContainerList" }),
      1,
    );

    Deno.kill(pid, "SIGCONT");
    stopped = false;
    await waitFor("readyz 200 again", async () => (await status(`${base}/readyz`)).status === 200);
    await client.write(get("/v1.41/containers/json"));
    assert.equal((await within(client.readResponse(), "the answer after SIGCONT"))?.status, 200);
    client.close();
    assert.equal((await healthcheckReady(proxy.port)).code, 0);
    const metrics = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
    assert.equal(sampleValue(metrics, "socket_proxy_engine_up"), 1);
    const log = proxy.lines.join("\n");
    assert.equal(log.match(/warning Docker engine not reachable/g)?.length, 1, log);
    assert.equal(log.match(/notice Docker engine .* answers again/g)?.length, 1, log);
  } finally {
    if (stopped) Deno.kill(pid, "SIGCONT");
    await proxy.stop();
  }
});

Deno.test("after a real dockerd restart the proxy serves again without a restart of its own", async () => {
  const engine = await startEngine();
  const proxy = await startProxyProcess({
    SOCKET_PATH: engine.socket,
    CONTAINERS: "1",
    ENGINE_TIMEOUT: "2s",
    METRICS_LISTEN: "127.0.0.1:0",
  });
  try {
    const base = `http://127.0.0.1:${await metricsPort(proxy)}`;
    await waitFor("readyz 200", async () => (await status(`${base}/readyz`)).status === 200);
    const client = await RawClient.connect(proxy.port);
    await client.write(get("/containers/json"));
    assert.equal((await within(client.readResponse(), "the first answer"))?.status, 200);
    const before = engine.pid;
    await engine.restart();
    assert.notEqual(engine.pid, before);
    // At once: the pooled connection the old dockerd closed is replaced.
    await client.write(get("/containers/json"));
    assert.equal(
      (await within(client.readResponse(), "the answer after the restart"))?.status,
      200,
    );
    client.close();
    await waitFor("readyz 200 again", async () => (await status(`${base}/readyz`)).status === 200);
    const log = proxy.lines.join("\n");
    assert.ok(
      (log.match(/Docker engine not reachable/g)?.length ?? 0) <= 1,
      `the restart is logged at most once:\n${log}`,
    );
  } finally {
    await proxy.stop();
    await engine.stop();
  }
});
