/**
 * The proxy's own container, when it runs in one (`PROTECT_SELF`): the hints
 * it can see from inside (`container_hints.ts`), each asked of the engine
 * until one is a container the engine knows. Outside a container there are
 * no hints, or none the engine knows: `null`.
 */
import { type ContainerFiles, containerHints } from "./container_hints.ts";
import { engineJson } from "./engine_client.ts";
import type { UpstreamPool } from "./upstream_pool.ts";

/** The proxy's container as the engine names it. */
export interface OwnContainer {
  readonly id: string;
  /** Without the leading `/`. */
  readonly name: string;
}

/**
 * Asks the engine about each hint; the first container it knows is the
 * proxy's own (a short ID must be the start of the full one the engine
 * reports, so a hostname that is also another container's name is not taken
 * for it). Throws when the engine cannot be asked.
 */
export async function findOwnContainer(
  pool: UpstreamPool,
  files: ContainerFiles,
): Promise<OwnContainer | null> {
  for (const hint of containerHints(files)) {
    const answer = await engineJson<{ Id?: unknown; Name?: unknown }>(
      pool,
      `/containers/${hint}/json`,
    );
    if (answer === null || typeof answer.Id !== "string" || !answer.Id.startsWith(hint)) continue;
    const name = typeof answer.Name === "string" ? answer.Name.replace(/^\//, "") : answer.Id;
    return { id: answer.Id, name };
  }
  return null;
}
