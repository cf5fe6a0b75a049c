/** Homarr through its recipes (examples/homarr/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { homarr } from "./homarr.ts";

Deno.test("Homarr: each recipe serves its calls and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(homarr, "policy", "homarr/policy.yaml"));
  await t.step("socket-proxy.env", () => replayRecipe(homarr, "env", "homarr/socket-proxy.env"));
});
