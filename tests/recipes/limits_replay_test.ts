/**
 * What the recipes' apps need of the per-client limits: each app's calls
 * (its env recipe) replayed through a proxy with limits far below the
 * defaults — 2 finite requests at the engine, 2 open streams — must pass
 * without a single 429. The defaults (64 and 256) leave a wide margin.
 */
import assert from "node:assert/strict";
import { autoheal } from "./autoheal.ts";
import { diun } from "./diun.ts";
import { dozzle } from "./dozzle.ts";
import { homepage } from "./homepage.ts";
import { portainer } from "./portainer.ts";
import { traefik } from "./traefik.ts";
import { uptimeKuma } from "./uptime_kuma.ts";
import { watchtower } from "./watchtower.ts";
import { parseEnvFile, type Replay, replayThrough, substitute } from "./replay.ts";
import { engineSocket, startProxyProcess } from "../helpers/proxy_process.ts";

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;
const TIGHT = { MAX_CLIENT_REQUESTS: "2", MAX_CLIENT_STREAMS: "2" };

const RECIPES: [Replay, string][] = [
  [autoheal, "autoheal/socket-proxy.env"],
  [diun, "diun/socket-proxy.env"],
  [dozzle, "dozzle/socket-proxy.env"],
  [homepage, "homepage/socket-proxy.env"],
  [portainer, "portainer/socket-proxy.env"],
  [traefik, "traefik/socket-proxy.env"],
  [uptimeKuma, "uptime-kuma/socket-proxy.env"],
  [watchtower, "watchtower/socket-proxy.env"],
];

Deno.test("every recipe's app works with limits far below the defaults", async (t) => {
  for (const [replay, file] of RECIPES) {
    await t.step(replay.app, async () => {
      const substitutions = (await replay.substitutions?.()) ?? {};
      const text = substitute(await Deno.readTextFile(EXAMPLES + file), substitutions);
      let lines: string[] = [];
      await replayThrough(replay, "env", async () => {
        const process = await startProxyProcess({
          ...parseEnvFile(text),
          ...TIGHT,
          SOCKET_PATH: engineSocket(),
          LISTEN: "127.0.0.1:0",
        });
        lines = process.lines;
        return {
          process,
          endpoint: { transport: "tcp", port: process.port },
          async stop() {
            assert.equal((await process.stop()).code, 0, process.lines.join("\n"));
          },
        };
      });
      const limited = lines.filter((line) => / 429 /.test(line) || /status=429/.test(line));
      assert.deepEqual(limited, []);
      assert.ok(lines.some((line) => /allowed/.test(line)), "the replay went through the proxy");
    });
  }
});
