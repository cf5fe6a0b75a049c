/**
 * podman-remote (Debian 12's podman as a remote client, `podman --remote`)
 * through the proxy, against the Podman service of each engine pair: what a
 * user of a remote podman does first (info, images, a volume, a container
 * created, inspected and removed), and what the proxy refuses.
 */
import assert from "node:assert/strict";
import {
  engineSocket,
  podmanSocket,
  startProxyProcess,
  testImage,
} from "./helpers/proxy_process.ts";

const decoder = new TextDecoder();

async function podman(port: number, args: string[], stdin?: Uint8Array) {
  const child = new Deno.Command("podman", {
    args: ["--remote", "--url", `tcp://127.0.0.1:${port}`, ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { CONTAINERS_CONF: "/dev/null", XDG_RUNTIME_DIR: Deno.makeTempDirSync() },
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const output = await child.output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function ok(port: number, args: string[], stdin?: Uint8Array): Promise<string> {
  const result = await podman(port, args, stdin);
  assert.equal(result.code, 0, `podman ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The test image from dockerd, as `docker save` writes it. */
async function savedImage(): Promise<Uint8Array> {
  const output = await new Deno.Command("docker", {
    args: ["-H", `unix://${engineSocket()}`, "save", testImage()],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, decoder.decode(output.stderr));
  return output.stdout;
}

Deno.test("podman-remote works through the proxy for what the switches allow", async (t) => {
  const proxy = await startProxyProcess({
    SOCKET_PATH: podmanSocket(),
    LIBPOD_CONTAINERS: "1",
    LIBPOD_IMAGES: "1",
    LIBPOD_VOLUMES: "1",
    LIBPOD_PING: "1",
    LIBPOD_VERSION: "1",
    LIBPOD_INFO: "1",
    POST: "1",
    HOST_ACCESS: "0",
  });
  const name = `sp-remote-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await t.step("podman version names the service's version", async () => {
      const out = await ok(proxy.port, ["version", "--format", "{{.Server.Version}}"]);
      assert.match(out.trim(), /^[45]\.\d+\.\d+/);
    });
    await t.step("podman load and images", async () => {
      await ok(proxy.port, ["load"], await savedImage());
      const images = await ok(proxy.port, ["images", "--format", "{{.Repository}}"]);
      assert.match(images, /sp-busybox/);
    });
    await t.step("podman volume create, ls and rm", async () => {
      await ok(proxy.port, ["volume", "create", name]);
      assert.match(
        await ok(proxy.port, ["volume", "ls", "--format", "{{.Name}}"]),
        new RegExp(name),
      );
      await ok(proxy.port, ["volume", "rm", name]);
    });
    await t.step("podman create, inspect, ps -a and rm", async () => {
      await ok(proxy.port, [
        "create",
        "--name",
        name,
        "--network",
        "none",
        "--read-only",
        "--cap-drop",
        "ALL",
        testImage(),
        "true",
      ]);
      const inspected = JSON.parse(await ok(proxy.port, ["inspect", name]));
      assert.equal(inspected[0].Name, name);
      assert.match(await ok(proxy.port, ["ps", "-a", "--format", "{{.Names}}"]), new RegExp(name));
      await ok(proxy.port, ["rm", name]);
    });
    await t.step(
      "a privileged create is refused, naming the setting that would allow it",
      async () => {
        const result = await podman(proxy.port, ["create", "--privileged", testImage(), "true"]);
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, /ALLOW_PRIVILEGED/);
      },
    );
    await t.step("a bind of / is refused", async () => {
      const result = await podman(proxy.port, ["create", "-v", "/:/host", testImage(), "true"]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /ALLOW_BIND_MOUNTS/);
    });
  } finally {
    await podman(proxy.port, ["rm", "-f", name]).catch(() => {});
    await podman(proxy.port, ["volume", "rm", "-f", name]).catch(() => {});
    await proxy.stop();
  }
});
