/**
 * The metrics listener (`METRICS_LISTEN`): plain HTTP on a port of its own,
 * never the proxy's. `GET /metrics` answers the Prometheus exposition,
 * `GET /healthz` 200 while the proxy runs, `GET /readyz` 200 while the engine
 * answers the watchdog (503 and why not otherwise), anything else 404. Requests are parsed as strictly as the proxy's; a scraper may keep
 * its connection, and a few connections at most are served at once.
 */
import { BufferedConn } from "../http/buffered_conn.ts";
import { HeadScanner, HttpError, parseRequestHead } from "../http/http_head.ts";
import { Http10Relay } from "../http/http10_relay.ts";
import type { ListenAddress } from "../config/listen_address.ts";
import type { Logger } from "../log/log.ts";
import { CONTENT_TYPE } from "../metrics/registry.ts";
import { errorResponse, plainResponse } from "../http/responses.ts";
import { after, sleep } from "../timer.ts";

const LIMITS = { maxRequestLine: 2048, maxHeaderBytes: 16 * 1024, maxHeaderCount: 100 };
/** Scrapers served at once; more are closed at once. */
const MAX_CONNECTIONS = 16;
/** A connection that sends no complete request for this long is closed. */
const IDLE_MS = 60_000;
const NOT_FOUND = "Not found: the metrics are at GET /metrics, health at /healthz and /readyz\n";

/** Whether the proxy is ready, and why (not). */
export type ReadinessCheck = () => Promise<{ ready: boolean; detail: string }>;

export interface MetricsServer {
  /** The address bound (the port resolved when 0 was asked for). */
  readonly address: ListenAddress & { transport: "tcp" };
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Listens on `address` and serves `render()` at `GET /metrics`. */
export function startMetricsServer(
  address: ListenAddress & { transport: "tcp" },
  render: () => string,
  logger: Logger,
  readiness: ReadinessCheck,
): MetricsServer {
  const listener = Deno.listen({
    transport: "tcp",
    hostname: address.hostname,
    port: address.port,
  });
  const clients = new Set<BufferedConn>();
  const tasks = new Set<Promise<void>>();
  let closed = false;
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closed || error instanceof Deno.errors.BadResource) return;
        logger.error("Metrics: accept failed", { error: (error as Error).message });
        await sleep(100);
        continue;
      }
      const client = new BufferedConn(conn, 1024, 32 * 1024);
      if (clients.size >= MAX_CONNECTIONS) {
        client.close();
        continue;
      }
      clients.add(client);
      const task = serve(client, render, readiness).catch(() => {}).finally(() => {
        client.close();
        clients.delete(client);
        tasks.delete(task);
      });
      tasks.add(task);
    }
  })();
  const bound = listener.addr as Deno.NetAddr;
  return {
    address: { transport: "tcp", hostname: address.hostname, port: bound.port },
    async close() {
      closed = true;
      try {
        listener.close();
      } catch {
        // Closed.
      }
      for (const client of clients) client.close();
      await Promise.all([accepting, ...tasks]);
    },
  };
}

/** Answers requests on one connection until it ends, errs or idles out. */
async function serve(
  client: BufferedConn,
  render: () => string,
  readiness: ReadinessCheck,
): Promise<void> {
  const scanner = new HeadScanner();
  let cancel = after(IDLE_MS, () => client.close());
  try {
    for (;;) {
      client.reset();
      scanner.reset(client.start);
      let end: number;
      try {
        while ((end = scanner.scan(client.buf, client.end, LIMITS)) < 0) {
          if (client.end === client.buf.length && client.start > 0) scanner.shift(client.compact());
          if (!(await client.fill())) return;
        }
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        await client.write(errorResponse(error.status, error.message, { close: true }));
        return;
      }
      client.output = Http10Relay.select(client.buf, client.start, end, client.output);
      let head;
      try {
        head = parseRequestHead(client.buf, client.start, end);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        await client.write(errorResponse(error.status, error.message, { close: true }));
        return;
      }
      client.start = end;
      // A body is never read: answer, then close.
      const close = head.close || head.chunked || head.contentLength > 0;
      const query = head.target.indexOf("?");
      const path = query < 0 ? head.target : head.target.slice(0, query);
      const isHead = head.method === "HEAD";
      const get = head.method === "GET" || isHead;
      if (get && path === "/readyz") {
        const { ready, detail } = await readiness();
        await client.write(
          plainResponse(ready ? 200 : 503, `${ready ? "ready" : "not ready"}: ${detail}\n`, {
            close,
            head: isHead,
          }),
        );
      } else {
        await client.write(
          head.method === "GET" && path === "/metrics"
            ? plainResponse(200, render(), { contentType: CONTENT_TYPE, close })
            : get && path === "/healthz"
            ? plainResponse(200, "ok\n", { close, head: isHead })
            : plainResponse(404, NOT_FOUND, { close, head: isHead }),
        );
      }
      if (close) return;
      cancel();
      cancel = after(IDLE_MS, () => client.close());
    }
  } finally {
    cancel();
  }
}
