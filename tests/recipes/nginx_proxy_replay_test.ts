/** nginx-proxy (docker-gen inside) through its recipes (examples/nginx-proxy/), against the real engine. */
import { replayRecipe } from "./replay.ts";
import { nginxProxy } from "./nginx_proxy.ts";

Deno.test("nginx-proxy: each recipe serves docker-gen's calls and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(nginxProxy, "policy", "nginx-proxy/policy.yaml"));
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(nginxProxy, "env", "nginx-proxy/socket-proxy.env"),
  );
});
