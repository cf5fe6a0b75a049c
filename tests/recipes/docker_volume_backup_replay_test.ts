/** docker-volume-backup through its recipes (examples/docker-volume-backup/), against the real engine. */
import {
  dockerVolumeBackup,
  dockerVolumeBackupCommands,
  dockerVolumeBackupSwarm,
} from "./docker_volume_backup.ts";
import { replayRecipe, replayThrough, startPolicyRecipe } from "./replay.ts";

/** The profile's swarm rules, uncommented as its comment says. */
const SWARM_RULES = {
  "# - ServiceList": "- ServiceList",
  "# - ServiceInspect": "- ServiceInspect",
  "# - ServiceUpdate": "- ServiceUpdate",
  "# - TaskList": "- TaskList",
  "# - NodeList": "- NodeList",
};

Deno.test("docker-volume-backup: each recipe serves a backup and refuses the rest", async (t) => {
  await t.step(
    "policy.yaml",
    () => replayRecipe(dockerVolumeBackup, "policy", "docker-volume-backup/policy.yaml"),
  );
  await t.step(
    "socket-proxy.env",
    () => replayRecipe(dockerVolumeBackup, "env", "docker-volume-backup/socket-proxy.env"),
  );
  await t.step(
    "policy.yaml with its Cmd rule",
    () =>
      replayThrough(
        dockerVolumeBackupCommands,
        "policy",
        () =>
          startPolicyRecipe("docker-volume-backup/policy.yaml", {
            substitutions: { "# Cmd: [[": "Cmd: [[" },
          }),
      ),
  );
  await t.step(
    "policy.yaml with its swarm rules",
    () =>
      replayThrough(
        dockerVolumeBackupSwarm,
        "policy",
        () => startPolicyRecipe("docker-volume-backup/policy.yaml", { substitutions: SWARM_RULES }),
      ),
  );
});
