/** Sablier through its recipes (examples/sablier/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { sablier } from "./sablier.ts";

Deno.test("Sablier: each recipe serves a session and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(sablier, "policy", "sablier/policy.yaml"));
  await t.step("socket-proxy.env", () => replayRecipe(sablier, "env", "sablier/socket-proxy.env"));
});
