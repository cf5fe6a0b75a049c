/**
 * Opening the proxy's listeners: TCP (with TLS when `TLS_CERT`/`TLS_KEY` are
 * set) and unix sockets, which get the mode and group their address asks for
 * before anything is accepted.
 */
import { GROUP_FILE, groupId } from "./group_file.ts";
import type { ListenAddress, UnixListenAddress } from "../config/listen_address.ts";
import type { TlsFiles } from "../config/ops_settings.ts";

/** A certificate chain and its key, read from `TLS_CERT` and `TLS_KEY`. */
export interface TlsKeyPair extends TlsFiles {
  cert: string;
  key: string;
}

/** Reads the PEM files; throws naming the setting and the file. */
export async function readTlsFiles(files: TlsFiles): Promise<TlsKeyPair> {
  const read = async (setting: string, path: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      throw new Error(`Cannot read ${setting} ${path}: ${(error as Error).message}`);
    }
  };
  return {
    ...files,
    cert: await read("TLS_CERT", files.certFile),
    key: await read("TLS_KEY", files.keyFile),
  };
}

/** Listens on `address`: TLS when `tls` is given and the address is TCP. */
export async function openListener(
  address: ListenAddress,
  tls: TlsKeyPair | null,
): Promise<Deno.Listener> {
  if (address.transport === "unix") return await listenUnix(address);
  if (tls === null) {
    return Deno.listen({ transport: "tcp", hostname: address.hostname, port: address.port });
  }
  try {
    return Deno.listenTls({
      hostname: address.hostname,
      port: address.port,
      cert: tls.cert,
      key: tls.key,
      // HTTP/1.x only: a client that offers only h2 fails the handshake.
      alpnProtocols: ["http/1.1", "http/1.0"],
    });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable) {
      throw error;
    }
    throw new Error(
      `Cannot use TLS_CERT ${tls.certFile} with TLS_KEY ${tls.keyFile}: ` +
        `${(error as Error).message} (want a PEM certificate chain and its PEM private key)`,
    );
  }
}

async function listenUnix(address: UnixListenAddress): Promise<Deno.Listener> {
  const { path, group } = address;
  await removeStaleSocket(path);
  let gid: number | null = null;
  if (group !== undefined) {
    const groupFile = /^[0-9]+$/.test(group)
      ? null
      : await Deno.readTextFile(GROUP_FILE).catch(() => null);
    gid = groupId(group, groupFile);
  }
  const listener = Deno.listen({ transport: "unix", path });
  if (gid === null && address.mode === undefined) return listener;
  // Synchronously, before the first accept: the socket exists with the umask's
  // mode for an instant (Deno grants umask only with --allow-sys).
  try {
    if (gid !== null) Deno.chownSync(path, null, gid);
    Deno.chmodSync(path, address.mode ?? 0o660);
  } catch (error) {
    listener.close();
    throw new Error(
      `Cannot set the ${gid === null ? "mode" : "group and mode"} of ${path}: ` +
        `${(error as Error).message}` +
        (gid === null ? "" : " (the proxy must run as root, or be a member of the group)"),
    );
  }
  return listener;
}

/**
 * A socket file left by an earlier run would make `listen` fail. It is removed
 * only when it is a socket nobody answers on: never a regular file, and never
 * a live socket (such as the engine's own).
 */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!Deno.lstatSync(path).isSocket) return;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  let live = false;
  try {
    (await Deno.connect({ transport: "unix", path })).close();
    live = true;
  } catch {
    // Nobody listens: stale.
  }
  if (live) throw new Deno.errors.AddrInUse(`Something already listens on ${path}`);
  Deno.removeSync(path);
}
