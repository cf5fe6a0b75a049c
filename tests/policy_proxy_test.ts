/**
 * The proxy with a policy file, in front of a recording fake engine: profiles
 * chosen by address, listener and client container, query constraints, audit
 * mode, one-way tunnels, and reloads under load.
 */
import assert from "node:assert/strict";
import { Logger, MemorySink } from "../lib/log/log.ts";
import { PolicyReloader } from "../lib/server/policy_reloader.ts";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { withProxy } from "./helpers/in_process.ts";
import { RawClient } from "./helpers/raw_client.ts";

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

async function ask(client: RawClient, request: string) {
  await client.write(request);
  const response = await client.readResponse();
  assert.ok(response !== null, "answered");
  return response;
}

/** Resolves once `predicate` holds, checking on every tick of the event loop's timers. */
async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const BY_ADDRESS = `
profiles:
  - name: second
    match: { source: 127.0.0.2 }
    rules: [ContainerList]
  - name: first
    match: { source: 127.0.0.0/8 }
    rules: [SystemPing]
`;

Deno.test("each client gets the profile its source address matches", async () => {
  await withProxy({}, async ({ port, engine, logText }) => {
    const second = await RawClient.connectFrom("127.0.0.2", port);
    assert.equal((await ask(second, get("/v1.47/containers/json"))).status, 200);
    const denied = await ask(second, get("/_ping"));
    assert.equal(denied.status, 403);
    assert.equal(
      JSON.parse(denied.text).message,
      'Forbidden by socket-proxy: GET /_ping (SystemPing) is not allowed for profile "second": ' +
        "no rule allows SystemPing (add SystemPing to its rules)",
    );
    const first = await RawClient.connect(port);
    assert.equal((await ask(first, get("/_ping"))).status, 200);
    assert.equal((await ask(first, get("/containers/json"))).status, 403);
    assert.deepEqual(engine.requests.map((r) => r.target), ["/v1.47/containers/json", "/_ping"]);
    assert.match(
      logText(),
      /127\.0\.0\.2:\d+ GET \/v1\.47\/containers\/json \(ContainerList\) allowed 200 .* profile=second/,
    );
    assert.match(
      logText(),
      /127\.0\.0\.1:\d+ GET \/containers\/json \(ContainerList\) denied 403 .* profile=first/,
    );
    second.close();
    first.close();
  }, { policy: BY_ADDRESS });
});

Deno.test("a client of a listener gets that listener's profile", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sp-listen-" });
  const socket = `${dir}/app.sock`;
  const policy = `
profiles:
  - name: app
    match: { listener: "unix:${socket}" }
    rules: [ContainerList]
  - name: others
    rules: [SystemPing]
`;
  await withProxy({ LISTEN: `127.0.0.1:0,unix:${socket}` }, async ({ port, engine }) => {
    const app = await RawClient.connectUnix(socket);
    assert.equal((await ask(app, get("/containers/json"))).status, 200);
    assert.equal((await ask(app, get("/_ping"))).status, 403);
    const other = await RawClient.connect(port);
    assert.equal((await ask(other, get("/containers/json"))).status, 403);
    assert.equal((await ask(other, get("/_ping"))).status, 200);
    assert.equal(engine.requests.length, 2);
    app.close();
    other.close();
  }, { policy });
});

Deno.test("a client container is identified through the engine, by name and labels", async () => {
  const engine = await FakeEngine.start();
  engine.containers = [{
    Id: "c0ffee",
    Names: ["/traefik"],
    Labels: { role: "proxy" },
    NetworkSettings: { Networks: { web: { IPAddress: "127.0.0.2" } } },
  }];
  const policy = `
profiles:
  - name: traefik
    match: { container: { name: traefik, labels: { role: proxy } } }
    rules: [ContainerList]
`;
  await withProxy({}, async ({ port, logText }) => {
    const traefik = await RawClient.connectFrom("127.0.0.2", port);
    assert.equal((await ask(traefik, get("/containers/json?all=1"))).status, 200);
    const stranger = await RawClient.connect(port);
    const denied = await ask(stranger, get("/containers/json?all=1"));
    assert.equal(denied.status, 403);
    assert.match(denied.text, /no profile in .*policy\.yaml matches this client/);
    assert.match(
      logText(),
      /127\.0\.0\.2:\d+ \(traefik\) GET \/containers\/json\?all=1 .*allowed 200/,
    );
    const forwarded = engine.requests.filter((r) => r.target === "/containers/json?all=1");
    assert.equal(forwarded.length, 1, "only the container's own request");
    traefik.close();
    stranger.close();
  }, { engine, policy });
});

Deno.test("audit mode forwards what would be denied and logs it as would-deny", async () => {
  const policy = "mode: audit\nprofiles:\n  - name: app\n    rules: [SystemPing]\n";
  const engine = await FakeEngine.start();
  engine.containers = []; // audit mode asks the engine who its clients are
  const forwarded = () => engine.requests.filter((r) => r.target.startsWith("/v1.47/")).length;
  await withProxy({}, async ({ port, logText }) => {
    const client = await RawClient.connect(port);
    assert.equal((await ask(client, get("/v1.47/containers/json"))).status, 200);
    assert.equal(forwarded(), 1);
    assert.match(
      logText(),
      /warning 127\.0\.0\.1:\d+ GET \/v1\.47\/containers\/json \(ContainerList\) would-deny 200 .*profile=app is not allowed for profile "app": no rule allows ContainerList/,
    );
    // A path that is no route is refused even in audit mode.
    assert.equal((await ask(client, get("/v1.47/containers"))).status, 403);
    assert.equal(forwarded(), 1);
    client.close();
  }, { policy, engine });
});

const KILL_POLICY = `
profiles:
  - name: healer
    rules:
      - allow: ContainerKill
        query: { signal: [SIGHUP, SIGUSR1] }
      - allow: ContainerAttachWebsocket
        query: { stdin: false }
`;

Deno.test("query constraints are enforced before the engine sees anything", async () => {
  await withProxy({}, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    const post = (query: string) =>
      `POST /containers/abc/kill${query} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`;
    const killed = await ask(client, post("?signal=KILL"));
    assert.equal(killed.status, 403);
    assert.match(JSON.parse(killed.text).message, /signal in \[SIGHUP, SIGUSR1\].*signal="KILL"/);
    assert.equal((await ask(client, post(""))).status, 403);
    assert.equal((await ask(client, post("?signal=HUP&signal=KILL"))).status, 403);
    assert.equal((await ask(client, post("?signal=hup"))).status, 200);
    const ambiguous = await ask(client, post("?signal=HUP;signal=KILL"));
    assert.equal(ambiguous.status, 400);
    assert.match(
      JSON.parse(ambiguous.text).message,
      /^Refused by socket-proxy: POST \/containers\/abc\/kill \(ContainerKill\): Query holds a ';'/,
    );
    assert.deepEqual(engine.requests.map((r) => r.target), ["/containers/abc/kill?signal=hup"]);
    client.close();
  }, { policy: KILL_POLICY });
});

Deno.test("a form body cannot override the query parameters a rule checked", async () => {
  await withProxy({}, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    const body = "signal=KILL";
    const response = await ask(
      client,
      "POST /containers/abc/kill?signal=HUP HTTP/1.1\r\nHost: x\r\n" +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    assert.equal(response.status, 403);
    assert.match(JSON.parse(response.text).message, /form body/);
    assert.ok(await client.closedByPeer());
    assert.equal(engine.requests.length, 0);
  }, { policy: KILL_POLICY });
});

Deno.test("a tunnel a rule allows without stdin carries nothing from the client", async () => {
  await withProxy({}, async ({ port, engine }) => {
    const client = await RawClient.connect(port);
    await client.write(
      "GET /containers/abc/attach/ws?stdout=1&fake=hijack HTTP/1.1\r\nHost: x\r\n" +
        "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    await engine.until(() => engine.requests.length === 1);
    const before = engine.received;
    await client.write("typed into the container");
    client.closeWrite();
    // The engine sees the client's end (it says bye), and never its bytes.
    const rest = new TextDecoder().decode(await client.readToEnd());
    assert.match(rest, /^HTTP\/1\.1 101 /);
    assert.ok(rest.endsWith("\r\n\r\nhellobye"), rest);
    assert.equal(engine.received, before);
    client.close();
  }, { policy: KILL_POLICY });
});

Deno.test("a reload under load refuses nothing both policies allow and cuts no stream", async () => {
  const before = "profiles:\n  - name: app\n    rules: [SystemPing, SystemEvents, ContainerList]\n";
  const after = "profiles:\n  - name: app\n    rules: [SystemPing, SystemEvents, ImageList]\n";
  await withProxy({}, async ({ port, engine, server, policyFile, loadPolicy }) => {
    const logs = new MemorySink();
    const reloader = new PolicyReloader(
      policyFile!,
      { listeners: ["127.0.0.1:0"], forceAudit: false },
      server,
      new Logger({ sink: logs }),
    );
    reloader.start(before);
    const stream = await RawClient.connect(port);
    await stream.write(get("/events?fake=stream"));
    await engine.until(() => engine.streams === 1);

    // Clients ping on keep-alive connections while the policy changes under them.
    let stop = false;
    const statuses: number[] = [];
    const pinger = async () => {
      const client = await RawClient.connect(port);
      while (!stop) statuses.push((await ask(client, get("/_ping"))).status);
      client.close();
    };
    const pingers = [pinger(), pinger(), pinger(), pinger()];
    for (let i = 0; i < 6; i++) {
      await waitFor(() => statuses.length >= (i + 1) * 50, "pings");
      await loadPolicy(i % 2 === 0 ? after : before); // the watcher reloads it
      await waitFor(() => reloader.loaded === i + 1, `reload ${i + 1}`);
    }
    stop = true;
    await Promise.all(pingers);
    assert.ok(statuses.length >= 300);
    assert.deepEqual([...new Set(statuses)], [200], "no ping refused");
    assert.equal(engine.streams, 1, "the stream is still open at the engine");

    // New requests get the policy in force (the last one written: `before`).
    const client = await RawClient.connect(port);
    assert.equal((await ask(client, get("/containers/json"))).status, 200);
    assert.equal((await ask(client, get("/images/json"))).status, 403);
    client.close();
    stream.close();
    await reloader.stop();
    assert.equal(reloader.failed, 0);
  }, { policy: before });
});

Deno.test("an invalid policy file keeps the policy in force and logs why at err", async () => {
  const good = "profiles:\n  - name: app\n    rules: [SystemPing]\n";
  await withProxy({}, async ({ port, server, policyFile }) => {
    const logs = new MemorySink();
    const reloader = new PolicyReloader(
      policyFile!,
      { listeners: ["127.0.0.1:0"], forceAudit: false },
      server,
      new Logger({ sink: logs }),
    );
    const policy = server.policy;
    await Deno.writeTextFile(policyFile!, "profiles:\n  - name: app\n    rules: [SystemPong]\n");
    assert.equal(await reloader.reload("SIGHUP"), false);
    assert.equal(server.policy, policy);
    assert.match(
      logs.lines.join(""),
      /err Policy not reloaded \(SIGHUP\): .*policy\.yaml:3: Unknown operation "SystemPong" \(did you mean SystemPing\?\); the policy in force stays/,
    );
    const client = await RawClient.connect(port);
    assert.equal((await ask(client, get("/_ping"))).status, 200);
    client.close();
    await reloader.stop();
  }, { policy: good });
});

Deno.test("audit mode names the client container in its log, so learn can profile it", async () => {
  const engine = await FakeEngine.start();
  engine.containers = [{
    Id: "c0ffee",
    Names: ["/homepage"],
    Labels: {},
    NetworkSettings: { Networks: { web: { IPAddress: "127.0.0.2" } } },
  }];
  await withProxy({ MODE: "audit", LOG_FORMAT: "json" }, async ({ port, logText }) => {
    const client = await RawClient.connectFrom("127.0.0.2", port);
    assert.equal((await ask(client, get("/containers/json"))).status, 200);
    client.close();
    const line = logText().split("\n").find((text) => text.includes('"msg":"request"'))!;
    const record = JSON.parse(line);
    assert.equal(record.container, "homepage");
    assert.equal(record.decision, "would-deny");
    assert.equal(record.operation, "ContainerList");
  }, { engine });
});
