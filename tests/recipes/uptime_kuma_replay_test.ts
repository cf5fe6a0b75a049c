/** Uptime Kuma through its recipes (examples/uptime-kuma/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { uptimeKuma } from "./uptime_kuma.ts";

Deno.test("Uptime Kuma: each recipe serves its calls and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(uptimeKuma, "policy", "uptime-kuma/policy.yaml"));
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(uptimeKuma, "env", "uptime-kuma/socket-proxy.env"),
  );
});
