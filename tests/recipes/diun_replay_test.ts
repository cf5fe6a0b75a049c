/** diun through its recipes (examples/diun/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { diun, diunSwarm } from "./diun.ts";

Deno.test("diun: each recipe serves its calls and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(diun, "policy", "diun/policy.yaml"));
  await t.step("socket-proxy.env", () => replayRecipe(diun, "env", "diun/socket-proxy.env"));
  await t.step(
    "policy.swarm.yaml",
    () => replayRecipe(diunSwarm, "policy", "diun/policy.swarm.yaml"),
  );
  await t.step(
    "socket-proxy.swarm.env",
    () => replayRecipe(diunSwarm, "env", "diun/socket-proxy.swarm.env"),
  );
});
