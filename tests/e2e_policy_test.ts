/**
 * Policy files with the real `docker` CLI and a real engine: the audit ->
 * learn -> enforce round trip, and routes whose parameters span segments.
 */
import assert from "node:assert/strict";
import { dockerCli } from "./helpers/docker_cli.ts";
import { engineSocket, startProxyProcess, testImage } from "./helpers/proxy_process.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function tempFile(name: string, text: string): Promise<string> {
  const path = `${await Deno.makeTempDir({ prefix: "sp-policy-" })}/${name}`;
  await Deno.writeTextFile(path, text);
  return path;
}

/** Runs `socket-proxy learn` on `log`; resolves with the policy it writes. */
async function learn(log: string): Promise<string> {
  const out = `${await Deno.makeTempDir({ prefix: "sp-learn-" })}/policy.yaml`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      `--allow-write=${out}`,
      "--allow-env",
      MAIN,
      "learn",
      "--policy-out",
      out,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(log));
  await writer.close();
  const { code, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return await Deno.readTextFile(out);
}

Deno.test("audit, learn, enforce: the learned policy passes the scenario and refuses the rest", async () => {
  const image = testImage();
  const name = `sp-learn-${crypto.randomUUID().slice(0, 8)}`;
  /** What the app does: the same calls on both runs. */
  const scenario = async (docker: ReturnType<typeof dockerCli>) => {
    await docker.ok(["version"]);
    await docker.ok(["ps", "-a", "--filter", `name=${name}`]);
    await docker.ok(["run", "-d", "--network", "none", "--name", name, image, "sleep", "60"]);
    const exec = await docker.ok(["exec", name, "echo", "inside"]);
    assert.equal(exec.stdout, "inside\n");
    await docker.ok(["inspect", "--format", "{{.State.Running}}", name]);
    await docker.ok(["kill", "--signal", "KILL", name]);
    await docker.ok(["rm", name]);
  };

  // 1. Audit: nothing is allowed, everything is forwarded and logged.
  const audit = await tempFile("audit.yaml", "mode: audit\nprofiles:\n  - name: everyone\n");
  const auditing = await startProxyProcess({
    SOCKET_PATH: engineSocket(),
    POLICY_FILE: audit,
    LOG_FORMAT: "json",
  });
  try {
    await scenario(dockerCli(`tcp://127.0.0.1:${auditing.port}`));
  } finally {
    await auditing.stop();
  }
  const log = auditing.lines.filter((line) => line.includes('"msg":"request"')).join("\n");
  assert.match(log, /"decision":"would-deny"/);

  // 2. Learn.
  const learned = await learn(log);
  assert.match(learned, /^# Learned by socket-proxy learn/);
  assert.match(learned, /- ContainerCreate|allow: ContainerCreate/);
  assert.match(learned, /allow: ContainerKill # 1 request\n {8}query:\n {10}signal: \["KILL"\]/);

  // 3. Enforce: the same scenario passes; anything else is refused.
  const enforced = await tempFile("learned.yaml", learned);
  const enforcing = await startProxyProcess({ SOCKET_PATH: engineSocket(), POLICY_FILE: enforced });
  try {
    const docker = dockerCli(`tcp://127.0.0.1:${enforcing.port}`);
    await scenario(docker);
    const images = await docker(["images"]);
    assert.notEqual(images.code, 0);
    assert.match(
      images.stderr,
      /Forbidden by socket-proxy: GET \/v1\.\d+\/images\/json \(ImageList\) is not allowed for profile "127\.0\.0\.1": no rule allows ImageList/,
    );
    // Killing with another signal than the one seen is refused too.
    await docker.ok(["run", "-d", "--network", "none", "--name", name, image, "sleep", "60"]);
    const term = await docker(["kill", "--signal", "TERM", name]);
    assert.match(term.stderr, /signal in \["KILL"\]|signal in \[KILL\]/);
    await docker.ok(["kill", "--signal", "KILL", name]);
    await docker.ok(["rm", name]);
  } finally {
    await enforcing.stop();
    await new Deno.Command("docker", {
      args: ["-H", `unix://${engineSocket()}`, "rm", "-f", name],
      stderr: "null",
      stdout: "null",
    }).output();
  }
});

Deno.test("image names with registries, paths and tags match the engine's own routes", async () => {
  const policy = await tempFile(
    "images.yaml",
    "profiles:\n  - name: images\n    rules: [SystemPing, SystemPingHead, SystemVersion, ImageInspect, ImageTag]\n",
  );
  const proxy = await startProxyProcess({ SOCKET_PATH: engineSocket(), POLICY_FILE: policy });
  const docker = dockerCli(`tcp://127.0.0.1:${proxy.port}`);
  const reference = `ghcr.io/acme/app-${crypto.randomUUID().slice(0, 8)}:1`;
  try {
    const missing = await docker(["image", "inspect", reference]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, new RegExp(`No such image: ${reference}`), "the engine's answer");
    await docker.ok(["tag", testImage(), reference]);
    const { stdout } = await docker.ok([
      "image",
      "inspect",
      "--format",
      "{{.RepoTags}}",
      reference,
    ]);
    assert.match(stdout, new RegExp(reference));
    const removed = await docker(["rmi", reference]);
    assert.match(removed.stderr, /\(ImageDelete\) is not allowed for profile "images"/);
    await proxy.waitForLine(
      /GET \/v1\.\d+\/images\/ghcr\.io\/acme\/app-[0-9a-f]+:1\/json \(ImageInspect\) allowed 200/,
    );
  } finally {
    await proxy.stop();
    await new Deno.Command("docker", {
      args: ["-H", `unix://${engineSocket()}`, "rmi", reference],
      stderr: "null",
      stdout: "null",
    }).output();
  }
});
