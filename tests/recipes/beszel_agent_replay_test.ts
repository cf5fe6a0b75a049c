/** The Beszel agent through its recipes (examples/beszel-agent/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { beszelAgent } from "./beszel_agent.ts";

Deno.test("Beszel agent: each recipe serves its calls and refuses the rest", async (t) => {
  await t.step(
    "policy.yaml",
    () => replayRecipe(beszelAgent, "policy", "beszel-agent/policy.yaml"),
  );
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(beszelAgent, "env", "beszel-agent/socket-proxy.env"),
  );
});
