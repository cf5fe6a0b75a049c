/**
 * The metrics listener (`METRICS_LISTEN`): scraped after a known mix of
 * requests, in-process against the recording fake engine, and as a process
 * with its least permissions (policy reloads counted).
 */
import assert from "node:assert/strict";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { withProxy } from "./helpers/in_process.ts";
import { type Family, parsePrometheusText, sampleValue } from "./helpers/prometheus_text.ts";
import { startProxyProcess } from "./helpers/proxy_process.ts";
import { RawClient } from "./helpers/raw_client.ts";
import type { ProxyServer } from "../lib/server/server.ts";

async function scrape(port: number): Promise<Map<string, Family>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusText(await response.text());
}

function metricsPort(server: ProxyServer): number {
  const address = server.metricsAddress;
  assert.ok(address?.transport === "tcp", "a metrics listener");
  return address.port;
}

async function ask(port: number, request: string): Promise<number> {
  const client = await RawClient.connect(port);
  await client.write(request);
  const status = (await client.readResponse())?.status ?? 0;
  client.close();
  return status;
}

Deno.test("a scrape counts allowed, denied and refused requests, streams and tunnels", async () => {
  const env = { METRICS_LISTEN: "127.0.0.1:0", POST: "1", EXEC: "1" };
  await withProxy(env, async ({ port, server, engine, logText }) => {
    const scrapePort = metricsPort(server);
    assert.notEqual(scrapePort, port);
    assert.equal(await ask(port, "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
    assert.equal(await ask(port, "GET /v1.47/_ping HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
    assert.equal(await ask(port, "GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n"), 403);
    assert.equal(await ask(port, "GET /containers//json HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    assert.equal(
      await ask(port, "GET /_ping HTTP/1.1\r\nHost: x\r\nX-Socket-Proxy-Healthcheck: 1\r\n\r\n"),
      200,
    );

    // A stream and a tunnel, open while scraped.
    const stream = await RawClient.connect(port);
    await stream.write("GET /events?fake=stream HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal((await stream.readResponse({ head: true }))?.status, 200);
    const tunnel = await RawClient.connect(port);
    await tunnel.write(
      "POST /exec/abc/start?fake=hijack HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n" +
        "Upgrade: tcp\r\nContent-Length: 0\r\n\r\n",
    );
    assert.equal((await tunnel.readResponse({ head: true }))?.status, 101);

    let families = await scrape(scrapePort);
    const requests = (labels: Record<string, string>) =>
      sampleValue(families, "socket_proxy_requests_total", labels);
    assert.equal(
      requests({ decision: "allowed", status: "200", operation: "SystemPing", profile: "default" }),
      2,
    );
    assert.equal(requests({ decision: "denied", status: "403", operation: "ContainerList" }), 1);
    assert.equal(requests({ decision: "rejected", status: "400", operation: "none" }), 1);
    assert.equal(requests({ decision: "healthcheck", status: "200" }), 1);
    assert.equal(sampleValue(families, "socket_proxy_streams_open"), 1);
    assert.equal(sampleValue(families, "socket_proxy_tunnels_open"), 1);
    assert.equal(sampleValue(families, "socket_proxy_connections_open"), 2);
    assert.equal(sampleValue(families, "socket_proxy_connections_total"), 7);
    assert.equal(
      sampleValue(families, "socket_proxy_request_duration_seconds_count", { decision: "allowed" }),
      2,
      "streams and tunnels are timed once they end",
    );

    // Both end: each is one more allowed request, and the gauges are back to zero.
    stream.close();
    tunnel.close();
    await engine.until(() => /SystemEvents\) allowed/.test(logText()));
    await engine.until(() => /ExecStart\) allowed 101/.test(logText()));
    families = await scrape(scrapePort);
    assert.equal(requests({ decision: "allowed", status: "200", operation: "SystemEvents" }), 1);
    assert.equal(
      requests({ decision: "allowed", status: "101", operation: "ExecStart" }),
      1,
    );
    assert.equal(sampleValue(families, "socket_proxy_streams_open"), 0);
    assert.equal(sampleValue(families, "socket_proxy_tunnels_open"), 0);
    assert.equal(sampleValue(families, "socket_proxy_requests_total"), 7);
    assert.equal(sampleValue(families, "socket_proxy_engine_errors_total"), 0);
  });
});

Deno.test("a scrape counts requests the engine could not answer, and audit mode's would-deny", async () => {
  const missing = `${await Deno.makeTempDir({ prefix: "sp-metrics-" })}/engine.sock`;
  const env = { METRICS_LISTEN: "127.0.0.1:0", MODE: "audit" };
  await withProxy(env, async ({ port, server }) => {
    assert.equal(await ask(port, "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"), 502);
    assert.equal(await ask(port, "GET /containers/json HTTP/1.1\r\nHost: x\r\n\r\n"), 502);
    const families = await scrape(metricsPort(server));
    assert.equal(sampleValue(families, "socket_proxy_engine_errors_total", { kind: "connect" }), 2);
    assert.equal(
      sampleValue(families, "socket_proxy_requests_total", {
        decision: "would-deny",
        status: "502",
        operation: "ContainerList",
      }),
      1,
    );
  }, { socketPath: missing });
});

Deno.test("the metrics listener answers GET /metrics only, and the proxy port never serves them", async (t) => {
  await withProxy({ METRICS_LISTEN: "127.0.0.1:0" }, async ({ port, server, engine }) => {
    const scrapePort = metricsPort(server);
    for (const [method, path] of [["GET", "/"], ["GET", "/metrics/x"], ["POST", "/metrics"]]) {
      await t.step(`${method} ${path} is 404`, async () => {
        const response = await fetch(`http://127.0.0.1:${scrapePort}${path}`, { method });
        assert.equal(response.status, 404);
        assert.match(await response.text(), /GET \/metrics/);
      });
    }
    await t.step("a query is allowed", async () => {
      const response = await fetch(`http://127.0.0.1:${scrapePort}/metrics?name[]=x`);
      assert.equal(response.status, 200);
      await response.body?.cancel();
    });
    await t.step("a malformed request is 400", async () => {
      assert.equal(await ask(scrapePort, "GET /metrics HTTP/1.1\r\nHost: x\r\nX : 1\r\n\r\n"), 400);
    });
    await t.step("the proxy port treats /metrics as any other path", async () => {
      assert.equal(await ask(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 403);
      assert.equal(engine.requests.length, 0);
    });
  });
});

Deno.test("the proxy as a process serves metrics with its least permissions and counts policy reloads", async () => {
  const engine = await FakeEngine.start();
  const dir = await Deno.makeTempDir({ prefix: "sp-metrics-policy-" });
  const policy = `${dir}/policy.yaml`;
  await Deno.writeTextFile(policy, "profiles:\n  - name: all\n    rules: [SystemPing]\n");
  const proxy = await startProxyProcess({
    SOCKET_PATH: engine.path,
    METRICS_LISTEN: "127.0.0.1:0",
    POLICY_FILE: policy,
  });
  try {
    const line = await proxy.waitForLine(/metrics: +http:\/\/127\.0\.0\.1:\d+\/metrics/);
    const scrapePort = Number(/:(\d+)\/metrics/.exec(line)![1]);
    assert.equal(await ask(proxy.port, "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
    await Deno.writeTextFile(policy, "profiles: [\n");
    proxy.child.kill("SIGHUP");
    await proxy.waitForLine(/Policy not reloaded \(SIGHUP\)/);
    await Deno.writeTextFile(
      policy,
      "profiles:\n  - name: all\n    rules: [SystemPing, SystemVersion]\n",
    );
    proxy.child.kill("SIGHUP");
    await proxy.waitForLine(/Policy reloaded \(SIGHUP\)/);
    const families = await scrape(scrapePort);
    assert.equal(
      sampleValue(families, "socket_proxy_requests_total", {
        profile: "all",
        operation: "SystemPing",
      }),
      1,
    );
    assert.ok(sampleValue(families, "socket_proxy_policy_reloads_total", { result: "ok" }) >= 1);
    assert.ok(sampleValue(families, "socket_proxy_policy_reloads_total", { result: "error" }) >= 1);
    assert.ok(sampleValue(families, "process_resident_memory_bytes") > 0);
    assert.equal(families.get("socket_proxy_build_info")!.samples.length, 1);
  } finally {
    await proxy.stop();
    await engine.close();
  }
});
