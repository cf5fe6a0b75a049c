/**
 * Listen addresses: `host:port`, `[v6]:port` or `unix:/path`, a unix socket
 * optionally with the mode and group its file gets:
 * `unix:/run/socket-proxy/traefik.sock?mode=0660&group=traefik`.
 */

export type ListenAddress =
  | { transport: "tcp"; hostname: string; port: number }
  | UnixListenAddress;

export interface UnixListenAddress {
  transport: "unix";
  path: string;
  /** Permission bits the socket file gets (`mode=`); absent: 0660 when a group is given. */
  mode?: number;
  /** The group the socket file gets (`group=`): a numeric id or a name from /etc/group. */
  group?: string;
}

const GROUP = /^(?:[0-9]{1,10}|[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?)$/;

/** Parses `mode=0660&group=101`, the options after a unix path. */
function parseUnixOptions(text: string, address: string): { mode?: number; group?: string } {
  const options: { mode?: number; group?: string } = {};
  for (const part of text.split("&")) {
    const equals = part.indexOf("=");
    const key = equals < 0 ? part : part.slice(0, equals);
    const value = equals < 0 ? "" : part.slice(equals + 1);
    if (key === "mode") {
      if (!/^(?:0o?)?[0-7]{3}$/.test(value)) {
        throw new Error(
          `Invalid mode in listen address (want octal permission bits such as 0660): ${address}`,
        );
      }
      options.mode = parseInt(value.slice(-3), 8);
    } else if (key === "group") {
      if (!GROUP.test(value)) {
        throw new Error(
          `Invalid group in listen address (want a group id such as 101, or a group name): ${address}`,
        );
      }
      options.group = value;
    } else {
      throw new Error(
        `Unknown option ${JSON.stringify(key)} in listen address (use mode and group): ${address}`,
      );
    }
  }
  return options;
}

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
    const query = address.indexOf("?");
    const path = address.slice(5, query < 0 ? undefined : query);
    if (!path.startsWith("/")) {
      throw new Error(`Unix listen address needs an absolute path: ${address}`);
    }
    if (query < 0) return { transport: "unix", path };
    return { transport: "unix", path, ...parseUnixOptions(address.slice(query + 1), address) };
  }
  if (address.includes("?")) {
    throw new Error(`Options (mode, group) are for unix listen addresses only: ${address}`);
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

/** The address as profiles name it and the logs show it: a unix socket without its options. */
export function formatListenAddress(address: ListenAddress): string {
  if (address.transport === "unix") return "unix:" + address.path;
  return address.hostname.includes(":")
    ? `[${address.hostname}]:${address.port}`
    : `${address.hostname}:${address.port}`;
}

/** The address as `LISTEN` writes it, a unix socket's options included. */
export function formatListenSpec(address: ListenAddress): string {
  if (address.transport !== "unix") return formatListenAddress(address);
  const options = [
    ...(address.mode === undefined ? [] : [`mode=0${address.mode.toString(8).padStart(3, "0")}`]),
    ...(address.group === undefined ? [] : [`group=${address.group}`]),
  ];
  return "unix:" + address.path + (options.length === 0 ? "" : "?" + options.join("&"));
}

/** Where `healthcheck` connects to reach a proxy listening on `address`. */
export function healthcheckAddress(address: ListenAddress): ListenAddress {
  if (address.transport === "unix") return address;
  if (address.hostname === "::" || address.hostname === "0.0.0.0") {
    return { ...address, hostname: "127.0.0.1" };
  }
  return address;
}
