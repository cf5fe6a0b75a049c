/** Traefik's docker provider through its recipes (examples/traefik/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { traefik } from "./traefik.ts";

Deno.test("Traefik (docker provider): each recipe serves its calls and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(traefik, "policy", "traefik/policy.yaml"));
  await t.step("socket-proxy.env", () => replayRecipe(traefik, "env", "traefik/socket-proxy.env"));
});
