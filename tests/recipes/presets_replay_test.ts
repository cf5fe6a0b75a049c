/**
 * Every preset, as `PRESET=<name>` alone configures the proxy, serves its
 * app's replayed calls against the real engine and refuses the rest, as the
 * recipe's policy file does (the same replay, its "policy" variant).
 *
 * A recipe's substitutions (a path the fixtures can use instead of the
 * recipe's) are given as settings in the environment, which win over the
 * preset's: the way a user adapts a preset.
 */
import assert from "node:assert/strict";
import { PRESETS } from "../../lib/policy/preset_table.ts";
import { engineSocket, startProxyProcess } from "../helpers/proxy_process.ts";
import { acmeCompanion } from "./acme_companion.ts";
import { alloy } from "./alloy.ts";
import { beszelAgent } from "./beszel_agent.ts";
import { caddyDockerProxy, caddyDockerProxySwarm } from "./caddy_docker_proxy.ts";
import { crowdsec } from "./crowdsec.ts";
import { dockerVolumeBackup } from "./docker_volume_backup.ts";
import { gitlabRunner } from "./gitlab_runner.ts";
import { glance } from "./glance.ts";
import { homarr } from "./homarr.ts";
import { netdata } from "./netdata.ts";
import { nginxProxy } from "./nginx_proxy.ts";
import { ofelia } from "./ofelia.ts";
import { promtail } from "./promtail.ts";
import { sablier } from "./sablier.ts";
import { wud } from "./wud.ts";
import { autoheal } from "./autoheal.ts";
import { diun, diunSwarm } from "./diun.ts";
import { dozzle } from "./dozzle.ts";
import { homepage, homepageSwarm } from "./homepage.ts";
import { portainer } from "./portainer.ts";
import { type Replay, replayThrough } from "./replay.ts";
import { traefik } from "./traefik.ts";
import { traefikSwarm } from "./traefik_swarm.ts";
import { uptimeKuma } from "./uptime_kuma.ts";
import { watchtower } from "./watchtower.ts";

/** Each preset's replay. A new recipe's preset needs its row here. */
const REPLAYS: Record<string, Replay> = {
  "acme-companion": acmeCompanion,
  alloy,
  "beszel-agent": beszelAgent,
  "caddy-docker-proxy": caddyDockerProxy,
  "caddy-docker-proxy-swarm": caddyDockerProxySwarm,
  crowdsec,
  "docker-volume-backup": dockerVolumeBackup,
  "gitlab-runner": gitlabRunner,
  glance,
  homarr,
  netdata,
  "nginx-proxy": nginxProxy,
  ofelia,
  promtail,
  sablier,
  wud,
  autoheal,
  diun,
  "diun-swarm": diunSwarm,
  dozzle,
  homepage,
  "homepage-swarm": homepageSwarm,
  portainer,
  traefik,
  "traefik-swarm": traefikSwarm,
  "uptime-kuma": uptimeKuma,
  watchtower,
};

/** The preset's settings that hold a substituted text, substituted, as environment values. */
function substitutedSettings(
  settings: Readonly<Record<string, unknown>>,
  substitutions: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings)) {
    let text = [value].flat().map(String).join(",");
    const before = text;
    for (const [from, to] of Object.entries(substitutions)) text = text.replaceAll(from, to);
    if (text !== before) env[name] = text;
  }
  return env;
}

Deno.test("every preset has a replay here", () => {
  assert.deepEqual(
    PRESETS.map((preset) => preset.name).filter((name) => !(name in REPLAYS)),
    [],
    "add the recipe's replay to REPLAYS in tests/recipes/presets_replay_test.ts",
  );
});

Deno.test("PRESET=<name> serves each app's calls and refuses the rest, like its recipe", async (t) => {
  for (const preset of PRESETS) {
    const replay = REPLAYS[preset.name];
    if (replay === undefined) continue; // the test above fails for it
    await t.step(`PRESET=${preset.name}`, async () => {
      const substitutions = (await replay.substitutions?.()) ?? {};
      const env = substitutedSettings(preset.settings, substitutions);
      assert.equal(
        Object.keys(env).length > 0,
        Object.keys(substitutions).length > 0,
        "every substitution reaches a setting",
      );
      await replayThrough(replay, "policy", async () => {
        const process = await startProxyProcess({
          ...env,
          PRESET: preset.name,
          SOCKET_PATH: engineSocket(),
          LISTEN: "127.0.0.1:0",
        });
        return {
          process,
          endpoint: { transport: "tcp", port: process.port },
          async stop() {
            const status = await process.stop();
            assert.equal(status.code, 0, process.lines.join("\n"));
          },
        };
      });
    });
  }
});
