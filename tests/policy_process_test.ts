/**
 * Policy files with the proxy as a process: start-up errors, SIGHUP and file
 * reloads, and the `check`, `explain` and `learn` commands.
 */
import assert from "node:assert/strict";
import { FakeEngine } from "./helpers/fake_engine.ts";
import { RawClient } from "./helpers/raw_client.ts";
import { startProxyProcess } from "./helpers/proxy_process.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function policyFile(text: string): Promise<string> {
  const path = `${await Deno.makeTempDir({ prefix: "sp-policy-" })}/policy.yaml`;
  await Deno.writeTextFile(path, text);
  return path;
}

/** Runs a `socket-proxy` command; resolves with its exit code and output. */
async function command(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", "--allow-env", MAIN, ...args],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function status(port: number, path: string): Promise<number> {
  const client = await RawClient.connect(port);
  await client.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  const response = await client.readResponse();
  client.close();
  return response!.status;
}

Deno.test("a bad policy file stops the proxy at start with the file, the line and what is valid", async () => {
  const file = await policyFile("profiles:\n  - name: app\n    rules:\n      - ContainerLst\n");
  const proxy = await startProxyProcess({ POLICY_FILE: file }, { noWait: true });
  const { code } = await proxy.status;
  assert.equal(code, 2);
  assert.match(
    proxy.lines.join("\n"),
    new RegExp(
      `socket-proxy: ${file}:4: Unknown operation "ContainerLst" \\(did you mean ContainerList\\?\\)`,
    ),
  );
});

Deno.test("a missing policy file stops the proxy at start, naming it", async () => {
  const proxy = await startProxyProcess({ POLICY_FILE: "/nonexistent/policy.yaml" }, {
    noWait: true,
  });
  assert.equal((await proxy.status).code, 2);
  assert.match(proxy.lines.join("\n"), /Cannot read the policy file \/nonexistent\/policy\.yaml/);
});

Deno.test("SIGHUP and a change of the file reload the policy; an invalid one keeps the old", async () => {
  const engine = await FakeEngine.start();
  const file = await policyFile("profiles:\n  - name: app\n    rules: [SystemPing]\n");
  const proxy = await startProxyProcess({ SOCKET_PATH: engine.path, POLICY_FILE: file });
  try {
    assert.equal(await status(proxy.port, "/_ping"), 200);
    assert.equal(await status(proxy.port, "/containers/json"), 403);

    await Deno.writeTextFile(file, "profiles:\n  - name: app\n    rules: [ContainerList]\n");
    await proxy.waitForLine(/notice Policy reloaded \(file changed\)/);
    assert.equal(await status(proxy.port, "/containers/json"), 200);
    assert.equal(await status(proxy.port, "/_ping"), 403);

    await Deno.writeTextFile(file, "profiles:\n  - name: app\n    rules: [Nope]\n");
    await proxy.waitForLine(
      /err Policy not reloaded \(file changed\): .*:3: Unknown operation "Nope"/,
    );
    assert.equal(await status(proxy.port, "/containers/json"), 200, "the old policy stays");

    await Deno.writeTextFile(file, "profiles:\n  - name: app\n    rules: [SystemPing]\n");
    await proxy.waitForLine(/notice Policy reloaded \(file changed\)/);
    proxy.child.kill("SIGHUP");
    await proxy.waitForLine(/notice Policy reloaded \(SIGHUP\)/);
    assert.equal(await status(proxy.port, "/_ping"), 200);
  } finally {
    await proxy.stop();
    await engine.close();
  }
});

Deno.test("SIGHUP without a policy file only says there is nothing to reload", async () => {
  const engine = await FakeEngine.start();
  const proxy = await startProxyProcess({ SOCKET_PATH: engine.path });
  try {
    proxy.child.kill("SIGHUP");
    await proxy.waitForLine(/Received SIGHUP: nothing to reload/);
    assert.equal(await status(proxy.port, "/_ping"), 200, "still running");
  } finally {
    await proxy.stop();
    await engine.close();
  }
});

Deno.test("check prints the effective profiles, or the error and exit 2", async () => {
  const good = await policyFile(
    "profiles:\n  - name: traefik\n    match: { source: 10.0.0.0/8 }\n    rules: [ContainerList]\n",
  );
  const ok = await command(["check", "--policy", good]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /policy: .*policy\.yaml, 1 profile\(s\), first match wins/);
  assert.match(ok.stdout, /profile "traefik" \(line 2\)\n {2}clients: {4}source 10\.0\.0\.0\/8/);
  assert.match(ok.stdout, /rule 1 \(ContainerList, line 4\): 1 route\(s\)/);
  const bad = await policyFile("profiles:\n  - name: a\n    match: { source: 10.0.0.1/8 }\n");
  const failed = await command(["check", "--policy", bad]);
  assert.equal(failed.code, 2);
  assert.match(failed.stderr, /policy\.yaml:3: Invalid source "10\.0\.0\.1\/8"/);
  const env = await command(["check"], { CONTAINERS: "1", POST: "1" });
  assert.equal(env.code, 0);
  assert.match(env.stdout, /policy: from the environment, one profile for every client/);
  assert.match(env.stderr, /warning: Clients may create containers, and HOST_ACCESS=1/);
});

Deno.test("explain names the route, operation, profile and rule, or what would allow it", async () => {
  const allowed = await command(["explain", "GET", "/v1.47/containers/json"], { CONTAINERS: "1" });
  assert.equal(allowed.code, 0);
  assert.match(
    allowed.stdout,
    /route: {6}GET \/containers\/json \(ContainerList, Docker Engine API\)/,
  );
  assert.match(allowed.stdout, /decision: {3}allowed by CONTAINERS=1/);
  const denied = await command(["explain", "GET", "/v1.47/containers/json"]);
  assert.equal(denied.code, 1);
  assert.match(
    denied.stdout,
    /decision: {3}denied \(403\): Forbidden by socket-proxy: GET \/v1\.47\/containers\/json \(ContainerList\) needs CONTAINERS=1/,
  );
  const file = await policyFile(
    "profiles:\n  - name: healer\n    match: { container: { name: autoheal } }\n" +
      "    rules:\n      - allow: ContainerRestart\n        target: { labels: { autoheal: 'true' } }\n",
  );
  const labelled = await command([
    "explain",
    "--policy",
    file,
    "--client",
    "172.18.0.5",
    "--container",
    "autoheal",
    "POST",
    "/containers/web/restart",
  ]);
  assert.equal(labelled.code, 0);
  assert.match(labelled.stdout, /profile: {4}"healer" \(line 2\), for container named autoheal/);
  assert.match(labelled.stdout, /allowed only on containers with labels autoheal=true/);
  const nobody = await command(["explain", "--policy", file, "POST", "/containers/web/restart"]);
  assert.equal(nobody.code, 1);
  assert.match(nobody.stdout, /profile: {4}none matches this client/);
  const usage = await command(["explain", "GET"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /explain takes METHOD TARGET/);
});

Deno.test("presets lists the recipes by name; an unknown PRESET stops the proxy naming the valid ones", async () => {
  const listed = await command(["presets"]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^traefik +Traefik v3\.7/m);
  assert.match(listed.stdout, /examples\/traefik\/policy\.yaml: 6 rule\(s\); CONTAINER_LABELS/);
  const unknown = await startProxyProcess({ PRESET: "traefk" }, { noWait: true });
  assert.equal((await unknown.status).code, 2);
  assert.match(
    unknown.lines.join("\n"),
    /socket-proxy: Unknown PRESET "traefk" \(did you mean traefik\?\) \(valid: [a-z-]+(, [a-z-]+)*, traefik,/,
  );
  const checked = await command(["check"], { PRESET: "autoheal" });
  assert.equal(checked.code, 0, checked.stderr);
  assert.match(checked.stdout, /preset: +autoheal \(/);
  assert.match(
    checked.stdout,
    /rule 2 \(ContainerRestart on containers with labels autoheal=true, preset autoheal\)/,
  );
});
