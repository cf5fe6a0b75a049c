import assert from "node:assert/strict";
import { protectedTarget, selfProtectionReason } from "../../../lib/policy/self_protection.ts";

Deno.test("PROTECT_SELF guards what would stop, change or enter a container", async (t) => {
  const cases: [string, string | null, string | null][] = [
    ["stop", "ContainerStop", "proxy"],
    ["restart", "ContainerRestart", "proxy"],
    ["kill", "ContainerKill", "proxy"],
    ["pause", "ContainerPause", "proxy"],
    ["remove", "ContainerDelete", "proxy"],
    ["rename", "ContainerRename", "proxy"],
    ["update", "ContainerUpdate", "proxy"],
    ["exec", "ContainerExec", "proxy"],
    ["libpod stop", "LibpodContainerStop", "proxy"],
    ["libpod restart", "LibpodContainerRestart", "proxy"],
    ["libpod kill", "LibpodContainerKill", "proxy"],
    ["libpod pause", "LibpodContainerPause", "proxy"],
    ["libpod remove", "LibpodContainerDelete", "proxy"],
    ["libpod rename", "LibpodContainerRename", "proxy"],
    ["libpod update", "LibpodContainerUpdate", "proxy"],
    ["libpod exec", "LibpodContainerExec", "proxy"],
    ["libpod checkpoint", "LibpodContainerCheckpoint", "proxy"],
    ["inspect is not guarded", "ContainerInspect", null],
    ["start is not guarded", "ContainerStart", null],
    ["unpause is not guarded", "ContainerUnpause", null],
    ["no route", null, null],
  ];
  for (const [name, operation, target] of cases) {
    await t.step(name, () => assert.equal(protectedTarget(operation, { name: "proxy" }), target));
  }
  await t.step("a guarded route without a name names nothing", () => {
    assert.equal(protectedTarget("ContainerStop", {}), null);
  });
});

Deno.test("a refusal says what the request would do to which container, and what would allow it", async (t) => {
  const own = { name: "socket-proxy" };
  const cases: [string, string][] = [
    ["ContainerStop", "stop"],
    ["ContainerRestart", "restart"],
    ["ContainerKill", "kill"],
    ["ContainerPause", "pause"],
    ["ContainerDelete", "remove"],
    ["ContainerRename", "rename"],
    ["ContainerUpdate", "update"],
    ["ContainerExec", "exec into"],
    ["LibpodContainerExec", "exec into"],
    ["LibpodContainerCheckpoint", "checkpoint"],
    ["ContainerFreeze", "freeze"],
  ];
  for (const [operation, verb] of cases) {
    await t.step(operation, () => {
      assert.equal(
        selfProtectionReason(operation, own),
        `would ${verb} the proxy's own container socket-proxy (PROTECT_SELF=1: a policy file ` +
          "profile with PROTECT_SELF: 0 may)",
      );
    });
  }
});
