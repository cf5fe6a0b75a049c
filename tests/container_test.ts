/**
 * The container path. The real image cannot be built here (its Dockerfile
 * fetches Deno's image and runtime), so this assembles one from local parts
 * that mirrors its final stage: FROM scratch, the Deno binary and the shared
 * libraries `ldd` names, the application, and the Dockerfile's own ENV,
 * EXPOSE and HEALTHCHECK lines, with `deno run` in place of the compiled
 * binary. Then it runs under the real engine with --read-only, --network host
 * and the socket mounted, as root and as a non-root user.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../lib/config/config.ts";
import { runFlags } from "../lib/server/permissions.ts";
import { dockerCli, sha256 } from "./helpers/docker_cli.ts";
import { engineSocket, testImage } from "./helpers/proxy_process.ts";
import { buildProxyImage } from "./helpers/proxy_image.ts";
import { freePort, run } from "../scripts/private_engine.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const IMAGE = `sp-mirror:${crypto.randomUUID().slice(0, 8)}`;

/** The image as the Dockerfile builds it, its HEALTHCHECK kept, listening on `port`. */
async function buildMirror(port: number): Promise<void> {
  const { config } = parseConfig({
    LISTEN: `127.0.0.1:${port}`,
    SOCKET_PATH: "/var/run/docker.sock",
  });
  await buildProxyImage(IMAGE, runFlags(config), true);
}

async function waitHealthy(
  docker: (args: string[]) => Promise<string>,
  name: string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  let status = "";
  while (Date.now() < deadline) {
    status = (await docker(["inspect", "--format", "{{.State.Health.Status}}", name])).trim();
    if (status === "healthy") return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} is ${status}, not healthy: ${await docker(["logs", name])}`);
}

Deno.test("the scratch image runs read-only, healthy, in the TZ zone, and stops cleanly", async (t) => {
  const port = freePort();
  await buildMirror(port);
  const engine = (args: string[]) => run("docker", ["-H", `unix://${engineSocket()}`, ...args]);
  const socket = engineSocket();
  const start = async (name: string, extra: string[]) => {
    await engine([
      "run",
      "-d",
      "--name",
      name,
      "--read-only",
      "--network",
      "host",
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges",
      "--health-interval",
      "1s",
      "--health-start-period",
      "0s",
      "-v",
      `${socket}:/var/run/docker.sock:ro`,
      "-e",
      `LISTEN=127.0.0.1:${port}`,
      "-e",
      "TZ=Europe/Berlin",
      "-e",
      "CONTAINERS=1",
      "-e",
      "POST=1",
      "-e",
      "EXEC=1",
      "-e",
      "IMAGES=1",
      "-e",
      "ALLOW_LOGS=1",
      ...extra,
      IMAGE,
    ]);
    await waitHealthy(engine, name);
  };
  const stop = async (name: string) => {
    const started = Date.now();
    await engine(["stop", "-t", "10", name]);
    const elapsed = Date.now() - started;
    const code = (await engine(["inspect", "--format", "{{.State.ExitCode}}", name])).trim();
    await engine(["rm", name]);
    return { elapsed, code };
  };
  const docker = dockerCli(`tcp://127.0.0.1:${port}`);
  try {
    const root = `sp-proxy-root-${port}`;
    await t.step("as root (the default), with every capability dropped", async () => {
      await start(root, []);
      const { stdout } = await docker.ok([
        "run",
        "--rm",
        "--network",
        "none",
        testImage(),
        "echo",
        "in a container",
      ]);
      assert.equal(stdout, "in a container\n");
      const target = `sp-target-${port}`;
      await docker.sleeper(target, testImage());
      const input = new Uint8Array(1024 * 1024).map((_, i) => i * 7);
      const exec = await docker.ok(["exec", "-i", target, "sha256sum"], { stdin: input });
      assert.equal(exec.stdout.split(" ")[0], await sha256(input));
      await docker.ok(["rm", "-f", target]);
      const denied = await docker(["volume", "ls"]);
      assert.match(
        denied.stderr,
        /Forbidden by socket-proxy: GET \/v1\.\d+\/volumes \(VolumeList\) needs VOLUMES=1/,
      );
    });
    await t.step("logs in the TZ zone without tzdata", async () => {
      const logs = await engine(["logs", root]);
      const offset = new Intl.DateTimeFormat("en-US", {
        timeZone: "Europe/Berlin",
        timeZoneName: "longOffset",
      }).formatToParts(new Date()).find((part) => part.type === "timeZoneName")!.value.replace(
        "GMT",
        "",
      );
      assert.match(
        logs,
        new RegExp(
          `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+${offset.replace("+", "\\+")} notice socket-proxy`,
          "m",
        ),
      );
    });
    await t.step("docker stop ends it within the grace period with exit code 0", async () => {
      const { elapsed, code } = await stop(root);
      assert.equal(code, "0");
      assert.ok(elapsed < 10_000, `took ${elapsed}ms`);
    });
    await t.step(
      "linuxserver's compose example works with only the image name changed",
      async () => {
        const readme = await Deno.readTextFile(`${ROOT}README.md`);
        const at = readme.indexOf("linuxserver's example, with only the image name changed:");
        const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at))![1];
        const seed = await Deno.readTextFile(`${ROOT}tests/fixtures/linuxserver_compose.yml`);
        assert.equal(
          block,
          seed.replace(
            "image: lscr.io/linuxserver/socket-proxy:latest",
            "image: socket-proxy:latest",
          ),
          "the README's example is linuxserver's, image name aside",
        );
        const dir = await Deno.makeTempDir({ prefix: "sp-compose-" });
        await Deno.writeTextFile(
          `${dir}/docker-compose.yml`,
          block.replace("socket-proxy:latest", IMAGE),
        );
        // What this machine needs, in a separate file: the private engine's socket,
        // host networking on a free port, and a quick healthcheck.
        await Deno.writeTextFile(
          `${dir}/docker-compose.override.yml`,
          [
            "services:",
            "  socket-proxy:",
            "    network_mode: host",
            "    environment:",
            `      - LISTEN=127.0.0.1:${port}`,
            "    volumes:",
            `      - ${socket}:/var/run/docker.sock:ro`,
            "    healthcheck:",
            "      interval: 1s",
            "",
          ].join("\n"),
        );
        const compose = (...args: string[]) =>
          run("docker-compose", ["--project-directory", dir, "-p", `sp${port}`, ...args], {
            env: { DOCKER_HOST: `unix://${socket}` },
          });
        try {
          await compose("up", "-d");
          await waitHealthy(engine, "socket-proxy");
          const version = await docker.ok(["version", "--format", "{{.Server.APIVersion}}"]);
          assert.match(version.stdout, /^1\.\d+/);
          const ps = await docker(["ps"]);
          assert.match(
            ps.stderr,
            /Forbidden by socket-proxy: GET \/v1\.\d+\/containers\/json \(ContainerList\) needs CONTAINERS=1/,
          );
        } finally {
          await compose("down", "--timeout", "10");
          await Deno.remove(dir, { recursive: true });
        }
      },
    );
    await t.step("as a non-root user with the socket's group added", async () => {
      const gid = (await run("stat", ["-c", "%g", socket])).trim();
      const name = `sp-proxy-user-${port}`;
      await start(name, ["--user", "65534:65534", "--group-add", gid]);
      const { stdout } = await docker.ok(["ps", "--format", "{{.Names}}"]);
      assert.ok(stdout.split("\n").includes(name), stdout);
      const { code } = await stop(name);
      assert.equal(code, "0");
    });
  } finally {
    await engine(["rm", "-f", `sp-proxy-root-${port}`, `sp-proxy-user-${port}`]).catch(() => {});
    await engine(["rmi", "-f", IMAGE]).catch(() => {});
  }
});
