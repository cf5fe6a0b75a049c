/**
 * The per-client limits against the real engine: 429s with `Retry-After` and
 * a message naming the setting, a second loopback address as a client of its
 * own, `/_ping` never limited, a request over `MAX_CLIENT_REQUESTS` waiting
 * for its turn, and the engine shared fairly while a noisy client floods it
 * from 127.0.0.2 (`bench/fairness.ts` measures the same in more rounds).
 */
import assert from "node:assert/strict";
import { noisy, quiet } from "../bench/fairness.ts";
import { withProxy } from "./helpers/in_process.ts";
import { engineSocket, startProxyProcess, testImage } from "./helpers/proxy_process.ts";
import { RawClient, type RawResponse } from "./helpers/raw_client.ts";
import { run } from "../scripts/private_engine.ts";

const docker = (...args: string[]) => run("docker", ["-H", `unix://${engineSocket()}`, ...args]);

async function ask(client: RawClient, path: string): Promise<RawResponse> {
  await client.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\n\r\n`);
  return (await client.readResponse())!;
}

async function once(port: number, path: string, from = "127.0.0.1"): Promise<RawResponse> {
  const client = await RawClient.connectFrom(from, port);
  try {
    return await ask(client, path);
  } finally {
    client.close();
  }
}

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return await response.text();
}

Deno.test("RATE_LIMIT answers 429 with Retry-After naming the setting, per client, never on /_ping", async () => {
  await withProxy(
    { RATE_LIMIT: "0.1", RATE_BURST: "2", CONTAINERS: "1", METRICS_LISTEN: "127.0.0.1:0" },
    async ({ port, server }) => {
      assert.equal((await once(port, "/containers/json")).status, 200);
      assert.equal((await once(port, "/containers/json")).status, 200);
      const limited = await once(port, "/containers/json");
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers["retry-after"]) >= 1, limited.headers["retry-after"]);
      assert.ok(Number(limited.headers["retry-after"]) <= 10, limited.headers["retry-after"]);
      assert.match(
        JSON.parse(limited.text).message,
        /^Too many requests from this client: more than RATE_LIMIT=0\.1 a second \(RATE_BURST=2 at once\); try again in \d+s/,
      );
      assert.equal((await once(port, "/_ping")).status, 200, "/_ping is never limited");
      assert.equal(
        (await once(port, "/containers/json", "127.0.0.2")).status,
        200,
        "127.0.0.2 is a client of its own",
      );
      const address = server.metricsAddress!;
      assert.ok(address.transport === "tcp");
      assert.match(
        await scrape(address.port),
        /^socket_proxy_limited_requests_total\{profile="default",setting="RATE_LIMIT"\} 1$/m,
      );
    },
    { socketPath: engineSocket() },
  );
});

Deno.test("MAX_CLIENT_STREAMS counts a client's open streams; another client has its own", async () => {
  await withProxy(
    { MAX_CLIENT_STREAMS: "1", EVENTS: "1" },
    async ({ port }) => {
      const first = await RawClient.connectFrom("127.0.0.1", port);
      try {
        await first.write("GET /events HTTP/1.1\r\nHost: docker\r\n\r\n");
        const head = await first.readResponse({ head: true });
        assert.equal(head?.status, 200);
        const second = await once(port, "/events");
        assert.equal(second.status, 429);
        assert.equal(second.headers["retry-after"], "1");
        assert.equal(
          JSON.parse(second.text).message,
          "Too many streams from this client: 1 open, MAX_CLIENT_STREAMS=1 (close one, or raise " +
            "MAX_CLIENT_STREAMS in the client's profile)",
        );
        const other = await RawClient.connectFrom("127.0.0.2", port);
        await other.write("GET /events HTTP/1.1\r\nHost: docker\r\n\r\n");
        assert.equal((await other.readResponse({ head: true }))?.status, 200);
        other.close();
      } finally {
        first.close();
      }
    },
    { socketPath: engineSocket() },
  );
});

Deno.test("past MAX_CLIENT_REQUESTS a request waits its turn, and past as many again it is refused", async () => {
  const name = `sp-limits-${crypto.randomUUID().slice(0, 8)}`;
  // busybox sleep as PID 1 ignores SIGTERM: a stop waits its whole t, until killed.
  await docker("run", "-d", "--name", name, "--network", "none", testImage(), "sleep", "600");
  try {
    await withProxy(
      {
        MAX_CLIENT_REQUESTS: "1",
        CONTAINERS: "1",
        POST: "1",
        ALLOW_STOP: "1",
        METRICS_LISTEN: "127.0.0.1:0",
      },
      async ({ port, server }) => {
        const address = server.metricsAddress!;
        assert.ok(address.transport === "tcp");
        const slow = await RawClient.connectFrom("127.0.0.1", port);
        await slow.write(`POST /containers/${name}/stop?t=600 HTTP/1.1\r\nHost: d\r\n\r\n`);
        // The next request of the same client waits for the stop: the metrics count it.
        const waiting = await RawClient.connectFrom("127.0.0.1", port);
        await waiting.write("GET /containers/json HTTP/1.1\r\nHost: d\r\n\r\n");
        const deadline = Date.now() + 30_000;
        while (
          !/^socket_proxy_waited_requests_total\{profile="default"\} 1$/m.test(
            await scrape(address.port),
          )
        ) {
          assert.ok(Date.now() < deadline, "the second request waits");
        }
        const refused = await once(port, "/containers/json");
        assert.equal(refused.status, 429);
        assert.match(JSON.parse(refused.text).message, /MAX_CLIENT_REQUESTS=1 at the engine/);
        assert.equal((await once(port, "/containers/json", "127.0.0.2")).status, 200);
        await docker("kill", name);
        assert.equal((await slow.readResponse())?.status, 204);
        assert.equal((await waiting.readResponse())?.status, 200);
        slow.close();
        waiting.close();
      },
      { socketPath: engineSocket() },
    );
  } finally {
    await docker("rm", "-f", name);
  }
});

Deno.test("a noisy client flooding from 127.0.0.2 leaves a quiet client a good part of its rate, at least twice the unlimited case", async () => {
  const names = [0, 1, 2, 3, 4].map((i) => `sp-fair-${i}-${crypto.randomUUID().slice(0, 8)}`);
  for (const name of names) {
    await docker("run", "-d", "--name", name, "--network", "none", testImage(), "sleep", "600");
  }
  // No access log: at info the test would read a line per request of the flood.
  const env = { SOCKET_PATH: engineSocket(), CONTAINERS: "1", LOG_LEVEL: "notice" };
  const limited = await startProxyProcess(env);
  const unlimited = await startProxyProcess({ ...env, MAX_CLIENT_REQUESTS: "0" });
  try {
    // Three rounds, the two proxies interleaved.
    const rates = {
      defaults: { alone: [] as number[], flood: [] as number[] },
      unlimited: { alone: [] as number[], flood: [] as number[] },
    };
    for (let round = 0; round < 3; round++) {
      for (const [label, proxy] of [["defaults", limited], ["unlimited", unlimited]] as const) {
        // The quiet client is wrk (2 connections from 127.0.0.1), as in bench/fairness.ts.
        rates[label].alone.push((await quiet(proxy.port, 2)).rps);
        const flood = noisy(proxy.port);
        await flood.flooding;
        rates[label].flood.push((await quiet(proxy.port, 2)).rps);
        const counted = await flood.stop();
        assert.ok(counted.ok > 0 && counted.limited === 0, JSON.stringify(counted));
      }
    }
    // Each round's rates alone and during the flood are measured back to back: the
    // median of the rounds' ratios decides, as in bench/fairness.ts.
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[1];
    const vsAlone = [0, 1, 2].map((i) => rates.defaults.flood[i] / rates.defaults.alone[i]);
    const vsUnlimited = [0, 1, 2].map((i) => rates.defaults.flood[i] / rates.unlimited.flood[i]);
    const summary = JSON.stringify(rates);
    // Issue 17 asks for 0.5x; bench/fairness.ts measures 0.62x on this 2-core machine, and this
    // test alone 0.58x to 0.65x (the share by requests alone, before flooding clients went after
    // the others: 0.44x, and 0.34x to 0.51x here with the rest of the test run). The bound leaves
    // room for a loaded machine, and still fails without the fair share (0.02x to 0.10x); the
    // order of the clients is tested in tests/unit/limits/fair_queue_test.ts. See bench/RESULTS.md.
    assert.ok(median(vsAlone) >= 0.4, `during the flood vs alone: ${vsAlone}: ${summary}`);
    assert.ok(median(vsUnlimited) >= 2, `vs the unlimited case: ${vsUnlimited}: ${summary}`);
  } finally {
    await limited.stop();
    await unlimited.stop();
    await docker("rm", "-f", ...names);
  }
});
