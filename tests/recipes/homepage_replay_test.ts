/** Homepage through its recipes (examples/homepage/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { homepage, homepageSwarm } from "./homepage.ts";

Deno.test("Homepage: each recipe serves its calls and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(homepage, "policy", "homepage/policy.yaml"));
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(homepage, "env", "homepage/socket-proxy.env"),
  );
  await t.step(
    "policy.swarm.yaml",
    () => replayRecipe(homepageSwarm, "policy", "homepage/policy.swarm.yaml"),
  );
  await t.step(
    "socket-proxy.swarm.env",
    () => replayRecipe(homepageSwarm, "env", "homepage/socket-proxy.swarm.env"),
  );
});
