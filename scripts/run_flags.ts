/**
 * Prints the `deno run` flags the proxy needs for the configuration in the
 * environment (its least permissions and V8 settings); `deno task start` runs
 * the proxy with exactly these. On a configuration error it prints only
 * `--allow-env`, so that the proxy itself reports the error.
 */
import { parseConfig } from "../lib/config/config.ts";
import { runFlags } from "../lib/server/permissions.ts";

try {
  console.log(runFlags(parseConfig(Deno.env.toObject()).config).join(" "));
} catch {
  console.log("--allow-env");
}
