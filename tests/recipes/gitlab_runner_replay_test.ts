/** GitLab Runner's docker executor through its recipes (examples/gitlab-runner/), against the real engine. */
import { gitlabRunner } from "./gitlab_runner.ts";
import { replayRecipe } from "./replay.ts";

Deno.test("GitLab Runner: each recipe serves a job and keeps it from the host and other owners", async (t) => {
  await t.step(
    "policy.yaml",
    () => replayRecipe(gitlabRunner, "policy", "gitlab-runner/policy.yaml"),
  );
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(gitlabRunner, "env", "gitlab-runner/socket-proxy.env"),
  );
});
