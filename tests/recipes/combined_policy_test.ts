/**
 * examples/policy.yaml: one proxy serving every app, each on its own unix
 * socket and so with its own profile. Every app's replay runs through its own
 * socket of the same proxy.
 */
import assert from "node:assert/strict";
import { startProxyProcess } from "../helpers/proxy_process.ts";
import { autoheal } from "./autoheal.ts";
import { diun } from "./diun.ts";
import { dozzle } from "./dozzle.ts";
import { homepage } from "./homepage.ts";
import { portainer } from "./portainer.ts";
import { Api, assertRefused, engineSocket, EXAMPLES, type Replay, substitute } from "./replay.ts";
import { traefik } from "./traefik.ts";
import { traefikSwarm } from "./traefik_swarm.ts";
import { uptimeKuma } from "./uptime_kuma.ts";
import { watchtower } from "./watchtower.ts";

/** Each profile of the combined file, by the directory of its socket. */
const APPS: Record<string, Replay> = {
  "traefik": traefik,
  "traefik-swarm": traefikSwarm,
  "homepage": homepage,
  "dozzle": dozzle,
  "watchtower": watchtower,
  "uptime-kuma": uptimeKuma,
  "autoheal": autoheal,
  "diun": diun,
  "portainer": portainer,
};

Deno.test("examples/policy.yaml: each app, on its own socket, gets its own profile", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "sp-recipes-" });
  const substitutions: Record<string, string> = { "/run/socket-proxy/": `${dir}/` };
  for (const replay of Object.values(APPS)) {
    Object.assign(substitutions, await replay.substitutions?.());
  }
  const text = substitute(await Deno.readTextFile(`${EXAMPLES}policy.yaml`), substitutions);
  await Deno.writeTextFile(`${dir}/policy.yaml`, text);
  // Every listener the file's comment names (the apps by preset too: their replays run by name
  // in presets_replay_test.ts), so that every profile's listener exists.
  const sockets = text.match(/LISTEN=(\S+)/)![1].split(",").map((address) => address.slice(5));
  for (const socket of sockets) await Deno.mkdir(socket.slice(0, socket.lastIndexOf("/")));
  const proxy = await startProxyProcess({
    SOCKET_PATH: engineSocket(),
    POLICY_FILE: `${dir}/policy.yaml`,
    LISTEN: sockets.map((path) => `unix:${path}`).join(","),
  }, { noWait: true });
  try {
    await proxy.waitForLine(/listening on/);
    for (const [app, replay] of Object.entries(APPS)) {
      await t.step(
        `${app}: ${replay.app}`,
        () => replay.run({ transport: "unix", path: `${dir}/${app}/docker.sock` }, "policy"),
      );
    }
    await t.step("a socket gives its own profile only", async () => {
      // Homepage's socket does not serve Portainer's calls, nor Watchtower's.
      const homepageSocket = new Api(
        { transport: "unix", path: `${dir}/homepage/docker.sock` },
        "localhost",
      );
      assertRefused(await homepageSocket.post("/containers/create", { Image: "x" }), /"homepage"/);
      assertRefused(await homepageSocket.get("/v1.41/info"), /"homepage"/);
    });
  } finally {
    const status = await proxy.stop();
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.code, 0, proxy.lines.join("\n"));
  }
});
