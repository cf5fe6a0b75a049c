/** Other real clients through the proxy: docker-py, and Podman's libpod API. */
import assert from "node:assert/strict";
import {
  engineSocket,
  podmanSocket,
  startProxyProcess,
  testImage,
} from "./helpers/proxy_process.ts";

const PYTHON = "/usr/bin/python3"; // Debian's, which has python3-docker
const SCRIPT = new URL("./fixtures/docker_py_check.py", import.meta.url).pathname;

Deno.test("docker-py runs a container, reads its logs and execs in it through the proxy", async () => {
  const proxy = await startProxyProcess({
    SOCKET_PATH: engineSocket(),
    CONTAINERS: "1",
    POST: "1",
    EXEC: "1",
    ALLOW_LOGS: "1",
  });
  try {
    const output = await new Deno.Command(PYTHON, {
      args: [SCRIPT, `tcp://127.0.0.1:${proxy.port}`, testImage()],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    const result = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.equal(result.ping, true);
    assert.equal(result.exit, 0);
    assert.equal(result.logs, "hello from docker-py\n");
    assert.equal(result.exec_code, 4);
    assert.equal(result.exec_stdout, "exec-out\n");
    assert.equal(result.exec_stderr, "exec-err\n");
    assert.equal(result.names.length, 1);
  } finally {
    await proxy.stop();
  }
});

async function libpodContainers(env: Record<string, string>): Promise<Response> {
  const proxy = await startProxyProcess({ SOCKET_PATH: podmanSocket(), ...env });
  try {
    const response = await fetch(`http://127.0.0.1:${proxy.port}/v4.0.0/libpod/containers/json`);
    await response.body?.cancel();
    return response;
  } finally {
    await proxy.stop();
  }
}

Deno.test("a libpod request passes to podman with LIBPOD_CONTAINERS=1", async () => {
  const proxy = await startProxyProcess({ SOCKET_PATH: podmanSocket(), LIBPOD_CONTAINERS: "1" });
  try {
    const response = await fetch(`http://127.0.0.1:${proxy.port}/v4.0.0/libpod/containers/json`);
    assert.equal(response.status, 200);
    assert.ok(Array.isArray(await response.json()));
    // Podman's own headers come through.
    const ping = await fetch(`http://127.0.0.1:${proxy.port}/v4.0.0/libpod/_ping`);
    assert.equal(ping.status, 200);
    assert.match(ping.headers.get("libpod-api-version") ?? "", /^\d+\.\d+/);
    await ping.body?.cancel();
  } finally {
    await proxy.stop();
  }
});

Deno.test("a libpod request is refused with LIBPOD_CONTAINERS=0, even with CONTAINERS=1", async () => {
  const response = await libpodContainers({ CONTAINERS: "1" });
  assert.equal(response.status, 403);
});
