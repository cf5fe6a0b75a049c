/** Portainer CE through its recipes (examples/portainer/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { portainer } from "./portainer.ts";

Deno.test("Portainer CE: each recipe serves its calls and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(portainer, "policy", "portainer/policy.yaml"));
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(portainer, "env", "portainer/socket-proxy.env"),
  );
});
