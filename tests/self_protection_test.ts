/**
 * PROTECT_SELF against the real engine: the proxy runs in a container of the
 * private dockerd (an image assembled from local parts, as in
 * `container_test.ts`), serves a unix socket in a bind-mounted directory, and
 * must refuse to stop, kill, pause, remove, rename, update or exec into its
 * own container, however it is named, while other containers stay allowed; a
 * policy file's profile with `PROTECT_SELF: 0` may.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../lib/config/config.ts";
import { runFlags } from "../lib/server/permissions.ts";
import { engineSocket, podmanSocket, testImage } from "./helpers/proxy_process.ts";
import { RawClient, type RawResponse } from "./helpers/raw_client.ts";
import { buildProxyImage } from "./helpers/proxy_image.ts";
import { run } from "../scripts/private_engine.ts";

const TAG = crypto.randomUUID().slice(0, 8);
const IMAGE = `sp-self:${TAG}`;
const SOCKET_DIR = "/run/sp";
const POLICY_DIR = "/etc/socket-proxy";

const docker = (...args: string[]) => run("docker", ["-H", `unix://${engineSocket()}`, ...args]);
/** Podman's Docker-compatible API, through the same CLI. */
const podman = (...args: string[]) => run("docker", ["-H", `unix://${podmanSocket()}`, ...args]);

/** The Dockerfile's final stage on a root filesystem assembled here, running `deno run`. */
async function buildImage(): Promise<void> {
  const { config } = parseConfig({
    LISTEN: `unix:${SOCKET_DIR}/proxy.sock`,
    SOCKET_PATH: "/var/run/docker.sock",
    POLICY_FILE: `${POLICY_DIR}/policy.yaml`,
  });
  await buildProxyImage(IMAGE, runFlags(config), false);
}

/** Polls the container's log until `pattern` shows (or the container exits: then fails). */
async function waitForLog(name: string, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 60_000;
  let log = "";
  while (Date.now() < deadline) {
    log = await run("sh", ["-c", `docker -H unix://${engineSocket()} logs ${name} 2>&1`]);
    if (pattern.test(log)) return;
    const running = (await docker("inspect", "--format", "{{.State.Running}}", name)).trim();
    if (running !== "true") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} never logged ${pattern}:\n${log}`);
}

interface Proxy {
  name: string;
  id: string;
  socket: string;
  request(method: string, path: string, body?: string): Promise<RawResponse>;
}

async function startProxy(name: string, env: string[], policy?: string): Promise<Proxy> {
  const dir = await Deno.makeTempDir({ prefix: "sp-self-" });
  const policyDir = await Deno.makeTempDir({ prefix: "sp-self-policy-" });
  if (policy !== undefined) await Deno.writeTextFile(`${policyDir}/policy.yaml`, policy);
  const id = (await docker(
    "run",
    "-d",
    "--name",
    name,
    "--network",
    "none",
    "-v",
    `${engineSocket()}:/var/run/docker.sock`,
    "-v",
    `${dir}:${SOCKET_DIR}`,
    ...(policy === undefined ? [] : ["-v", `${policyDir}:${POLICY_DIR}:ro`]),
    "-e",
    `LISTEN=unix:${SOCKET_DIR}/proxy.sock`,
    ...(policy === undefined ? [] : ["-e", `POLICY_FILE=${POLICY_DIR}/policy.yaml`]),
    ...env.flatMap((pair) => ["-e", pair]),
    IMAGE,
  )).trim();
  await waitForLog(name, /Protecting the proxy's own container/);
  const socket = `${dir}/proxy.sock`;
  return {
    name,
    id,
    socket,
    async request(method, path, body) {
      const client = await RawClient.connectUnix(socket);
      try {
        await client.write(
          `${method} ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n` +
            (body === undefined
              ? "\r\n"
              : `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
        );
        return (await client.readResponse())!;
      } finally {
        client.close();
      }
    },
  };
}

function assertRefused(response: RawResponse, verb: string, name: string): void {
  assert.equal(response.status, 403, response.text);
  assert.match(
    JSON.parse(response.text).message,
    new RegExp(
      `^Forbidden by socket-proxy: \\S+ \\S+ \\(\\w+\\) would ${verb} the proxy's own container ` +
        `${name} \\(PROTECT_SELF=1: a policy file profile with PROTECT_SELF: 0 may\\)$`,
    ),
  );
}

Deno.test("a proxy in a container refuses to stop, kill, pause, remove, rename, update or exec into its own container", async (t) => {
  await buildImage();
  const names: string[] = [];
  const name = `sp-self-${TAG}`;
  const other = `sp-self-other-${TAG}`;
  try {
    names.push(other);
    await docker("run", "-d", "--name", other, "--network", "none", testImage(), "sleep", "600");
    names.push(name);
    const proxy = await startProxy(name, [
      "CONTAINERS=1",
      "POST=1",
      "EXEC=1",
      "ALLOW_STOP=1",
      "ALLOW_RESTARTS=1",
      "ALLOW_PAUSE=1",
      "ALLOW_UNPAUSE=1",
    ]);
    const short = proxy.id.slice(0, 7);
    const refusals: [string, string, string, string | undefined][] = [
      ["stop", "POST", `/containers/${name}/stop`, undefined],
      ["stop", "POST", `/v1.41/containers/${proxy.id}/stop?t=0`, undefined],
      ["restart", "POST", `/containers/${short}/restart`, undefined],
      ["kill", "POST", `/containers/${short}/kill`, undefined],
      ["pause", "POST", `/containers/${name}/pause`, undefined],
      ["remove", "DELETE", `/containers/${name}?force=1`, undefined],
      ["rename", "POST", `/containers/${name}/rename?name=gone`, undefined],
      ["update", "POST", `/containers/${name}/update`, '{"Memory":0}'],
      ["exec into", "POST", `/containers/${name}/exec`, '{"Cmd":["true"]}'],
    ];
    for (const [verb, method, path, body] of refusals) {
      await t.step(`${method} ${path} is refused`, async () => {
        assertRefused(await proxy.request(method, path, body), verb, name);
      });
    }
    await t.step("the proxy's container still runs, with its name", async () => {
      assert.equal(
        (await docker("inspect", "--format", "{{.State.Running}} {{.Name}}", proxy.id)).trim(),
        `true /${name}`,
      );
    });
    await t.step("another container may be paused, unpaused and stopped", async () => {
      assert.equal((await proxy.request("POST", `/containers/${other}/pause`)).status, 204);
      assert.equal((await proxy.request("POST", `/containers/${other}/unpause`)).status, 204);
      assert.equal((await proxy.request("POST", `/containers/${other}/stop?t=0`)).status, 204);
    });
    await t.step("its own container may still be inspected", async () => {
      const response = await proxy.request("GET", `/containers/${short}/json`);
      assert.equal(response.status, 200);
      assert.equal(JSON.parse(response.text).Id, proxy.id);
    });

    const permitted = `sp-self-permitted-${TAG}`;
    names.push(permitted);
    const operator = await startProxy(
      permitted,
      [],
      [
        "version: 1",
        "profiles:",
        "  - name: operator",
        "    rules: [ContainerInspect, ContainerPause, ContainerUnpause]",
        "    PROTECT_SELF: 0",
        "",
      ].join("\n"),
    );
    await t.step("a profile with PROTECT_SELF: 0 may pause the proxy's own container", async () => {
      // The proxy is paused: its answer may never come. Pause through the engine is what
      // the proxy forwarded; unpause directly.
      const client = await RawClient.connectUnix(operator.socket);
      try {
        await client.write(
          `POST /containers/${permitted}/pause HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`,
        );
        const deadline = Date.now() + 30_000;
        let status = "";
        while (Date.now() < deadline) {
          status = (await docker("inspect", "--format", "{{.State.Status}}", operator.id)).trim();
          if (status === "paused") break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(status, "paused");
        await docker("unpause", operator.id);
        assert.equal((await client.readResponse())?.status, 204);
      } finally {
        client.close();
      }
    });
  } finally {
    if (names.length > 0) await docker("rm", "-f", ...names).catch(() => {});
    await docker("rmi", "-f", IMAGE).catch(() => {});
  }
});

Deno.test("a proxy in a Podman container refuses to stop its own container, by the Docker and the libpod API", async (t) => {
  await buildImage();
  const name = `sp-self-podman-${TAG}`;
  const dir = await Deno.makeTempDir({ prefix: "sp-self-podman-" });
  try {
    await run("sh", [
      "-c",
      `docker -H unix://${engineSocket()} save ${IMAGE} | ` +
      `docker -H unix://${podmanSocket()} load -q`,
    ]);
    const id = (await podman(
      "run",
      "-d",
      "--name",
      name,
      "--network",
      "none",
      // Podman's default open-file and process limits are above what this machine allows.
      "--ulimit",
      "nofile=1024:1024",
      "--ulimit",
      "nproc=1024:1024",
      "-v",
      `${podmanSocket()}:/var/run/docker.sock`,
      "-v",
      `${dir}:${SOCKET_DIR}`,
      "-e",
      `LISTEN=unix:${SOCKET_DIR}/proxy.sock`,
      "-e",
      "CONTAINERS=1",
      "-e",
      "POST=1",
      "-e",
      "ALLOW_STOP=1",
      "-e",
      "LIBPOD_CONTAINERS=1",
      IMAGE,
    )).trim();
    const deadline = Date.now() + 60_000;
    let log = "";
    while (Date.now() < deadline && !/Protecting the proxy's own container/.test(log)) {
      log = await run("sh", ["-c", `docker -H unix://${podmanSocket()} logs ${name} 2>&1`]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(log, /Protecting the proxy's own container/);
    for (
      const path of [
        `/containers/${name}/stop`,
        `/libpod/containers/${id.slice(0, 12)}/stop`,
        `/v4.0.0/libpod/containers/${id}/stop`,
      ]
    ) {
      await t.step(`POST ${path} is refused`, async () => {
        const client = await RawClient.connectUnix(`${dir}/proxy.sock`);
        try {
          await client.write(`POST ${path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n`);
          assertRefused((await client.readResponse())!, "stop", name);
        } finally {
          client.close();
        }
      });
    }
  } finally {
    await podman("rm", "-f", name).catch(() => {});
    await podman("rmi", "-f", IMAGE).catch(() => {});
    await docker("rmi", "-f", IMAGE).catch(() => {});
  }
});
