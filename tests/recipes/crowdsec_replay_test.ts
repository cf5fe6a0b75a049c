/** CrowdSec through its recipes (examples/crowdsec/), against the real engine. */
import { crowdsec, crowdsecSwarm } from "./crowdsec.ts";
import { replayRecipe, replayThrough, startPolicyRecipe } from "./replay.ts";

/** The profile's swarm rules, uncommented as its comment says. */
const SWARM_RULES = {
  "# - ServiceList": "- ServiceList",
  "# - ServiceInspect": "- ServiceInspect",
  "# - ServiceLogs": "- ServiceLogs",
};

Deno.test("CrowdSec: each recipe serves the docker datasource and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(crowdsec, "policy", "crowdsec/policy.yaml"));
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(crowdsec, "env", "crowdsec/socket-proxy.env"),
  );
  await t.step(
    "policy.yaml with its swarm rules",
    () =>
      replayThrough(
        crowdsecSwarm,
        "policy",
        () => startPolicyRecipe("crowdsec/policy.yaml", { substitutions: SWARM_RULES }),
      ),
  );
});
