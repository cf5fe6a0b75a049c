/**
 * The `healthcheck` command: asks the running proxy's `/_ping` with the header
 * the proxy answers for local clients whatever `PING` says, so a container
 * healthcheck needs no shell and works with `PING=0`.
 */
import { formatListenAddress, healthcheckAddress, type ListenAddress } from "./listen_address.ts";
import { after } from "./timer.ts";

const REQUEST = new TextEncoder().encode(
  "GET /_ping HTTP/1.1\r\nHost: socket-proxy\r\nX-Socket-Proxy-Healthcheck: 1\r\n" +
    "Connection: close\r\n\r\n",
);

export interface HealthResult {
  healthy: boolean;
  detail: string;
}

/** Asks the proxy listening on `listen`; resolves with what it answered. */
export async function checkHealth(
  listen: ListenAddress,
  options: { timeoutMs?: number } = {},
): Promise<HealthResult> {
  const address = healthcheckAddress(listen);
  const where = formatListenAddress(address);
  let conn: Deno.Conn | undefined;
  const cancel = after(options.timeoutMs ?? 5000, () => conn?.close());
  try {
    conn = address.transport === "unix"
      ? await Deno.connect({ transport: "unix", path: address.path })
      : await Deno.connect({ hostname: address.hostname, port: address.port });
    await conn.write(REQUEST);
    const buf = new Uint8Array(4096);
    let length = 0;
    for (;;) {
      const n = await conn.read(buf.subarray(length));
      if (n === null) break;
      length += n;
      if (length === buf.length) break;
    }
    const text = new TextDecoder().decode(buf.subarray(0, length));
    const status = text.slice(9, 12);
    const body = text.slice(text.indexOf("\r\n\r\n") + 4).trim();
    if (status === "200") return { healthy: true, detail: `${where}: OK` };
    return { healthy: false, detail: `${where}: ${status || "no answer"} ${body}`.trim() };
  } catch (error) {
    return { healthy: false, detail: `${where}: ${(error as Error).message}` };
  } finally {
    cancel();
    try {
      conn?.close();
    } catch {
      // Closed by the timer.
    }
  }
}
