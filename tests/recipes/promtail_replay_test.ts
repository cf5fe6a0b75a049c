/**
 * Promtail through its recipes (examples/promtail/), against the real engine, with the
 * proxy's idle and header timeouts at 1 s: the followed log stream outlives them.
 */
import { SHORT_TIMEOUTS } from "./alloy.ts";
import { promtail } from "./promtail.ts";
import { replayRecipeWith } from "./replay_extra_a.ts";

Deno.test("Promtail: each recipe serves its calls, never cuts a log stream, and refuses the rest", async (t) => {
  await t.step(
    "policy.yaml",
    () => replayRecipeWith(promtail, "policy", "promtail/policy.yaml", SHORT_TIMEOUTS),
  );
  await t.step(
    "socket-proxy.env",
    () => replayRecipeWith(promtail, "env", "promtail/socket-proxy.env", SHORT_TIMEOUTS),
  );
});
