/**
 * `ENGINE_TIMEOUT` in-process, against the recording fake engine's `/hold`
 * (an answer that comes only when the test releases it): a finite request is
 * answered 504 once its deadline passed, on a connection that stays usable,
 * and its engine connection is closed; streams are exempt; a stop's `t=` comes
 * on top; a profile's own timeout names the profile. The watchdog's readiness
 * and its fail-fast 502 in-process, against a fake engine that goes away.
 */
import assert from "node:assert/strict";
import { withProxy } from "./helpers/in_process.ts";
import { parsePrometheusText, sampleValue } from "./helpers/prometheus_text.ts";
import { RawClient } from "./helpers/raw_client.ts";
import { within } from "./helpers/deadline.ts";
import { FakeEngine } from "./helpers/fake_engine.ts";

const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`;

async function scrape(port: number) {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return parsePrometheusText(await response.text());
}

Deno.test("a finite request the engine does not answer gets 504 in time, and the connection goes on", async () => {
  const env = { CONTAINERS: "1", ENGINE_TIMEOUT: "1s", METRICS_LISTEN: "127.0.0.1:0" };
  await withProxy(env, async ({ port, server, engine, logText }) => {
    const release = engine.hold();
    try {
      const client = await RawClient.connect(port);
      const sent = performance.now();
      await client.write(get("/v1.47/containers/json?fake=hold"));
      const answer = await within(client.readResponse(), "the 504", 5000);
      const elapsed = performance.now() - sent;
      assert.equal(answer?.status, 504);
      assert.equal(answer?.headers["content-type"], "application/json");
      assert.ok(elapsed >= 1000 && elapsed < 2000, `answered after ${elapsed} ms`);
      assert.equal(
        JSON.parse(answer!.text).message,
        "The Docker engine did not begin answering GET /v1.47/containers/json (ContainerList) " +
          "within ENGINE_TIMEOUT (1s): socket-proxy closed its connection to the engine. Raise " +
          "ENGINE_TIMEOUT (0: no deadline) if the engine is only slow",
      );
      // The engine connection was closed, not pooled; the client's stays usable.
      assert.equal(server.pool.open, 0);
      assert.equal(server.pool.idleCount, 0);
      await client.write(get("/_ping"));
      assert.equal((await within(client.readResponse(), "the next answer"))?.status, 200);
      client.close();
      assert.match(
        logText(),
        /GET \/v1\.47\/containers\/json\?fake=hold \(ContainerList\) allowed 504/,
      );
      const families = await scrape(
        server.metricsAddress!.transport === "tcp" ? server.metricsAddress!.port : 0,
      );
      assert.equal(
        sampleValue(families, "socket_proxy_engine_timeouts_total", { operation: "ContainerList" }),
        1,
      );
    } finally {
      release();
    }
  });
});

Deno.test("streams are exempt: a held event stream outlives a finite request's deadline", async () => {
  await withProxy(
    { EVENTS: "1", CONTAINERS: "1", ENGINE_TIMEOUT: "1s" },
    async ({ port, engine }) => {
      const release = engine.hold();
      try {
        const stream = await RawClient.connect(port);
        await stream.write(get("/events?fake=hold"));
        const streamAnswer = stream.readResponse();
        // A finite request sent after it times out: by then the stream's deadline would have passed too.
        const finite = await RawClient.connect(port);
        await finite.write(get("/containers/json?fake=hold"));
        assert.equal(
          (await within(finite.readResponse(), "the finite request's 504"))?.status,
          504,
        );
        finite.close();
        release();
        assert.equal((await within(streamAnswer, "the stream's answer"))?.status, 200);
        stream.close();
      } finally {
        release();
      }
    },
  );
});

Deno.test("a stop with t= gets t on top of ENGINE_TIMEOUT", async () => {
  const env = { POST: "1", ALLOW_STOP: "1", ENGINE_TIMEOUT: "1s" };
  await withProxy(env, async ({ port, engine }) => {
    const release = engine.hold();
    try {
      const client = await RawClient.connect(port);
      const sent = performance.now();
      await client.write(
        "POST /containers/abc/stop?t=2&fake=hold HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
      );
      const answer = await within(client.readResponse(), "the 504", 6000);
      const elapsed = performance.now() - sent;
      assert.equal(answer?.status, 504);
      assert.ok(elapsed >= 3000 && elapsed < 4000, `answered after ${elapsed} ms`);
      assert.match(
        JSON.parse(answer!.text).message,
        /within ENGINE_TIMEOUT \(1s plus the 2s the request asked for\)/,
      );
      client.close();
    } finally {
      release();
    }
  });
});

Deno.test("a profile's own ENGINE_TIMEOUT wins, and its 504 names the profile", async () => {
  const policy = "profiles:\n  - name: quick\n    CONTAINERS: 1\n    ENGINE_TIMEOUT: 1s\n";
  await withProxy({ ENGINE_TIMEOUT: "10m" }, async ({ port, engine }) => {
    const release = engine.hold();
    try {
      const client = await RawClient.connect(port);
      await client.write(get("/containers/json?fake=hold"));
      const answer = await within(client.readResponse(), "the 504");
      assert.equal(answer?.status, 504);
      assert.match(
        JSON.parse(answer!.text).message,
        /within ENGINE_TIMEOUT of profile "quick" \(1s\): .* Raise ENGINE_TIMEOUT of profile "quick"/,
      );
      client.close();
    } finally {
      release();
    }
  }, { policy });
});

Deno.test("ENGINE_TIMEOUT=0 sets no deadline", async () => {
  // Observed through a second proxy with a deadline, whose 504 comes while the first still waits.
  const engine = await FakeEngine.start();
  const release = engine.hold();
  try {
    await withProxy({ CONTAINERS: "1", ENGINE_TIMEOUT: "0" }, async ({ port: none }) => {
      await withProxy({ CONTAINERS: "1", ENGINE_TIMEOUT: "1s" }, async ({ port: timed }) => {
        const waiting = await RawClient.connect(none);
        await waiting.write(get("/containers/json?fake=hold"));
        const answer = waiting.readResponse();
        const other = await RawClient.connect(timed);
        await other.write(get("/containers/json?fake=hold"));
        assert.equal((await within(other.readResponse(), "the 504"))?.status, 504);
        other.close();
        release();
        assert.equal((await within(answer, "the held answer"))?.status, 200);
        waiting.close();
      }, { engine });
    }, { engine });
  } finally {
    release();
  }
});

Deno.test("the proxy's own look-up the engine does not answer gets 504 in time, and the connection goes on", async () => {
  // A scope makes the proxy look up the container a request names before it forwards it.
  const env = {
    CONTAINERS: "1",
    POST: "1",
    CONTAINER_LABELS: "team=a",
    ENGINE_TIMEOUT: "1s",
    METRICS_LISTEN: "127.0.0.1:0",
  };
  await withProxy(env, async ({ port, server, engine }) => {
    const release = engine.hold("/containers/web/json");
    try {
      const client = await RawClient.connect(port);
      const sent = performance.now();
      await client.write("POST /v1.47/containers/web/kill HTTP/1.1\r\nHost: x\r\n\r\n");
      const answer = await within(client.readResponse(), "the 504", 5000);
      const elapsed = performance.now() - sent;
      assert.equal(answer?.status, 504);
      assert.ok(elapsed >= 1000 && elapsed < 2000, `answered after ${elapsed} ms`);
      assert.equal(
        JSON.parse(answer!.text).message,
        "socket-proxy could not check POST /v1.47/containers/web/kill: the engine did not answer " +
          "socket-proxy's own GET /containers/web/json within 1s (ENGINE_TIMEOUT, at most 30s for " +
          "these); it closed its connection to the engine. Raise ENGINE_TIMEOUT (up to 30s) if " +
          "the engine is only slow",
      );
      assert.ok(engine.requests.every((r) => !r.target.endsWith("/kill")), "never killed");
      // The look-up's connection was closed, not pooled (the one left open is the event stream
      // the scope follows); the client's stays usable.
      assert.equal(server.pool.idleCount, 0);
      assert.ok(server.pool.open <= 1, `${server.pool.open} engine connections open`);
      await client.write(get("/_ping"));
      assert.equal((await within(client.readResponse(), "the next answer"))?.status, 200);
      client.close();
      const families = await scrape(
        server.metricsAddress!.transport === "tcp" ? server.metricsAddress!.port : 0,
      );
      assert.equal(
        sampleValue(families, "socket_proxy_engine_timeouts_total", {
          operation: "ContainerKill",
        }),
        1,
      );
    } finally {
      release();
    }
  });
});
