/**
 * The real `docker` CLI through the proxy against a real engine: every
 * command the policy allows works as on the bare socket.
 */
import assert from "node:assert/strict";
import { dockerCli, readUntil, sha256 } from "./helpers/docker_cli.ts";
import { engineSocket, startProxyProcess, testImage } from "./helpers/proxy_process.ts";

const ALLOW_ALL = {
  CONTAINERS: "1",
  POST: "1",
  IMAGES: "1",
  EXEC: "1",
  INFO: "1",
  NETWORKS: "1",
  VOLUMES: "1",
  BUILD: "1",
  SYSTEM: "1",
  ALLOW_LOGS: "1",
  ALLOW_ARCHIVE: "1",
  ALLOW_TOP: "1",
  ALLOW_EXPORT: "1",
  ALLOW_CHANGES: "1",
};

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  // getRandomValues fills at most 64 KiB at a time.
  for (let offset = 0; offset < size; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65536)));
  }
  return bytes;
}

Deno.test("the docker CLI works through the proxy for everything the policy allows", async (t) => {
  const proxy = await startProxyProcess({ SOCKET_PATH: engineSocket(), ...ALLOW_ALL });
  const docker = dockerCli(`tcp://127.0.0.1:${proxy.port}`);
  const image = testImage();
  const run = (...args: string[]) => docker.ok(["run", "--network", "none", ...args]);
  const names: string[] = [];
  const name = (base: string) => {
    const unique = `sp-${base}-${crypto.randomUUID().slice(0, 8)}`;
    names.push(unique);
    return unique;
  };
  try {
    await t.step("docker version", async () => {
      const { stdout } = await docker.ok(["version", "--format", "{{.Server.APIVersion}}"]);
      assert.match(stdout.trim(), /^1\.\d+$/);
    });
    await t.step("docker info", async () => {
      const { stdout } = await docker.ok(["info", "--format", "{{.OperatingSystem}}"]);
      assert.ok(stdout.trim().length > 0);
    });
    await t.step("docker images", async () => {
      const { stdout } = await docker.ok(["images", "--format", "{{.Repository}}:{{.Tag}}"]);
      assert.ok(stdout.split("\n").includes(image), stdout);
    });
    await t.step("docker run --rm attaches to the output", async () => {
      const { stdout } = await run("--rm", image, "echo", "hello through the proxy");
      assert.equal(stdout, "hello through the proxy\n");
    });
    await t.step("docker run -i passes 10 MB of stdin intact", async () => {
      const input = randomBytes(10 * 1024 * 1024);
      const { stdout } = await docker.ok(
        ["run", "--rm", "-i", "--network", "none", image, "sha256sum"],
        { stdin: input },
      );
      assert.equal(stdout.split(" ")[0], await sha256(input));
    });
    await t.step("docker run --rm reports the exit code", async () => {
      const result = await docker([
        "run",
        "--rm",
        "--network",
        "none",
        image,
        "sh",
        "-c",
        "exit 7",
      ]);
      assert.equal(result.code, 7);
    });

    const daemon = name("daemon");
    await t.step("docker run -d, ps, logs and logs -f", async () => {
      await run("-d", "--name", daemon, image, "sh", "-c", "echo one; echo two; exec sleep 3600");
      const { stdout: ps } = await docker.ok(["ps", "--format", "{{.Names}}"]);
      assert.ok(ps.split("\n").includes(daemon), ps);
      const follow = docker.spawn(["logs", "-f", daemon]);
      assert.match(await readUntil(follow.stdout, /two/), /two/);
      follow.kill("SIGTERM");
      await follow.status;
      await follow.stderr.cancel();
      const { stdout } = await docker.ok(["logs", daemon]);
      assert.equal(stdout, "one\ntwo\n");
    });
    await t.step("docker logs -f ends when the container does", async () => {
      const short = name("short");
      await run("-d", "--name", short, image, "sh", "-c", "echo a; echo b; echo c");
      const { stdout } = await docker.ok(["logs", "-f", short]);
      assert.equal(stdout, "a\nb\nc\n");
    });
    await t.step("docker exec without -i returns output and exit code", async () => {
      const ok = await docker(["exec", daemon, "sh", "-c", "echo from exec"]);
      assert.equal(ok.code, 0);
      assert.equal(ok.stdout, "from exec\n");
      const failed = await docker(["exec", daemon, "sh", "-c", "echo err >&2; exit 3"]);
      assert.equal(failed.code, 3);
      assert.equal(failed.stderr, "err\n");
    });
    await t.step("docker exec -i passes 10 MB of stdin intact", async () => {
      const input = randomBytes(10 * 1024 * 1024);
      const { stdout } = await docker.ok(["exec", "-i", daemon, "sha256sum"], { stdin: input });
      assert.equal(stdout.split(" ")[0], await sha256(input));
    });
    await t.step("docker cp both ways", async () => {
      const dir = await Deno.makeTempDir({ prefix: "sp-cp-" });
      const payload = randomBytes(300_000);
      await Deno.writeFile(`${dir}/in.bin`, payload);
      await docker.ok(["cp", `${dir}/in.bin`, `${daemon}:/tmp/in.bin`]);
      const { stdout } = await docker.ok(["exec", daemon, "sha256sum", "/tmp/in.bin"]);
      assert.equal(stdout.split(" ")[0], await sha256(payload));
      await docker.ok(["cp", `${daemon}:/tmp/in.bin`, `${dir}/out.bin`]);
      assert.equal(await sha256(await Deno.readFile(`${dir}/out.bin`)), await sha256(payload));
      await Deno.remove(dir, { recursive: true });
    });
    await t.step("docker top and stats --no-stream", async () => {
      const { stdout: top } = await docker.ok(["top", daemon]);
      assert.match(top, /sleep 3600/);
      const { stdout: stats } = await docker.ok([
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}}",
        daemon,
      ]);
      assert.equal(stats.trim(), daemon);
    });
    await t.step("docker pause, unpause and restart", async () => {
      await docker.ok(["pause", daemon]);
      const paused = await docker.ok(["inspect", "--format", "{{.State.Status}}", daemon]);
      assert.equal(paused.stdout.trim(), "paused");
      await docker.ok(["unpause", daemon]);
      await docker.ok(["restart", "-t", "0", daemon]);
      const running = await docker.ok(["inspect", "--format", "{{.State.Status}}", daemon]);
      assert.equal(running.stdout.trim(), "running");
    });
    await t.step("docker events shows a container dying, docker kill kills it", async () => {
      const since = new Date(Date.now() - 1000).toISOString();
      const events = docker.spawn([
        "events",
        "--since",
        since,
        "--filter",
        `container=${daemon}`,
        "--filter",
        "event=die",
        "--format",
        "{{.Action}} {{.Actor.Attributes.name}}",
      ]);
      await docker.ok(["kill", daemon]);
      assert.equal(await readUntil(events.stdout, /^die /), `die ${daemon}`);
      events.kill("SIGTERM");
      await events.status;
      await events.stderr.cancel();
    });
    await t.step("docker export", async () => {
      const { bytes } = await docker.ok(["export", daemon]);
      assert.ok(bytes.length > 500_000, `export is ${bytes.length} bytes`);
      // A tar archive: "ustar" at offset 257 of the first header.
      assert.equal(new TextDecoder().decode(bytes.subarray(257, 262)), "ustar");
    });
    await t.step("docker build of a FROM scratch context", async () => {
      const dir = await Deno.makeTempDir({ prefix: "sp-build-" });
      await Deno.writeTextFile(
        `${dir}/Dockerfile`,
        "FROM scratch\nCOPY hello.txt /\nLABEL sp=test\n",
      );
      await Deno.writeTextFile(`${dir}/hello.txt`, "hello\n");
      const tag = `${name("built")}:latest`;
      await docker.ok(["build", "-q", "-t", tag, dir]);
      const { stdout } = await docker.ok([
        "image",
        "inspect",
        "--format",
        "{{.Config.Labels.sp}}",
        tag,
      ]);
      assert.equal(stdout.trim(), "test");
      await docker.ok(["rmi", tag]);
      await Deno.remove(dir, { recursive: true });
    });
    await t.step("docker save and load", async () => {
      const saved = await docker.ok(["save", image]);
      assert.ok(saved.bytes.length > 500_000);
      const tag = `${name("loaded")}:latest`;
      await docker.ok(["tag", image, tag]);
      await docker.ok(["rmi", tag]);
      const { stdout } = await docker.ok(["load"], { stdin: saved.bytes });
      assert.match(stdout, /Loaded image/);
    });
    await t.step("docker network ls", async () => {
      const { stdout } = await docker.ok(["network", "ls", "--format", "{{.Name}}"]);
      assert.ok(stdout.split("\n").includes("none"), stdout);
    });
    await t.step("docker volume create and rm", async () => {
      const volume = name("vol");
      await docker.ok(["volume", "create", volume]);
      const { stdout } = await docker.ok(["volume", "ls", "--format", "{{.Name}}"]);
      assert.ok(stdout.split("\n").includes(volume));
      await docker.ok(["volume", "rm", volume]);
    });
    await t.step("HEAD /_ping answers without a body", async () => {
      const response = await fetch(`http://127.0.0.1:${proxy.port}/_ping`, { method: "HEAD" });
      assert.equal(response.status, 200);
      assert.match(response.headers.get("api-version") ?? "", /^1\.\d+$/);
      assert.equal(await response.text(), "");
    });
  } finally {
    if (names.length > 0) await docker(["rm", "-f", ...names]);
    await proxy.stop();
  }
});

Deno.test("docker ps fails with the proxy's message when CONTAINERS=0", async () => {
  const proxy = await startProxyProcess({ SOCKET_PATH: engineSocket() });
  try {
    const docker = dockerCli(`tcp://127.0.0.1:${proxy.port}`);
    const result = await docker(["ps"]);
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /Error response from daemon: Forbidden by socket-proxy: GET \/v1\.\d+\/containers\/json \(ContainerList\) needs CONTAINERS=1/,
    );
    // Denials are logged at warning with what would allow them.
    await proxy.waitForLine(
      /warning .* GET \/v1\.\d+\/containers\/json \(ContainerList\) denied 403 .*needs CONTAINERS=1/,
    );
  } finally {
    await proxy.stop();
  }
});

Deno.test("docker exec is refused without EXEC=1 even with CONTAINERS=1 and POST=1", async () => {
  const proxy = await startProxyProcess({
    SOCKET_PATH: engineSocket(),
    CONTAINERS: "1",
    POST: "1",
  });
  const docker = dockerCli(`tcp://127.0.0.1:${proxy.port}`);
  const name = `sp-noexec-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await docker.sleeper(name, testImage());
    const result = await docker(["exec", name, "true"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /needs EXEC=1/);
  } finally {
    await docker(["rm", "-f", name]);
    await proxy.stop();
  }
});
