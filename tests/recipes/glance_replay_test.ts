/** Glance through its recipes (examples/glance/), against the real engine. */
import { glance } from "./glance.ts";
import { replayRecipe } from "./replay.ts";

Deno.test("Glance: each recipe serves the container list and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(glance, "policy", "glance/policy.yaml"));
  await t.step("socket-proxy.env", () => replayRecipe(glance, "env", "glance/socket-proxy.env"));
});
