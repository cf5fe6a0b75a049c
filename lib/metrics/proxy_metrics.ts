/**
 * The proxy's metrics. Requests are counted where the access log line is
 * written, so the counts and the log always agree; live figures (connections,
 * streams, tunnels, engine connections, policy reloads) are read when scraped.
 * Pure: the I/O modules report, `render()` writes the exposition.
 *
 * Every label value is bounded: decisions and engine error kinds are fixed
 * words, statuses three digits, operations names from the route table (or
 * `none`), profiles names from the policy (or `default`).
 */
import { Counter, Gauge, Histogram, Registry } from "./registry.ts";

/** What the access log says of a request: `allowed`, `denied`, `would-deny`, `rejected`, `healthcheck`. */
export type Decision = string;

/** Seconds, for the time until a request's answer began. */
export const DURATION_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

/** Live figures of the server, read at every scrape. */
export interface ServerFigures {
  connections: number;
  streams: number;
  tunnels: number;
  engineOpen: number;
  engineIdle: number;
}

/** The policy reloader's counts (`PolicyReloader.loaded`/`failed`). */
export interface ReloadCounts {
  readonly loaded: number;
  readonly failed: number;
}

export interface ProxyMetricsOptions {
  version: string;
  /** The Deno version the proxy runs on. */
  runtime: string;
  /** When the process started, in ms since the epoch. */
  startedAt: number;
  /** The resident set size in bytes, read at every scrape. */
  residentMemory?: () => number;
}

const DECISIONS = new Set(["allowed", "denied", "would-deny", "rejected", "healthcheck"]);

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly #requests = this.registry.register(
    new Counter(
      "socket_proxy_requests_total",
      "Requests answered, by decision (allowed, denied, would-deny, rejected, healthcheck), " +
        "status, profile and Engine API operation (none when the path names no route)",
      ["decision", "status", "profile", "operation"],
    ),
  );
  readonly #duration = this.registry.register(
    new Histogram(
      "socket_proxy_request_duration_seconds",
      "Seconds from a request's head to the head of its answer (streams and tunnels count " +
        "until they begin), by decision",
      DURATION_BUCKETS,
      ["decision"],
    ),
  );
  readonly #connectionsOpen = this.registry.register(
    new Gauge("socket_proxy_connections_open", "Client connections open now"),
  );
  readonly #streamsOpen = this.registry.register(
    new Gauge(
      "socket_proxy_streams_open",
      "Answers being streamed now: chunked or close-delimited bodies (events, logs -f, stats)",
    ),
  );
  readonly #tunnelsOpen = this.registry.register(
    new Gauge(
      "socket_proxy_tunnels_open",
      "Connections turned into two-way tunnels now (exec, attach)",
    ),
  );
  readonly #connections = this.registry.register(
    new Counter("socket_proxy_connections_total", "Client connections accepted"),
  );
  readonly #refused = this.registry.register(
    new Counter(
      "socket_proxy_connections_refused_total",
      "Client connections refused with 503 because MAX_CONNECTIONS were open",
    ),
  );
  readonly #engineErrors = this.registry.register(
    new Counter(
      "socket_proxy_engine_errors_total",
      "Requests answered 502 because the engine could not be reached (connect) or answered " +
        "what the proxy cannot pass on (response)",
      ["kind"],
    ),
  );
  readonly #engineTimeouts = this.registry.register(
    new Counter(
      "socket_proxy_engine_timeouts_total",
      "Requests answered 504 because the engine did not begin its answer within ENGINE_TIMEOUT, " +
        "by Engine API operation",
      ["operation"],
    ),
  );
  readonly #engineUp = this.registry.register(
    new Gauge(
      "socket_proxy_engine_up",
      "1 while the engine answers the watchdog's API call in time, 0 while it does not",
    ),
  );
  readonly #engineConnections = this.registry.register(
    new Gauge(
      "socket_proxy_engine_connections",
      "Connections to the engine's socket now, by state (busy, idle)",
      ["state"],
    ),
  );
  readonly #limited = this.registry.register(
    new Counter(
      "socket_proxy_limited_requests_total",
      "Requests answered 429 by a per-client limit, by profile and setting (RATE_LIMIT, " +
        "MAX_CLIENT_REQUESTS, MAX_CLIENT_STREAMS)",
      ["profile", "setting"],
    ),
  );
  readonly #waited = this.registry.register(
    new Counter(
      "socket_proxy_waited_requests_total",
      "Requests that waited for their client's turn at the engine (MAX_CLIENT_REQUESTS, or the " +
        "client over its fair share), by profile",
      ["profile"],
    ),
  );
  readonly #reloads = this.registry.register(
    new Counter(
      "socket_proxy_policy_reloads_total",
      "Policy file reloads, by result (ok: put in force, error: the policy in force stayed)",
      ["result"],
    ),
  );

  constructor(options: ProxyMetricsOptions) {
    this.#engineErrors.inc(["connect"], 0);
    this.#engineErrors.inc(["response"], 0);
    this.#engineConnections.set(["busy"], 0);
    this.#engineConnections.set(["idle"], 0);
    this.#reloads.set(["ok"], 0);
    this.#reloads.set(["error"], 0);
    this.registry.register(
      new Gauge("socket_proxy_build_info", "The proxy's version and Deno's, as labels", [
        "version",
        "deno",
      ]),
    ).set([options.version, options.runtime], 1);
    this.registry.register(
      new Gauge("process_start_time_seconds", "Start time of the process since the epoch"),
    ).set([], Math.floor(options.startedAt / 1000));
    const residentMemory = options.residentMemory;
    if (residentMemory !== undefined) {
      const rss = this.registry.register(
        new Gauge("process_resident_memory_bytes", "Resident memory size in bytes"),
      );
      this.registry.onCollect(() => rss.set([], residentMemory()));
    }
  }

  /** A request answered 429 by a per-client limit. */
  limited(profile: string, setting: string): void {
    this.#limited.inc([profile, setting]);
  }

  /** A request that waited for its client's turn at the engine. */
  waited(profile: string): void {
    this.#waited.inc([profile]);
  }

  /** One request, as the access log records it; `seconds` until its answer began. */
  request(
    decision: Decision,
    status: number,
    profile: string,
    operation: string | null,
    seconds: number,
  ): void {
    const kind = DECISIONS.has(decision) ? decision : "other";
    const code = status >= 100 && status <= 599 ? String(status) : "other";
    this.#requests.inc([kind, code, profile, operation ?? "none"]);
    this.#duration.observe([kind], seconds);
  }

  /** A 502: the engine could not be reached, or answered nonsense. */
  engineError(kind: "connect" | "response"): void {
    this.#engineErrors.inc([kind]);
  }

  /** A 504: the engine did not begin answering `operation` in time. */
  engineTimeout(operation: string | null): void {
    this.#engineTimeouts.inc([operation ?? "none"]);
  }

  /** Reads the watchdog's verdict at every scrape. */
  watchEngine(up: () => boolean): void {
    this.registry.onCollect(() => this.#engineUp.set([], up() ? 1 : 0));
  }

  connectionAccepted(): void {
    this.#connections.inc();
  }

  connectionRefused(): void {
    this.#refused.inc();
  }

  /** Reads the server's live figures at every scrape. */
  watchServer(figures: () => ServerFigures): void {
    this.registry.onCollect(() => {
      const now = figures();
      this.#connectionsOpen.set([], now.connections);
      this.#streamsOpen.set([], now.streams);
      this.#tunnelsOpen.set([], now.tunnels);
      this.#engineConnections.set(["busy"], now.engineOpen - now.engineIdle);
      this.#engineConnections.set(["idle"], now.engineIdle);
    });
  }

  /** Reads the policy reloader's counts at every scrape. */
  watchReloads(counts: ReloadCounts): void {
    this.registry.onCollect(() => {
      this.#reloads.set(["ok"], counts.loaded);
      this.#reloads.set(["error"], counts.failed);
    });
  }

  /** The Prometheus text exposition (format 0.0.4). */
  render(): string {
    return this.registry.render();
  }
}
