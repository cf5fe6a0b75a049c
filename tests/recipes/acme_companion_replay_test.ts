/** acme-companion through its recipes (examples/acme-companion/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { acmeCompanion } from "./acme_companion.ts";

Deno.test("acme-companion: each recipe serves its calls and refuses the rest", async (t) => {
  await t.step(
    "policy.yaml",
    () => replayRecipe(acmeCompanion, "policy", "acme-companion/policy.yaml"),
  );
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(acmeCompanion, "env", "acme-companion/socket-proxy.env"),
  );
});
