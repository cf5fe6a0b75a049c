/**
 * The operations settings: `METRICS_LISTEN` (Prometheus metrics on a listener
 * of their own) and `TLS_CERT`/`TLS_KEY` (TLS on the TCP listeners). Pure: the
 * configuration passes the values in.
 */
import { formatListenAddress, type ListenAddress, parseListenAddress } from "./listen_address.ts";

/** The PEM files `TLS_CERT` and `TLS_KEY` name. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface OpsSettings {
  /** Where `GET /metrics` is served; `null`: nowhere (the default). */
  metricsListen: (ListenAddress & { transport: "tcp" }) | null;
  /** `null`: the TCP listeners speak plain HTTP. */
  tls: TlsFiles | null;
  warnings: string[];
}

export type OpsSettingName = "METRICS_LISTEN" | "TLS_CERT" | "TLS_KEY";

export class OpsSettingError extends Error {
  override name = "OpsSettingError";
}

/** An example of a valid metrics address, for error messages. */
export const METRICS_EXAMPLE = "127.0.0.1:9102";

const WILDCARDS = new Set(["::", "0.0.0.0"]);

/** Whether two TCP addresses would take the same port. */
function overlaps(a: ListenAddress, b: ListenAddress): boolean {
  if (a.transport !== "tcp" || b.transport !== "tcp") return false;
  if (a.port === 0 || a.port !== b.port) return false;
  return a.hostname === b.hostname || WILDCARDS.has(a.hostname) || WILDCARDS.has(b.hostname);
}

/**
 * Reads the settings: `value(name)` is the setting's text (`""` when unset),
 * `label(name)` how errors name it (the variable or the flag). Throws
 * `OpsSettingError` naming what is wrong and what would be valid.
 */
export function parseOpsSettings(
  value: (name: OpsSettingName) => string,
  label: (name: OpsSettingName) => string,
  listen: readonly ListenAddress[],
): OpsSettings {
  const warnings: string[] = [];
  let metricsListen: OpsSettings["metricsListen"] = null;
  const metricsText = value("METRICS_LISTEN").trim();
  if (metricsText !== "") {
    let address: ListenAddress;
    try {
      address = parseListenAddress(metricsText);
    } catch (error) {
      throw new OpsSettingError(
        `Invalid value for ${label("METRICS_LISTEN")}: ${(error as Error).message}`,
      );
    }
    if (address.transport !== "tcp") {
      throw new OpsSettingError(
        `Invalid value for ${label("METRICS_LISTEN")}: ${metricsText} (want host:port or ` +
          `[v6]:port, such as ${METRICS_EXAMPLE}: Prometheus scrapes over TCP)`,
      );
    }
    const clash = listen.find((proxy) => overlaps(address, proxy));
    if (clash !== undefined) {
      const name = label("METRICS_LISTEN");
      throw new OpsSettingError(
        `Invalid value for ${name}: ${metricsText} takes the port of the proxy listener ` +
          `${formatListenAddress(clash)} (metrics need a port of their own, such as ` +
          `${METRICS_EXAMPLE})`,
      );
    }
    metricsListen = address;
  }

  const certFile = value("TLS_CERT").trim();
  const keyFile = value("TLS_KEY").trim();
  let tls: TlsFiles | null = null;
  if (certFile !== "" || keyFile !== "") {
    if (certFile === "" || keyFile === "") {
      const [given, missing] = certFile === "" ? ["TLS_KEY", "TLS_CERT"] as const : [
        "TLS_CERT",
        "TLS_KEY",
      ] as const;
      throw new OpsSettingError(
        `${label(given)} is set but ${label(missing)} is not: TLS needs both (the PEM ` +
          "certificate chain and its private key), or neither",
      );
    }
    for (const [name, path] of [["TLS_CERT", certFile], ["TLS_KEY", keyFile]] as const) {
      if (!path.startsWith("/")) {
        throw new OpsSettingError(
          `Invalid value for ${label(name)}: ${path} (want an absolute path, such as ` +
            `/etc/socket-proxy/${name === "TLS_CERT" ? "cert" : "key"}.pem)`,
        );
      }
    }
    tls = { certFile, keyFile };
    if (!listen.some((address) => address.transport === "tcp")) {
      warnings.push(
        "TLS_CERT and TLS_KEY apply to TCP listeners, and LISTEN has none: unix sockets stay plain",
      );
    }
  }
  return { metricsListen, tls, warnings };
}
