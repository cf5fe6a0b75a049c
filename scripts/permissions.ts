/**
 * Prints the `deno run` permission flags the proxy needs for the configuration
 * in the environment; `deno task start` runs the proxy with exactly these.
 * On a configuration error it prints only `--allow-env`, so that the proxy
 * itself reports the error.
 */
import { parseConfig } from "../lib/config.ts";
import { permissionFlags } from "../lib/permissions.ts";

try {
  console.log(permissionFlags(parseConfig(Deno.env.toObject()).config).join(" "));
} catch {
  console.log("--allow-env");
}
