/**
 * Learns the proxy's own container for `PROTECT_SELF`, in the background at
 * start: asked of the engine once it answers (again every few seconds while
 * it does not), then kept for the life of the process.
 */
import { type ContainerFiles, containerHints } from "../engine/container_hints.ts";
import type { OwnContainer } from "../engine/own_container.ts";
import type { UpstreamPool } from "../engine/upstream_pool.ts";
import type { Logger } from "../log/log.ts";
import { after } from "../timer.ts";

const RETRY_MS = 5000;

/** The file's text, `null` when it cannot be read. */
function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** Why `PROTECT_SELF` protects nothing in a container it cannot name, and what would let it. */
export const UNKNOWN_SELF = "PROTECT_SELF: the proxy's own container is not known to this " +
  "engine (its hostname is not a container ID, as under --network host or with --hostname, and " +
  "/proc is not readable; or it runs outside this engine's containers): nothing to protect. In a " +
  "container of this engine, leave the hostname as the engine sets it to have it protected";

/**
 * What this process can see of its container. Deno 2.9 reads `/proc` only
 * with `--allow-all` (`OWN_CONTAINER_FILES` in `permissions.ts` grants the
 * other two): the mounts and cgroup are hints only then.
 */
export function readContainerFiles(): ContainerFiles {
  return {
    mountinfo: readText("/proc/self/mountinfo") ?? "",
    cgroup: readText("/proc/self/cgroup") ?? "",
    containerenv: readText("/run/.containerenv") ?? "",
    hostname: readText("/etc/hostname") ?? "",
  };
}

/**
 * Starts learning; `found` is called once with the container. Returns a
 * function that stops it. In a container it cannot name (or one the engine
 * does not know), it says so once, when `wanted()`: some profile has
 * `PROTECT_SELF` on.
 */
export function watchOwnContainer(
  pool: UpstreamPool,
  logger: Logger,
  found: (own: OwnContainer) => Promise<void>,
  wanted: () => boolean = () => true,
  files: ContainerFiles = readContainerFiles(),
  inContainer: boolean = files.containerenv !== "" || readText("/.dockerenv") !== null,
): () => void {
  let stopped = false;
  let cancel = () => {};
  if (containerHints(files).length === 0) {
    // Outside a container there is nothing to ask, and the engine client is not even loaded.
    if (inContainer && wanted()) logger.info(UNKNOWN_SELF);
    return () => {};
  }
  const attempt = async () => {
    if (stopped) return;
    let own: OwnContainer | null;
    try {
      const { findOwnContainer } = await import("../engine/own_container.ts");
      own = await findOwnContainer(pool, files);
    } catch (error) {
      logger.debug("Cannot ask the engine for the proxy's own container yet", {
        error: (error as Error).message,
      });
      if (!stopped) cancel = after(RETRY_MS, attempt);
      return;
    }
    if (stopped) return;
    if (own === null) {
      if (wanted()) logger.info(UNKNOWN_SELF);
      return;
    }
    await found(own);
    logger.info(
      `Protecting the proxy's own container ${own.name} (${own.id.slice(0, 12)}): it cannot ` +
        "be stopped, killed, paused, removed, renamed, updated or exec'd into through the proxy " +
        "(PROTECT_SELF)",
    );
  };
  attempt();
  return () => {
    stopped = true;
    cancel();
  };
}
