/** Traefik (swarm provider) through its recipes (examples/traefik-swarm/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { traefikSwarm } from "./traefik_swarm.ts";

Deno.test("Traefik (swarm provider): each recipe serves its calls and refuses the rest", async (t) => {
  await t.step(
    "policy.yaml",
    () => replayRecipe(traefikSwarm, "policy", "traefik-swarm/policy.yaml"),
  );
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(traefikSwarm, "env", "traefik-swarm/socket-proxy.env"),
  );
});
