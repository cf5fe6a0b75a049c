/**
 * `PROTECT_SELF`: the operations that would stop, pause, remove, rename,
 * change or recreate the proxy's own container, or run a process in it, and
 * which path parameter names the container. Pure.
 */

/** The operations guarded; each names the container in its `name` path parameter. */
const PROTECTED: ReadonlySet<string> = new Set([
  "ContainerStop",
  "ContainerRestart",
  "ContainerKill",
  "ContainerPause",
  "ContainerDelete",
  "ContainerRename",
  "ContainerUpdate",
  "ContainerExec",
  "LibpodContainerStop",
  "LibpodContainerRestart",
  "LibpodContainerKill",
  "LibpodContainerPause",
  "LibpodContainerDelete",
  "LibpodContainerRename",
  "LibpodContainerUpdate",
  "LibpodContainerExec",
  "LibpodContainerCheckpoint",
]);

/** What the refused request would do, for the message. */
const VERBS: Readonly<Record<string, string>> = {
  Stop: "stop",
  Restart: "restart",
  Kill: "kill",
  Pause: "pause",
  Delete: "remove",
  Rename: "rename",
  Update: "update",
  Exec: "exec into",
  Checkpoint: "checkpoint",
};

/** The container a request would act on, when its operation is one `PROTECT_SELF` guards. */
export function protectedTarget(
  operation: string | null,
  params: Readonly<Record<string, string>>,
): string | null {
  if (operation === null || !PROTECTED.has(operation)) return null;
  return params.name ?? null;
}

/** The reason a profile's client is refused, naming the setting and what would allow it. */
export function selfProtectionReason(operation: string, own: { name: string }): string {
  const action = operation.replace(/^(Libpod)?Container/, "");
  return `would ${VERBS[action] ?? action.toLowerCase()} the proxy's own container ` +
    `${own.name} (PROTECT_SELF=1: a policy file profile with PROTECT_SELF: 0 may)`;
}
