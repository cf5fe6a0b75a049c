/** The version, from `deno.json` (the one place the build stamps it). */
import manifest from "../deno.json" with { type: "json" };

export const VERSION: string = manifest.version;
