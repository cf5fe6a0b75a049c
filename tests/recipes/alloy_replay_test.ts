/**
 * Grafana Alloy through its recipes (examples/alloy/), against the real engine, with the
 * proxy's idle and header timeouts at 1 s: the followed log stream outlives them.
 */
import { alloy, SHORT_TIMEOUTS } from "./alloy.ts";
import { replayRecipeWith } from "./replay_extra_a.ts";

Deno.test("Grafana Alloy: each recipe serves its calls, never cuts a log stream, and refuses the rest", async (t) => {
  await t.step(
    "policy.yaml",
    () => replayRecipeWith(alloy, "policy", "alloy/policy.yaml", SHORT_TIMEOUTS),
  );
  await t.step(
    "socket-proxy.env",
    () => replayRecipeWith(alloy, "env", "alloy/socket-proxy.env", SHORT_TIMEOUTS),
  );
});
