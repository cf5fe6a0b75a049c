/**
 * The proxy's own health answer (`socket-proxy healthcheck`, Docker's
 * HEALTHCHECK): whether the engine answers `/_ping` on a fresh connection.
 */
import { latin1 } from "../http/http_head.ts";
import type { UpstreamPool } from "./upstream_pool.ts";
import { after } from "../timer.ts";

/** The engine gets this long to answer; the `healthcheck` command waits 5 s for the proxy. */
const HEALTH_TIMEOUT_MS = 3000;

const HEALTH_REQUEST = new TextEncoder().encode("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");

/** The request header the `healthcheck` command sends; answered for local clients only. */
export const HEALTHCHECK_HEADER = "x-socket-proxy-healthcheck";

/** `healthy`, or why not. */
export async function engineHealth(
  pool: UpstreamPool,
): Promise<{ healthy: boolean; detail: string }> {
  try {
    const upstream = await pool.connect();
    let late = false;
    const cancel = after(HEALTH_TIMEOUT_MS, () => {
      late = true;
      pool.destroy(upstream);
    });
    try {
      await upstream.write(HEALTH_REQUEST);
      while (upstream.available < 12 && (await upstream.fill()));
      if (late) {
        return {
          healthy: false,
          detail: `no answer to /_ping within ${HEALTH_TIMEOUT_MS / 1000}s`,
        };
      }
      const status = latin1(upstream.buf, upstream.start, upstream.start + 12);
      const healthy = status === "HTTP/1.1 200" || status === "HTTP/1.0 200";
      return { healthy, detail: healthy ? "" : `engine answered ${status.slice(9) || "nothing"}` };
    } finally {
      cancel();
      pool.destroy(upstream);
    }
  } catch (error) {
    return { healthy: false, detail: (error as Error).message };
  }
}
