/** Ofelia through its recipes (examples/ofelia/), against the real engine. */
import { ofelia, ofeliaCommands } from "./ofelia.ts";
import { replayRecipe, replayThrough, startPolicyRecipe } from "./replay.ts";

Deno.test("Ofelia: each recipe serves a job-exec and a job-run and refuses the rest", async (t) => {
  await t.step("policy.yaml", () => replayRecipe(ofelia, "policy", "ofelia/policy.yaml"));
  await t.step("socket-proxy.env", () => replayRecipe(ofelia, "env", "ofelia/socket-proxy.env"));
  await t.step(
    "policy.yaml with its body rule on exec",
    () =>
      replayThrough(
        ofeliaCommands,
        "policy",
        () =>
          startPolicyRecipe("ofelia/policy.yaml", {
            substitutions: { "# body: { Cmd": "body: { Cmd" },
          }),
      ),
  );
});
