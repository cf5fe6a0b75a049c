/**
 * What every connection of the proxy shares (the policy in force, the engine
 * pool, limits, logging, metrics), and the phases a connection goes through.
 * A module of its own so that the pipeline (`proxy_connection.ts`) and its
 * stages (`forwarder.ts`) both import it and not each other.
 */
import type { OwnContainer } from "../engine/own_container.ts";
import type { ClientLimiter } from "../limits/client_limiter.ts";
import type { ClientDirectory } from "../engine/client_directory.ts";
import type { Limits } from "../config/config.ts";
import type { Logger } from "../log/log.ts";
import type { ProxyMetrics } from "../metrics/proxy_metrics.ts";
import type { ActivePolicy } from "./route_cache.ts";
import type { ScopeResolver } from "../engine/scope_resolver.ts";
import type { UpstreamPool } from "../engine/upstream_pool.ts";
import type { EngineStatus } from "../engine/engine_watchdog.ts";

export interface ProxyContext {
  /** The policy in force; a reload replaces it, and each connection follows on its next request. */
  active: ActivePolicy;
  /** Resolves client addresses to containers, for profiles that match by client container. */
  clients: ClientDirectory | null;
  /** Looks up the objects requests name, for scoping and rules on target labels. */
  scopes(): ScopeResolver;
  limits: Limits;
  /** The per-client limits and the engine's fair share; `null`: none (tests). */
  limiter: ClientLimiter | null;
  logger: Logger;
  /** Counts what the access log records, when metrics are served; `null` otherwise. */
  metrics: ProxyMetrics | null;
  pool: UpstreamPool;
  /** The engine watchdog's verdict; `null` without one (then the engine is asked on demand). */
  engine?: EngineStatus | null;
  /** `API_VERSION_FLOOR` (`[1, 44]`), or `null`/absent for none. */
  versionFloor?: readonly [number, number] | null;
  /** The proxy's own container once learned (`PROTECT_SELF`); `null`: none, or not yet. */
  self: OwnContainer | null;
  /** Set once shutdown has begun: finish the request in flight, then close. */
  shuttingDown: boolean;
}

export type Phase = "idle" | "head" | "request" | "stream" | "tunnel" | "closed";
