/**
 * `PRESET=traefik` in front of a recording fake engine decides, forwards and
 * narrows exactly as the proxy with examples/traefik/policy.yaml does.
 */
import assert from "node:assert/strict";
import { withProxy } from "./helpers/in_process.ts";
import { RawClient } from "./helpers/raw_client.ts";

const RECIPE = await Deno.readTextFile(new URL("../examples/traefik/policy.yaml", import.meta.url));

/** Traefik's calls, and some it does not make. */
const REQUESTS: [string, string][] = [
  ["HEAD", "/_ping"],
  ["GET", "/_ping"],
  ["GET", "/v1.47/version"],
  ["GET", "/v1.47/containers/json?all=1"],
  ["GET", `/v1.47/events?filters=${encodeURIComponent('{"type":{"container":true}}')}`],
  ["GET", "/v1.47/events"],
  ["GET", "/v1.47/info"],
  ["POST", "/v1.47/containers/abc/stop"],
  ["GET", "/v1.47/containers/abc/logs?stdout=1"],
  ["GET", "/v1.47/images/json"],
];

/** Each request's status, then what reached the engine. */
async function run(env: Record<string, string>, policy?: string) {
  const seen: string[] = [];
  let received: string[] = [];
  await withProxy(env, async ({ port, engine }) => {
    for (const [method, target] of REQUESTS) {
      // One connection each: an event stream the fake engine keeps open ends nothing else.
      const client = await RawClient.connect(port);
      await client.write(`${method} ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const response = await client.readResponse({ head: method === "HEAD" });
      seen.push(`${method} ${target} ${response?.status}`);
      client.close();
    }
    // Sorted: the proxy's own event stream (scoping's cache) starts when it will.
    received = engine.requests.map((request) => `${request.method} ${request.target}`).sort();
  }, policy === undefined ? {} : { policy });
  return { seen, received };
}

Deno.test("PRESET=traefik decides like examples/traefik/policy.yaml", async () => {
  const recipe = await run({}, RECIPE);
  // As the image's environment has them: the drop-in defaults are not taken for settings.
  const preset = await run({ PRESET: "traefik", EVENTS: "1", PING: "1", VERSION: "1" });
  assert.deepEqual(preset.seen, recipe.seen);
  assert.deepEqual(preset.received, recipe.received);
  assert.ok(
    recipe.received.some((line) => line.includes(encodeURIComponent('"traefik.enable=true"'))),
    "the list is narrowed to routed containers",
  );
  assert.deepEqual(
    recipe.seen.map((line) => line.split(" ").at(-1)),
    ["200", "200", "200", "200", "200", "403", "403", "403", "403", "403"],
  );
});
