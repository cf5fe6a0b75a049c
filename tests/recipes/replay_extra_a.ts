/**
 * What the replays of nginx-proxy, caddy-docker-proxy, Alloy, Promtail,
 * Beszel, WUD and Homarr need beyond `replay.ts`: a recipe's proxy started
 * with proxy settings added (short timeouts, to show that a followed log
 * stream outlives them).
 */
import assert from "node:assert/strict";
import { startProxyProcess } from "../helpers/proxy_process.ts";
import {
  engineSocket,
  EXAMPLES,
  parseEnvFile,
  type RecipeProxy,
  type Replay,
  replayThrough,
  type Variant,
} from "./replay.ts";

/**
 * Runs `replay` through a proxy configured by the recipe file `examples/<file>`, with the
 * proxy settings `settings` (`IDLE_TIMEOUT`, `HEADER_TIMEOUT`...) in its environment too.
 */
export async function replayRecipeWith(
  replay: Replay,
  variant: Variant,
  file: string,
  settings: Record<string, string>,
): Promise<void> {
  const text = await Deno.readTextFile(EXAMPLES + file);
  await replayThrough(replay, variant, async (): Promise<RecipeProxy> => {
    let dir: string | null = null;
    let env: Record<string, string>;
    if (variant === "policy") {
      dir = await Deno.makeTempDir({ prefix: "sp-recipe-" });
      await Deno.writeTextFile(`${dir}/policy.yaml`, text);
      env = { POLICY_FILE: `${dir}/policy.yaml` };
    } else {
      env = parseEnvFile(text);
    }
    const process = await startProxyProcess({
      ...env,
      ...settings,
      SOCKET_PATH: engineSocket(),
      LISTEN: "127.0.0.1:0",
    });
    return {
      process,
      endpoint: { transport: "tcp", port: process.port },
      async stop() {
        const status = await process.stop();
        if (dir !== null) await Deno.remove(dir, { recursive: true });
        assert.equal(status.code, 0, process.lines.join("\n"));
      },
    };
  });
}
