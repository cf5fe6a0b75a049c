/** Dozzle through its recipes (examples/dozzle/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { dozzle } from "./dozzle.ts";

Deno.test("Dozzle: each recipe serves its calls and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(dozzle, "policy", "dozzle/policy.yaml"));
  await t.step("socket-proxy.env", () => replayRecipe(dozzle, "env", "dozzle/socket-proxy.env"));
});
