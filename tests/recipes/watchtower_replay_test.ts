/** Watchtower through its recipes (examples/watchtower/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { watchtower } from "./watchtower.ts";

Deno.test("Watchtower: each recipe serves an update and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(watchtower, "policy", "watchtower/policy.yaml"));
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(watchtower, "env", "watchtower/socket-proxy.env"),
  );
});
