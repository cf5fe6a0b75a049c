/** Netdata through its recipes (examples/netdata/), against the real engine. */
import { netdata } from "./netdata.ts";
import { replayRecipe } from "./replay.ts";

Deno.test("Netdata: each recipe serves names and the docker collector and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(netdata, "policy", "netdata/policy.yaml"));
  await t.step("socket-proxy.env", () => replayRecipe(netdata, "env", "netdata/socket-proxy.env"));
});
