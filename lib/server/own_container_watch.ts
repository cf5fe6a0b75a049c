/**
 * Learns the proxy's own container for `PROTECT_SELF`, in the background at
 * start: asked of the engine once it answers (again every few seconds while
 * it does not), then kept for the life of the process.
 */
import { findOwnContainer, type OwnContainer } from "../engine/own_container.ts";
import type { UpstreamPool } from "../engine/upstream_pool.ts";
import type { Logger } from "../log/log.ts";
import { after } from "../timer.ts";

const RETRY_MS = 5000;

/** Starts learning; `found` is called once with the container. Returns a function that stops it. */
export function watchOwnContainer(
  pool: UpstreamPool,
  logger: Logger,
  found: (own: OwnContainer) => Promise<void>,
): () => void {
  let stopped = false;
  let cancel = () => {};
  const attempt = async () => {
    if (stopped) return;
    let own: OwnContainer | null;
    try {
      own = await findOwnContainer(pool);
    } catch (error) {
      logger.debug("Cannot ask the engine for the proxy's own container yet", {
        error: (error as Error).message,
      });
      if (!stopped) cancel = after(RETRY_MS, attempt);
      return;
    }
    if (own === null || stopped) return;
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
