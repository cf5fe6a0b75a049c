/**
 * Scoping with the real `docker` CLI and a real engine: clients on their own
 * listeners see and touch only their own containers, read no environment
 * values, label what they create with OWNER, and a rule on target labels
 * allows and refuses as written.
 */
import assert from "node:assert/strict";
import { dockerCli } from "./helpers/docker_cli.ts";
import { engineSocket, startProxyProcess, testImage } from "./helpers/proxy_process.ts";

const OWNER_LABEL = "socket-proxy.owner";

function engine(...args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command("docker", {
    args: ["-H", `unix://${engineSocket()}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

async function engineOk(...args: string[]): Promise<string> {
  const output = await engine(...args);
  const text = new TextDecoder();
  if (!output.success) throw new Error(`docker ${args.join(" ")}: ${text.decode(output.stderr)}`);
  return text.decode(output.stdout);
}

Deno.test("each client sees and touches only its own containers, and reads no secrets", async (t) => {
  const id = crypto.randomUUID().slice(0, 6);
  const dir = await Deno.makeTempDir({ prefix: "sp-scope-" });
  const image = testImage();
  const mine = `sp-scope-a-${id}`;
  const theirs = `sp-scope-b-${id}`;
  const owned = `sp-scope-c-${id}`;
  const healed = `sp-scope-heal-${id}`;
  const since = Math.floor(Date.now() / 1000) - 1;
  await engineOk(
    "run",
    "-d",
    "--network",
    "none",
    "--name",
    mine,
    "-l",
    `team=a-${id}`,
    "-e",
    "API_KEY=hunter2",
    image,
    "sleep",
    "600",
  );
  await engineOk(
    "run",
    "-d",
    "--network",
    "none",
    "--name",
    theirs,
    "-l",
    `team=b-${id}`,
    image,
    "sleep",
    "600",
  );
  await engineOk(
    "run",
    "-d",
    "--network",
    "none",
    "--name",
    healed,
    "-l",
    "autoheal=true",
    image,
    "sleep",
    "600",
  );
  const switches = "    CONTAINERS: 1\n    POST: 1\n    EXEC: 1\n    ALLOW_LOGS: 1\n";
  const policy = `${dir}/policy.yaml`;
  await Deno.writeTextFile(
    policy,
    `profiles:
  - name: a
    match: { listener: "unix:${dir}/a.sock" }
${switches}    CONTAINER_LABELS: team=a-${id}
    SCRUB_ENVS: 1
  - name: b
    match: { listener: "unix:${dir}/b.sock" }
${switches}    CONTAINER_NAMES: sp-scope-b-*
  - name: owner
    match: { listener: "unix:${dir}/c.sock" }
${switches}    NETWORKS: 1
    VOLUMES: 1
    OWNER: c-${id}
  - name: healer
    match: { listener: "unix:${dir}/d.sock" }
    rules:
      - SystemPing
      - SystemPingHead
      - SystemVersion
      - ContainerList
      - allow: ContainerRestart
        target: { labels: { autoheal: "true" } }
`,
  );
  const proxy = await startProxyProcess({
    SOCKET_PATH: engineSocket(),
    POLICY_FILE: policy,
    LISTEN: ["a", "b", "c", "d"].map((name) => `unix:${dir}/${name}.sock`).join(","),
  }, { noWait: true });
  await proxy.waitForLine(/listening on/);
  const a = dockerCli(`unix://${dir}/a.sock`);
  const b = dockerCli(`unix://${dir}/b.sock`);
  const c = dockerCli(`unix://${dir}/c.sock`);
  const d = dockerCli(`unix://${dir}/d.sock`);
  const names = async (docker: typeof a, ...args: string[]) =>
    (await docker.ok(["ps", ...args, "--format", "{{.Names}}"])).stdout.split("\n").filter(Boolean);
  try {
    await t.step("ps, ps -a and ps --filter list only the client's containers", async () => {
      assert.deepEqual(await names(a), [mine]);
      assert.deepEqual(await names(a, "-a"), [mine]);
      assert.deepEqual(await names(a, "-a", "--filter", `name=sp-scope`), [mine]);
      assert.deepEqual(await names(a, "-a", "--filter", `name=${theirs}`), []);
      assert.deepEqual(await names(b, "-a"), [theirs]);
      assert.deepEqual(await names(b, "--filter", "status=running"), [theirs]);
    });
    await t.step("inspect by name and by ID prefix, with the environment scrubbed", async () => {
      const full = (await engineOk("inspect", "--format", "{{.Id}}", mine)).trim();
      const { stdout } = await a.ok([
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        full.slice(0, 10),
      ]);
      const env = JSON.parse(stdout) as string[];
      assert.ok(env.includes("API_KEY=<scrubbed by socket-proxy>"), stdout);
      assert.ok(!stdout.includes("hunter2"));
      assert.equal(
        (await a.ok(["inspect", "--format", "{{.Name}}", mine])).stdout.trim(),
        `/${mine}`,
      );
      const theirId = (await engineOk("inspect", "--format", "{{.Id}}", theirs)).trim();
      for (const name of [theirs, theirId.slice(0, 12)]) {
        const hidden = await a(["container", "inspect", name]);
        assert.notEqual(hidden.code, 0);
        assert.match(
          hidden.stderr,
          new RegExp(`No such (container|object): ${name}`),
          hidden.stderr,
        );
      }
    });
    await t.step(
      "logs, exec, stop, kill and rm of another's container: no such container",
      async () => {
        for (
          const args of [["logs", theirs], ["exec", theirs, "true"], ["stop", theirs], [
            "kill",
            theirs,
          ], ["rm", theirs]]
        ) {
          const result = await a(args);
          assert.notEqual(result.code, 0, args.join(" "));
          assert.match(result.stderr, new RegExp(`No such container: ${theirs}`), args.join(" "));
        }
        assert.match(
          (await engineOk("inspect", "--format", "{{.State.Running}}", theirs)).trim(),
          /true/,
        );
      },
    );
    await t.step("its own container answers logs and exec", async () => {
      assert.equal((await a.ok(["exec", mine, "echo", "in"])).stdout, "in\n");
      await a.ok(["logs", mine]);
    });
    await t.step("events show only the client's containers", async () => {
      await engineOk("kill", "--signal", "HUP", mine);
      await engineOk("kill", "--signal", "HUP", theirs);
      const until = Math.floor(Date.now() / 1000) + 1;
      const { stdout } = await a.ok([
        "events",
        "--since",
        String(since),
        "--until",
        String(until),
        "--format",
        "{{.Type}} {{.Actor.Attributes.name}}",
      ]);
      const lines = stdout.split("\n").filter(Boolean);
      assert.ok(lines.some((line) => line === `container ${mine}`), stdout);
      assert.ok(lines.every((line) => line === `container ${mine}`), stdout);
    });
    await t.step("an OWNER client's run, network and volume carry its label", async () => {
      await c.ok(["run", "-d", "--network", "none", "--name", owned, image, "sleep", "600"]);
      await c.ok(["network", "create", `net-${id}`]);
      await c.ok(["volume", "create", `vol-${id}`]);
      const label = `{{index .Labels "${OWNER_LABEL}"}}`;
      assert.equal(
        (await engineOk("inspect", "--format", `{{index .Config.Labels "${OWNER_LABEL}"}}`, owned))
          .trim(),
        `c-${id}`,
      );
      assert.equal(
        (await engineOk("network", "inspect", "--format", label, `net-${id}`)).trim(),
        `c-${id}`,
      );
      assert.equal(
        (await engineOk("volume", "inspect", "--format", label, `vol-${id}`)).trim(),
        `c-${id}`,
      );
      assert.deepEqual(await names(c, "-a"), [owned]);
      assert.ok(
        (await c.ok(["network", "ls", "--format", "{{.Name}}"])).stdout.split("\n").includes(
          `net-${id}`,
        ),
      );
      assert.deepEqual(
        (await c.ok(["volume", "ls", "--format", "{{.Name}}"])).stdout.split("\n").filter(Boolean),
        [`vol-${id}`],
      );
    });
    await t.step(
      "an OWNER client cannot touch objects without its label, nor claim another's",
      async () => {
        assert.match(
          (await c(["rm", "-f", mine])).stderr,
          new RegExp(`No such container: ${mine}`),
        );
        await engineOk("network", "create", `other-${id}`);
        await engineOk("volume", "create", `other-${id}`);
        assert.match((await c(["network", "rm", `other-${id}`])).stderr, /not found/);
        assert.match((await c(["volume", "rm", `other-${id}`])).stderr, /no such volume/);
        const claimed = await c([
          "run",
          "-d",
          "--network",
          "none",
          "-l",
          `${OWNER_LABEL}=someone`,
          image,
          "true",
        ]);
        assert.match(claimed.stderr, /another owner/);
        await c.ok(["rm", "-f", owned]);
        await c.ok(["network", "rm", `net-${id}`]);
        await c.ok(["volume", "rm", `vol-${id}`]);
      },
    );
    await t.step("a rule on target labels restarts only labelled containers", async () => {
      await d.ok(["restart", "-t", "0", healed]);
      const refused = await d(["restart", "-t", "0", mine]);
      assert.match(
        refused.stderr,
        /ContainerRestart\) is allowed for profile "healer" only on containers with labels autoheal=true/,
      );
    });
  } finally {
    await proxy.stop();
    await engine("rm", "-f", mine, theirs, owned, healed);
    await engine("network", "rm", `net-${id}`, `other-${id}`);
    await engine("volume", "rm", `vol-${id}`, `other-${id}`);
  }
});
