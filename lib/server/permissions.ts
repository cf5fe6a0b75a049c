/**
 * The least Deno permissions the proxy needs for a configuration: network
 * access to its listen addresses and the engine socket (plus read/write of the
 * unix socket paths, which Deno 2.9 also asks for), and the environment.
 *
 * `--allow-env` is whole rather than a list: Deno lists the environment
 * (`Deno.env.toObject`) only with full env permission, and the proxy must list
 * it to refuse misspelt `ALLOW_*`/`LIBPOD_*` switches. It never writes to it.
 * Files it reads (the policy file, the TLS certificate and key) are granted by
 * directory, which also lets it watch them; /etc/group only when a unix
 * listener names its group. The metrics listener, when there is one, is a
 * listen address like the others.
 */
import type { Config } from "../config/config.ts";
import { GROUP_FILE } from "./group_file.ts";
import { healthcheckAddress, type ListenAddress } from "../config/listen_address.ts";

/**
 * The files `readContainerFiles` reads (`lib/server/own_container_watch.ts`). Deno
 * 2.9 reads `/proc` only with `--allow-all`: the mount table and cgroup are
 * hints only then.
 */
export const OWN_CONTAINER_FILES = ["/run/.containerenv", "/etc/hostname", "/.dockerenv"];

export interface PermissionSet {
  net: string[];
  read: string[];
  write: string[];
}

/** The `--allow-net` entry for `address`. */
export function netHost(address: ListenAddress): string {
  if (address.transport === "unix") return "unix:" + address.path;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  // Port 0 asks the kernel for any port; Deno checks the host alone then.
  return address.port === 0 ? host : `${host}:${address.port}`;
}

/** What `config` needs: listen, connect to the engine, and reach itself for `healthcheck`. */
export function requiredPermissions(config: Config): PermissionSet {
  const net = new Set<string>();
  const paths = new Set<string>();
  const read = new Set<string>();
  for (const address of config.listen) {
    net.add(netHost(address));
    if (address.transport === "unix") paths.add(address.path);
    if (address.transport === "unix" && /[^0-9]/.test(address.group ?? "")) read.add(GROUP_FILE);
  }
  const health = healthcheckAddress(config.listen[0]);
  net.add(netHost(health));
  if (config.metricsListen) net.add(netHost(config.metricsListen));
  net.add("unix:" + config.socketPath);
  paths.add(config.socketPath);
  paths.forEach((path) => read.add(path));
  // What it can see of its own container (PROTECT_SELF, which a policy file may turn on).
  for (const file of OWN_CONTAINER_FILES) read.add(file);
  // The directories of the files it reads: the policy file's also to watch it for changes.
  for (const file of [config.policyFile, config.tls?.certFile, config.tls?.keyFile]) {
    if (file) read.add(file.slice(0, file.lastIndexOf("/")) || "/");
  }
  return { net: [...net], read: [...read], write: [...paths] };
}

/**
 * V8 settings the proxy runs with. A young generation of at most 2 MiB per
 * semi-space (V8's default is 16 MiB) keeps resident memory under load at about
 * half, at no measurable cost in throughput (see bench/RESULTS.md).
 */
export const V8_FLAGS = ["--max-semi-space-size=2"];

/** Every `deno run` flag for `config`: its least permissions and the V8 settings. */
export function runFlags(config: Config): string[] {
  return [...permissionFlags(config), `--v8-flags=${V8_FLAGS.join(",")}`];
}

/** The `deno run` permission flags for `config`. */
export function permissionFlags(config: Config): string[] {
  const set = requiredPermissions(config);
  return [
    "--allow-env",
    `--allow-net=${set.net.join(",")}`,
    `--allow-read=${set.read.join(",")}`,
    `--allow-write=${set.write.join(",")}`,
  ];
}

/** The permissions `config` needs that this process was not granted. */
export function missingPermissions(config: Config): string[] {
  const set = requiredPermissions(config);
  const missing: string[] = [];
  const query = (descriptor: Deno.PermissionDescriptor, label: string) => {
    if (Deno.permissions.querySync(descriptor).state !== "granted") missing.push(label);
  };
  for (const host of set.net) query({ name: "net", host }, `net ${host}`);
  for (const path of set.read) query({ name: "read", path }, `read ${path}`);
  for (const path of set.write) query({ name: "write", path }, `write ${path}`);
  return missing;
}
