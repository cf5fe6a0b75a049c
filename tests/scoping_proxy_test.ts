/**
 * Scoping in front of a recording fake engine: what reaches the engine, and
 * what a scoped client gets back.
 */
import assert from "node:assert/strict";
import { parseQuery } from "../lib/policy/query_params.ts";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { withProxy } from "./helpers/in_process.ts";
import { RawClient } from "./helpers/raw_client.ts";

const SCOPED = { CONTAINERS: "1", POST: "1", CONTAINER_LABELS: "team=a" };
const OWNER = { CONTAINERS: "1", POST: "1", OWNER: "ci" };

async function ask(port: number, request: string) {
  const client = await RawClient.connect(port);
  await client.write(request);
  const response = await client.readResponse();
  client.close();
  assert.ok(response !== null);
  return response;
}

Deno.test("a scoped list reaches the engine narrowed and comes back filtered", async () => {
  const engine = await FakeEngine.start();
  engine.containers = [
    { Id: "1", Names: ["/mine"], Labels: { team: "a" } },
    { Id: "2", Names: ["/theirs"], Labels: { team: "b" } },
  ];
  await withProxy(SCOPED, async ({ port }) => {
    const response = await ask(
      port,
      'GET /v1.47/containers/json?all=1&filters={"status":["running"]} HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.text).map((c: { Id: string }) => c.Id), ["1"]);
    assert.equal(Number(response.headers["content-length"]), response.body.length);
    const sent = engine.requests.find((r) => r.target.startsWith("/v1.47/containers/json"))!;
    const query = parseQuery(sent.target.slice(sent.target.indexOf("?"))) as Map<string, string[]>;
    assert.deepEqual(query.get("all"), ["1"]);
    assert.deepEqual(JSON.parse(query.get("filters")![0]), {
      status: ["running"],
      label: ["team=a"],
    });
  }, { engine });
});

Deno.test("a container the scope hides is answered as the engine answers for none", async () => {
  await withProxy(SCOPED, async ({ port, engine }) => {
    // The fake engine's inspect answer carries no labels: the container is hidden.
    const response = await ask(port, "POST /containers/web/kill HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal(response.status, 404);
    assert.deepEqual(JSON.parse(response.text), { message: "No such container: web" });
    assert.ok(engine.requests.every((r) => !r.target.endsWith("/kill")), "never killed");
  });
});

Deno.test("an OWNER client's prune reaches the engine narrowed to its label", async () => {
  await withProxy(OWNER, async ({ port, engine }) => {
    const response = await ask(
      port,
      "POST /containers/prune HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert.equal(response.status, 200);
    const sent = engine.requests.at(-1)!.target;
    const query = parseQuery(sent.slice(sent.indexOf("?"))) as Map<string, string[]>;
    assert.deepEqual(JSON.parse(query.get("filters")![0]), {
      label: { "socket-proxy.owner=ci": true },
    });
  });
});

Deno.test("a form body cannot widen what the scope narrowed", async () => {
  await withProxy(OWNER, async ({ port, engine }) => {
    const body = "filters=%7B%7D";
    const response = await ask(
      port,
      "POST /containers/prune HTTP/1.1\r\nHost: x\r\n" +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    assert.equal(response.status, 403);
    assert.match(JSON.parse(response.text).message, /form body/);
    assert.equal(engine.requests.length, 0);
  });
});

Deno.test("an OWNER client's create reaches the engine with its label, re-framed", async () => {
  await withProxy(OWNER, async ({ port, engine }) => {
    const body = '{"Image":"busybox","labels":{"a":"1"}}';
    const response = await ask(
      port,
      "POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        `Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    assert.equal(response.status, 200);
    const sent = engine.requests.at(-1)!;
    assert.deepEqual(JSON.parse(new TextDecoder().decode(sent.body)), {
      Image: "busybox",
      labels: { a: "1", "socket-proxy.owner": "ci" },
    });
    assert.ok(
      sent.headers.some(([name, value]) =>
        name === "content-length" && value === String(sent.body.length)
      ),
    );
  });
});

Deno.test("a service attached to the host network by its ID is refused under HOST_ACCESS=0", async () => {
  const engine = await FakeEngine.start();
  engine.answers["/networks/9f1c0ffee"] = { Id: "9f1c0ffee", Name: "host", Driver: "host" };
  engine.answers["/networks/0verlay"] = { Id: "0verlay", Name: "web", Driver: "overlay" };
  const env = { SERVICES: "1", POST: "1", HOST_ACCESS: "0" };
  const service = (target: string) =>
    JSON.stringify({
      Name: "s",
      TaskTemplate: { ContainerSpec: { Image: "busybox" }, Networks: [{ Target: target }] },
    });
  const create = (body: string) =>
    "POST /services/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
    `Content-Length: ${body.length}\r\n\r\n${body}`;
  await withProxy(env, async ({ port }) => {
    const refused = await ask(port, create(service("9f1c0ffee")));
    assert.equal(refused.status, 403);
    assert.match(
      JSON.parse(refused.text).message,
      /TaskTemplate\.Networks\[0\]\.Target "9f1c0ffee" is the network host .*needs ALLOW_HOST_NETWORK=1/,
    );
    assert.ok(engine.requests.every((r) => !r.target.startsWith("/services")), "nothing created");
    assert.equal((await ask(port, create(service("0verlay")))).status, 200);
  }, { engine });
});
