/** What's Up Docker through its recipes (examples/wud/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { wud } from "./wud.ts";

Deno.test("What's Up Docker: each recipe serves a watch and an update, and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(wud, "policy", "wud/policy.yaml"));
  await t.step("socket-proxy.env", () => replayRecipe(wud, "env", "wud/socket-proxy.env"));
});
