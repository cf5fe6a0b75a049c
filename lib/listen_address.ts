/** Listen addresses: `host:port`, `[v6]:port` or `unix:/path`. */

export type ListenAddress =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

export const DEFAULT_PORT = 2375;

/** The listener the images it replaces use: dual-stack `[::]:2375`, or `0.0.0.0:2375`. */
export function defaultListenAddress(disableIpv6: boolean): ListenAddress {
  return { transport: "tcp", hostname: disableIpv6 ? "0.0.0.0" : "::", port: DEFAULT_PORT };
}

function parsePort(text: string, address: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) {
    throw new Error(`Invalid port in listen address: ${address}`);
  }
  return Number(text);
}

/** Parses one listen address; throws with the address in the message. */
export function parseListenAddress(text: string): ListenAddress {
  const address = text.trim();
  if (address.startsWith("unix:")) {
    const path = address.slice(5);
    if (!path.startsWith("/")) {
      throw new Error(`Unix listen address needs an absolute path: ${address}`);
    }
    return { transport: "unix", path };
  }
  const v6 = /^\[([0-9a-fA-F:.]+)\]:([^:]*)$/.exec(address);
  if (v6) return { transport: "tcp", hostname: v6[1], port: parsePort(v6[2], address) };
  const v4 = /^([a-zA-Z0-9.-]+):([^:]*)$/.exec(address);
  if (v4) return { transport: "tcp", hostname: v4[1], port: parsePort(v4[2], address) };
  throw new Error(`Invalid listen address (want host:port, [v6]:port or unix:/path): ${address}`);
}

/** Parses a comma-separated list of listen addresses. */
export function parseListenList(text: string): ListenAddress[] {
  const parts = text.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (parts.length === 0) throw new Error("LISTEN names no address");
  return parts.map(parseListenAddress);
}

export function formatListenAddress(address: ListenAddress): string {
  if (address.transport === "unix") return "unix:" + address.path;
  return address.hostname.includes(":")
    ? `[${address.hostname}]:${address.port}`
    : `${address.hostname}:${address.port}`;
}

/** Where `healthcheck` connects to reach a proxy listening on `address`. */
export function healthcheckAddress(address: ListenAddress): ListenAddress {
  if (address.transport === "unix") return address;
  if (address.hostname === "::" || address.hostname === "0.0.0.0") {
    return { ...address, hostname: "127.0.0.1" };
  }
  return address;
}
