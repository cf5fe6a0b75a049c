/**
 * Rules on bodies in the pipeline, in front of a recording fake engine: each
 * target paired with its own rule's body, the body checked before anything
 * reaches the engine, audit mode for clients no profile matches, and the
 * access log's record of what an exec ran.
 */
import assert from "node:assert/strict";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { withProxy } from "./helpers/in_process.ts";
import { RawClient } from "./helpers/raw_client.ts";

function post(path: string, body: unknown): string {
  const text = JSON.stringify(body);
  return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${new TextEncoder().encode(text).length}\r\n\r\n${text}`;
}

async function ask(port: number, request: string) {
  const client = await RawClient.connect(port);
  try {
    await client.write(request);
    const response = await client.readResponse();
    assert.ok(response !== null, "answered");
    return response;
  } finally {
    client.close();
  }
}

const container = (id: string, name: string, labels: Record<string, string>) => ({
  Id: id,
  Name: `/${name}`,
  Config: { Labels: labels },
});

Deno.test("each target is paired with its own rule's body", async () => {
  const engine = await FakeEngine.start();
  engine.answers["/containers/db/json"] = container("d".repeat(64), "db", { role: "db" });
  engine.answers["/containers/web/json"] = container("e".repeat(64), "web", { role: "web" });
  const policy = `
profiles:
  - name: ops
    rules:
      - allow: ContainerExec
        target: { labels: { role: db } }
        body: { Cmd: [[pg_dump, "**"]] }
      - allow: ContainerExec
        target: { labels: { role: web } }
        body: { Cmd: [[nginx, -s, reload]] }
`;
  await withProxy({}, async ({ port }) => {
    const cases: [string, string[], number, RegExp | null][] = [
      ["db", ["pg_dump", "-U", "app"], 200, null],
      ["web", ["nginx", "-s", "reload"], 200, null],
      [
        "db",
        ["nginx", "-s", "reload"],
        403,
        /rule 1 .* Cmd \["nginx","-s","reload"\] matches none of \[\[pg_dump, \*\*\]\]/,
      ],
      [
        "web",
        ["pg_dump"],
        403,
        /rule 2 .* Cmd \["pg_dump"\] matches none of \[\[nginx, -s, reload\]\]/,
      ],
    ];
    for (const [name, cmd, status, message] of cases) {
      const before = engine.requests.filter((r) => r.target.endsWith("/exec")).length;
      const answer = await ask(port, post(`/v1.41/containers/${name}/exec`, { Cmd: cmd }));
      assert.equal(answer.status, status, `${name} ${cmd.join(" ")}: ${answer.text}`);
      const execs = engine.requests.filter((r) => r.target.endsWith("/exec"));
      if (message === null) {
        assert.equal(execs.length, before + 1);
        // Forwarded by the full ID the labels were read from, with the body as checked.
        assert.match(execs.at(-1)!.target, /^\/v1\.41\/containers\/[de]{64}\/exec$/);
        assert.deepEqual(JSON.parse(new TextDecoder().decode(execs.at(-1)!.body)), { Cmd: cmd });
      } else {
        assert.equal(execs.length, before, "nothing reaches the engine");
        assert.match(JSON.parse(answer.text).message, message);
      }
    }
  }, { policy, engine });
});

Deno.test("a body rule refuses what it cannot read, and a plain rule reads no body", async () => {
  const policy = `
profiles:
  - name: ops
    HOST_ACCESS: 1
    MAX_BODY_SIZE: 1k
    rules:
      - allow: ContainerExec
        body: { Cmd: [[nginx, -s, reload]] }
      - ContainerCreate
`;
  await withProxy({}, async ({ port, engine }) => {
    const body = '{"Cmd":["nginx","-s","reload"],"cmd":[]}';
    const ambiguous = await ask(
      port,
      `POST /containers/x/exec HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    assert.equal(ambiguous.status, 400);
    assert.match(JSON.parse(ambiguous.text).message, /collide under case folding/);
    // Past MAX_BODY_SIZE: a body a rule reads is refused...
    const big = "x".repeat(2048);
    const long = await ask(port, post("/containers/x/exec", { Cmd: ["nginx"], Env: [big] }));
    assert.equal(long.status, 413);
    // ...while with HOST_ACCESS=1 and no body rule a create's body streams, unread.
    const created = await ask(port, post("/containers/create", { Image: "anything", Env: [big] }));
    assert.equal(created.status, 200);
    assert.equal(engine.requests.length, 1);
  }, { policy });
});

Deno.test("MODE=audit forwards a client no profile matches and logs what its exec ran", async () => {
  await withProxy({ MODE: "audit", LOG_FORMAT: "json" }, async ({ port, engine, logText }) => {
    const answer = await ask(
      port,
      post("/v1.41/containers/nginx/exec", {
        Cmd: ["nginx", "-s", "reload"],
        Env: ["TOKEN=s3cret"],
      }),
    );
    assert.equal(answer.status, 200);
    assert.equal(engine.requests.length, 1);
    const line = logText().split("\n").find((text) => text.includes('"operation":"ContainerExec"'));
    assert.ok(line !== undefined, logText());
    const record = JSON.parse(line);
    assert.equal(record.decision, "would-deny");
    assert.match(record.reason, /no profile in .* matches this client/);
    assert.equal(record.cmd, '["nginx","-s","reload"]');
    assert.doesNotMatch(line, /s3cret|TOKEN/, "environment values and names stay out of the log");
  }, { policy: "profiles: []\n" });
});

Deno.test("audit mode records a body only where reading it changes nothing", async () => {
  const policy = `
profiles:
  - name: app
    mode: audit
    HOST_ACCESS: 1
    MAX_BODY_SIZE: 1k
    rules: [ContainerCreate]
`;
  await withProxy({ LOG_FORMAT: "json" }, async ({ port, engine, logText }) => {
    const small = await ask(port, post("/containers/create", { Image: "nginx:1" }));
    assert.equal(small.status, 200);
    const big = await ask(
      port,
      post("/containers/create", { Image: "big", Env: ["x".repeat(2048)] }),
    );
    assert.equal(big.status, 200, "forwarded, not refused as too large to record");
    assert.equal(engine.requests.filter((r) => r.target.endsWith("/create")).length, 2);
    const creates = logText().split("\n").filter((line) => line.includes('"ContainerCreate"'))
      .map((line) => JSON.parse(line));
    assert.deepEqual(creates.map((record) => record.image), ["nginx:1", undefined]);
  }, { policy });
});
