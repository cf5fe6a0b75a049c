/** docker-autoheal through its recipes (examples/autoheal/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { autoheal } from "./autoheal.ts";

Deno.test("docker-autoheal: each recipe serves its calls and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(autoheal, "policy", "autoheal/policy.yaml"));
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(autoheal, "env", "autoheal/socket-proxy.env"),
  );
});
