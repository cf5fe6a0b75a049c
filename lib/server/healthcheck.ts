/**
 * The `healthcheck` command: asks the running proxy's `/_ping` with the header
 * the proxy answers for local clients whatever `PING` says, so a container
 * healthcheck needs no shell and works with `PING=0`. `healthcheck --ready`
 * asks for readiness instead (the header's value `ready`): whether the proxy's
 * engine watchdog saw the engine answer an API call in time, which works
 * without `METRICS_LISTEN` (whose `/readyz` says the same).
 *
 * With TLS it speaks TLS to its own listener, over loopback: the certificate
 * chain must lead to a certificate in `TLS_CERT` (the chain file, or a CA
 * appended to it) or to a public CA; the name is not checked, since the
 * certificate names the proxy as its clients reach it, not 127.0.0.1.
 */
import {
  formatListenAddress,
  healthcheckAddress,
  type ListenAddress,
} from "../config/listen_address.ts";
import type { TlsFiles } from "../config/ops_settings.ts";
import { after } from "../timer.ts";

/** `ready`: `healthcheck --ready`, answered with the proxy's readiness (its engine watchdog's verdict). */
function request(ready: boolean): Uint8Array {
  return new TextEncoder().encode(
    "GET /_ping HTTP/1.1\r\nHost: socket-proxy\r\n" +
      `X-Socket-Proxy-Healthcheck: ${ready ? "ready" : "1"}\r\nConnection: close\r\n\r\n`,
  );
}

export interface HealthResult {
  healthy: boolean;
  detail: string;
}

/** Asks the proxy listening on `listen`; resolves with what it answered. */
export async function checkHealth(
  listen: ListenAddress,
  options: { timeoutMs?: number; tls?: TlsFiles | null; ready?: boolean } = {},
): Promise<HealthResult> {
  const address = healthcheckAddress(listen);
  const tls = address.transport === "tcp" ? options.tls ?? null : null;
  const where = (tls === null ? "" : "tls://") + formatListenAddress(address);
  let conn: Deno.Conn | undefined;
  const cancel = after(options.timeoutMs ?? 5000, () => conn?.close());
  try {
    if (address.transport === "unix") {
      conn = await Deno.connect({ transport: "unix", path: address.path });
    } else if (tls === null) {
      conn = await Deno.connect({ hostname: address.hostname, port: address.port });
    } else {
      const chain = await Deno.readTextFile(tls.certFile);
      conn = await Deno.connectTls({
        hostname: address.hostname,
        port: address.port,
        caCerts: chain.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [],
        unsafelyDisableHostnameVerification: true,
      });
    }
    await conn.write(request(options.ready ?? false));
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
    if (status === "200") {
      return { healthy: true, detail: `${where}: ${options.ready ? body || "OK" : "OK"}` };
    }
    return { healthy: false, detail: `${where}: ${status || "no answer"} ${body}`.trim() };
  } catch (error) {
    const message = (error as Error).message;
    const hint = tls !== null && /UnknownIssuer/.test(message)
      ? ` (the certificate's issuer is neither in TLS_CERT nor a public CA: append the CA ` +
        `certificate to ${tls.certFile})`
      : "";
    return { healthy: false, detail: `${where}: ${message}${hint}` };
  } finally {
    cancel();
    try {
      conn?.close();
    } catch {
      // Closed by the timer.
    }
  }
}
