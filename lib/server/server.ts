/**
 * Listeners, the connection cap, timeouts and graceful shutdown around
 * `ClientConnection`; the metrics listener when `METRICS_LISTEN` asks for one.
 * What only some configurations use (metrics, and what `optional_modules.ts`
 * lists) is loaded before the listeners serve, and only when configured.
 *
 * `lib/server/`: listeners, permissions, the metrics endpoint, reload, the healthcheck client and
 * the start-up summary. The top layer: it may import any other.
 */
import { ClientLimiter } from "../limits/client_limiter.ts";
import { watchOwnContainer } from "./own_container_watch.ts";
import type { Config } from "../config/config.ts";
import { formatListenAddress, type ListenAddress } from "../config/listen_address.ts";
import type { Logger } from "../log/log.ts";
import type { ProxyMetrics } from "../metrics/proxy_metrics.ts";
import type { MetricsServer } from "./metrics_server.ts";
import { openListener, readTlsFiles } from "./open_listener.ts";
import { ClientConnection, engineReadiness } from "../proxy/proxy_connection.ts";
import type { ProxyContext } from "../proxy/proxy_context.ts";
import { errorResponse } from "../http/responses.ts";
import type { EngineEvents } from "../engine/engine_events.ts";
import {
  loadOptionalModules,
  loadScopeResolver,
  loadVersionFloor,
  optional,
} from "../proxy/optional_modules.ts";
import type { ScopeResolver } from "../engine/scope_resolver.ts";
import { identifiesClients, type Policy } from "../policy/profile.ts";
import { ActivePolicy } from "../proxy/route_cache.ts";
import { routeMatcher } from "../routes/engine_routes.ts";
import { after, sleep } from "../timer.ts";
import { lookupTimeout, UpstreamPool } from "../engine/upstream_pool.ts";
import { EngineWatchdog, type WatchdogOptions } from "../engine/engine_watchdog.ts";
import { VERSION } from "../version.ts";

export interface ProxyServer {
  /** The policy in force. */
  readonly policy: Policy;
  /**
   * Puts `policy` in force, once what it needs is loaded: requests decided from
   * then on get it, those in flight keep theirs.
   */
  setPolicy(policy: Policy): Promise<void>;
  /** The addresses actually bound (ports resolved when 0 was asked for). */
  readonly addresses: ListenAddress[];
  readonly pool: UpstreamPool;
  /** Client connections open now. */
  readonly connectionCount: number;
  /** The metrics, when `METRICS_LISTEN` is set; `null` otherwise. */
  readonly metrics: ProxyMetrics | null;
  /** Where the metrics are served (the port resolved when 0 was asked for). */
  readonly metricsAddress: ListenAddress | null;
  /** The engine watchdog, unless started without one. */
  readonly engine: EngineWatchdog | null;
  /**
   * Stops accepting, closes idle connections, streams and tunnels, lets
   * requests in flight finish for up to the grace period, then closes the rest.
   */
  shutdown(): Promise<void>;
  /** Closes everything at once; resolves when every connection has finished. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  /** The policy from a policy file; the environment's otherwise. */
  policy?: Policy;
  /** The engine watchdog's timing, or `false` for none (tests against a recording engine). */
  watchdog?: WatchdogOptions | false;
}

const SWEEP_INTERVAL_MS = 250;

function boundAddress(listener: Deno.Listener, asked: ListenAddress): ListenAddress {
  const addr = listener.addr;
  if (addr.transport === "tcp") {
    return {
      transport: "tcp",
      hostname: asked.transport === "tcp" ? asked.hostname : addr.hostname,
      port: addr.port,
    };
  }
  return asked;
}

/** Binds every listen address and starts serving. */
export async function startProxy(config: Config, options: StartOptions): Promise<ProxyServer> {
  const { logger } = options;
  const pool = new UpstreamPool(config.socketPath, {
    lookupTimeoutMs: lookupTimeout(config.limits.engineTimeoutMs),
  });
  const policy = options.policy ?? config.policy;
  await loadOptionalModules(policy);
  if (config.versionFloor !== null) await loadVersionFloor();
  // Metrics (and their modules) only when they are served.
  const metrics = config.metricsListen === null
    ? null
    : new (await import("../metrics/proxy_metrics.ts")).ProxyMetrics({
      version: VERSION,
      runtime: Deno.version.deno,
      startedAt: performance.timeOrigin,
      residentMemory: () => Deno.memoryUsage().rss,
    });
  // The engine's events, followed only once something caches what the engine reports.
  let events: EngineEvents | null = null;
  const engineEvents = () => events ??= new optional.EngineEvents(pool, logger);
  let resolver: ScopeResolver | null = null;
  const watchdog = options.watchdog === false
    ? null
    : new EngineWatchdog(pool, logger, options.watchdog);
  const ctx: ProxyContext = {
    active: new ActivePolicy(policy, routeMatcher()),
    clients: null,
    scopes: () => resolver ??= new optional.ScopeResolver(pool, engineEvents()),
    limits: config.limits,
    limiter: new ClientLimiter(),
    self: null,
    logger,
    metrics,
    pool,
    engine: watchdog,
    versionFloor: config.versionFloor,
    shuttingDown: false,
  };
  const connections = new Set<ClientConnection>();
  const tasks = new Set<Promise<void>>();
  const listeners: Deno.Listener[] = [];
  const addresses: ListenAddress[] = [];
  let drained: (() => void) | null = null;
  let metricsServer: MetricsServer | null = null;

  try {
    const tls = config.tls === null ? null : await readTlsFiles(config.tls);
    const listenOn = (address: ListenAddress) => openListener(address, tls);
    for (const address of config.listen) {
      let listener: Deno.Listener;
      try {
        listener = await listenOn(address);
      } catch (error) {
        // The default dual-stack listener falls back to IPv4 on hosts without IPv6.
        const isDefaultV6 = !config.listenGiven && address.transport === "tcp" &&
          address.hostname === "::";
        if (!isDefaultV6 || error instanceof Deno.errors.AddrInUse) throw error;
        logger.warning(
          `Cannot listen on ${formatListenAddress(address)} (${(error as Error).message}): ` +
            "falling back to 0.0.0.0, set DISABLE_IPV6=1 to silence this",
        );
        listener = await listenOn({ ...address, hostname: "0.0.0.0" });
        address.hostname = "0.0.0.0";
      }
      listeners.push(listener);
      addresses.push(boundAddress(listener, address));
    }
    if (metrics !== null) {
      const { startMetricsServer } = await import("./metrics_server.ts");
      metricsServer = startMetricsServer(
        config.metricsListen!,
        () => metrics.render(),
        logger,
        () => engineReadiness(ctx),
      );
    }
  } catch (error) {
    for (const listener of listeners) listener.close();
    throw error;
  }

  const refuse = (conn: Deno.Conn) => {
    const bytes = errorResponse(
      503,
      `Too many connections: the proxy serves at most ${config.limits.maxConnections} at once`,
      { close: true },
    );
    conn.write(bytes).catch(() => {}).finally(() => {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    });
  };

  // Profiles name listeners as `LISTEN` writes them.
  const labels = config.listen.map(formatListenAddress);
  const accept = async (listener: Deno.Listener, label: string) => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (ctx.shuttingDown || error instanceof Deno.errors.BadResource) return;
        // Out of file descriptors and the like: wait a moment rather than spin.
        logger.error("Accept failed", { error: (error as Error).message });
        await sleep(100);
        continue;
      }
      if (connections.size >= config.limits.maxConnections) {
        logger.warning("Connection refused: too many connections", {
          limit: config.limits.maxConnections,
        });
        metrics?.connectionRefused();
        refuse(conn);
        continue;
      }
      metrics?.connectionAccepted();
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      const client = new ClientConnection(conn, ctx, label);
      connections.add(client);
      const task = client.serve().finally(() => {
        connections.delete(client);
        tasks.delete(task);
        if (drained !== null && connections.size === 0) drained();
      });
      tasks.add(task);
    }
  };
  const acceptors = listeners.map((listener, i) => accept(listener, labels[i]));
  const useClients = (next: Policy) => {
    if (identifiesClients(next) && ctx.clients === null) {
      ctx.clients = new optional.ClientDirectory(pool, logger, engineEvents());
      ctx.clients.start();
    }
  };
  useClients(policy);
  // PROTECT_SELF: the proxy's own container, learned in the background.
  const stopWatchingSelf = watchOwnContainer(
    pool,
    logger,
    async (own) => {
      await loadScopeResolver();
      ctx.self = own;
    },
    () => ctx.active.policy.profiles.some((profile) => profile.protectSelf !== false),
  );
  metrics?.watchServer(() => {
    let streams = 0;
    let tunnels = 0;
    for (const client of connections) {
      if (client.phase === "stream") streams++;
      else if (client.phase === "tunnel") tunnels++;
    }
    return {
      connections: connections.size,
      streams,
      tunnels,
      engineOpen: pool.open,
      engineIdle: pool.idleCount,
    };
  });

  if (watchdog !== null) {
    metrics?.watchEngine(() => watchdog.up);
    watchdog.start();
  }

  // Idle, header and engine timeouts, and idle engine connections, are swept a
  // few times a second rather than timed one by one.
  let sweeping = true;
  const sweep = () => {
    if (!sweeping) return;
    const now = Date.now();
    for (const client of connections) client.expire(now);
    pool.sweep(now);
    after(SWEEP_INTERVAL_MS, sweep);
  };
  after(SWEEP_INTERVAL_MS, sweep);

  const closeListeners = () => {
    for (const listener of listeners.splice(0)) {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    }
    for (const address of addresses) {
      if (address.transport === "unix") {
        try {
          Deno.removeSync(address.path);
        } catch {
          // Gone already.
        }
      }
    }
  };

  return {
    addresses,
    pool,
    metrics,
    metricsAddress: metricsServer?.address ?? null,
    engine: watchdog,
    get policy() {
      return ctx.active.policy;
    },
    async setPolicy(next: Policy) {
      await loadOptionalModules(next);
      useClients(next);
      ctx.active = new ActivePolicy(next, ctx.active.matcher);
    },
    get connectionCount() {
      return connections.size;
    },
    async shutdown() {
      ctx.shuttingDown = true;
      stopWatchingSelf();
      closeListeners();
      pool.discardIdle();
      const allClosed = new Promise<void>((resolve) => {
        drained = resolve;
        if (connections.size === 0) resolve();
      });
      for (const client of connections) client.shutdown();
      await Promise.race([allClosed, sleep(config.limits.shutdownGraceMs)]);
      for (const client of connections) client.close();
      await allClosed;
      sweeping = false;
      await events?.stop();
      await watchdog?.stop();
      await metricsServer?.close();
      pool.discardIdle();
    },
    async close() {
      ctx.shuttingDown = true;
      stopWatchingSelf();
      closeListeners();
      for (const client of connections) client.close();
      sweeping = false;
      pool.discardIdle();
      await Promise.all([
        ...acceptors,
        ...tasks,
        events?.stop(),
        watchdog?.stop(),
        metricsServer?.close(),
      ]);
      pool.discardIdle();
    },
  };
}
