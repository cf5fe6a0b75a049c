/** caddy-docker-proxy through its recipes (examples/caddy-docker-proxy/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { caddyDockerProxy, caddyDockerProxySwarm } from "./caddy_docker_proxy.ts";

const DIR = "caddy-docker-proxy";

Deno.test("caddy-docker-proxy: each recipe serves its calls and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(caddyDockerProxy, "policy", `${DIR}/policy.yaml`));
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(caddyDockerProxy, "env", `${DIR}/socket-proxy.env`),
  );
  await t.step(
    "policy.swarm.yaml",
    () => replayRecipe(caddyDockerProxySwarm, "policy", `${DIR}/policy.swarm.yaml`),
  );
  await t.step(
    "socket-proxy.swarm.env",
    () => replayRecipe(caddyDockerProxySwarm, "env", `${DIR}/socket-proxy.swarm.env`),
  );
});
