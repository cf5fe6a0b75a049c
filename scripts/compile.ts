/**
 * Builds the standalone binaries with `deno compile`, one per Linux target
 * Deno supports, into `dist/` with a SHA256SUMS file:
 *
 *   deno task compile                      both targets, default addresses
 *   deno task compile --target x86_64-unknown-linux-gnu
 *   deno task compile --listen 127.0.0.1:2375 --socket /run/user/1000/docker.sock
 *   deno task compile --config-dir /srv/socket-proxy   where the policy file may live
 *   deno task compile --metrics-listen 10.0.0.5:9102   where metrics may be served
 *   deno task compile --dry-run            print the commands only
 *
 * A binary carries its permissions: network access to the listen addresses it
 * was built for and to the engine sockets (with the read/write Deno 2.9 also
 * asks for on a unix socket path), reading its configuration directory
 * (`/etc/socket-proxy`: the policy file, the TLS certificate and key), serving
 * metrics on port 9102 when `METRICS_LISTEN` asks, the environment, nothing
 * else, and no prompts. Pointed anywhere else, it stops and says how to build
 * one that may.
 */
import { parseFlags } from "../lib/config/cli_args.ts";
import { parseConfig } from "../lib/config/config.ts";
import { parseListenAddress } from "../lib/config/listen_address.ts";
import { netHost, requiredPermissions, V8_FLAGS } from "../lib/server/permissions.ts";
import { VERSION } from "../lib/version.ts";

export const TARGETS: Record<string, string> = {
  "x86_64-unknown-linux-gnu": "linux-x86_64",
  "aarch64-unknown-linux-gnu": "linux-aarch64",
};

/** What a default binary may listen on: the drop-in `[::]:2375` or `0.0.0.0:2375`, or loopback only. */
export const DEFAULT_LISTEN = [
  "[::]:2375",
  "0.0.0.0:2375",
  "127.0.0.1:2375",
  "[::1]:2375",
  // A socket per app, as the recipes in examples/ use them (Deno grants unix
  // sockets by exact path, so these are listed).
  "unix:/run/socket-proxy/docker.sock",
  ...[
    "traefik",
    "traefik-swarm",
    "homepage",
    "dozzle",
    "watchtower",
    "uptime-kuma",
    "autoheal",
    "diun",
    "portainer",
  ].map((app) => `unix:/run/socket-proxy/${app}/docker.sock`),
];

/** Engine sockets a default binary may use: Docker's, and Podman's rootful one. */
export const DEFAULT_SOCKETS = [
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/run/podman/podman.sock",
  "/var/run/podman/podman.sock",
];

/** Directories a default binary may read configuration from (the policy file, TLS files). */
export const DEFAULT_CONFIG_DIRS = ["/etc/socket-proxy"];

/** Where a default binary may serve metrics (`METRICS_LISTEN`): loopback or every address. */
export const DEFAULT_METRICS_LISTEN = [
  "127.0.0.1:9102",
  "[::1]:9102",
  "[::]:9102",
  "0.0.0.0:9102",
];

export interface CompileOptions {
  targets: string[];
  listen: string[];
  sockets: string[];
  /** Directories the binary may read (and watch) configuration files in. */
  configDirs: string[];
  /** Addresses the binary may serve metrics on (none when absent). */
  metricsListen?: string[];
  outDir: string;
}

/** The permission flags baked into a binary for these addresses. */
export function bakedPermissions(
  listen: string[],
  sockets: string[],
  configDirs: string[] = [],
  metricsListen: string[] = [],
): string[] {
  const net = new Set<string>();
  const read = new Set<string>();
  const write = new Set<string>();
  for (const socket of sockets) {
    for (const address of listen) {
      const set = requiredPermissions(parseConfig({ LISTEN: address, SOCKET_PATH: socket }).config);
      set.net.forEach((host) => net.add(host));
      set.read.forEach((path) => read.add(path));
      set.write.forEach((path) => write.add(path));
    }
  }
  for (const address of metricsListen) net.add(netHost(parseListenAddress(address)));
  return [
    "--no-prompt",
    "--allow-env",
    `--allow-net=${[...net].join(",")}`,
    `--allow-read=${[...read, ...configDirs].join(",")}`,
    `--allow-write=${[...write].join(",")}`,
  ];
}

export function binaryName(target: string, version = VERSION): string {
  return `socket-proxy-${version}-${TARGETS[target]}`;
}

/** The `deno compile` argument lists, one per target. */
export function compileCommands(options: CompileOptions): { target: string; args: string[] }[] {
  return options.targets.map((target) => ({
    target,
    args: [
      "compile",
      "--target",
      target,
      "--output",
      `${options.outDir}/${binaryName(target)}`,
      // Code cache off: it would be written to a temporary directory on the
      // first run, which a read-only container does not have.
      "--no-code-cache",
      ...bakedPermissions(
        options.listen,
        options.sockets,
        options.configDirs,
        options.metricsListen,
      ),
      `--v8-flags=${V8_FLAGS.join(",")}`,
      "main.ts",
    ],
  }));
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function main(): Promise<void> {
  const { values } = parseFlags(Deno.args, {
    strings: ["target", "listen", "socket", "config-dir", "metrics-listen", "out"],
    booleans: ["dry-run", "help"],
  });
  if (values.help) {
    console.log(
      "Usage: deno task compile [--target T] [--listen a,b] [--socket p,q] [--config-dir d,e] " +
        "[--metrics-listen m,n] [--out dir] [--dry-run]",
    );
    return;
  }
  const list = (value: string | true | undefined) =>
    typeof value === "string" ? value.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  const targets = list(values.target) ?? Object.keys(TARGETS);
  for (const target of targets) {
    if (!(target in TARGETS)) {
      throw new Error(`Unsupported target: ${target} (use ${Object.keys(TARGETS).join(" or ")})`);
    }
  }
  const options: CompileOptions = {
    targets,
    listen: list(values.listen) ?? DEFAULT_LISTEN,
    sockets: list(values.socket) ?? DEFAULT_SOCKETS,
    configDirs: list(values["config-dir"]) ?? DEFAULT_CONFIG_DIRS,
    metricsListen: list(values["metrics-listen"]) ?? DEFAULT_METRICS_LISTEN,
    outDir: typeof values.out === "string" ? values.out : "dist",
  };
  const commands = compileCommands(options);
  if (values["dry-run"]) {
    for (const { args } of commands) console.log(["deno", ...args].join(" "));
    return;
  }
  await Deno.mkdir(options.outDir, { recursive: true });
  const sums: string[] = [];
  for (const { target, args } of commands) {
    console.error(`compile: ${target}`);
    const { success } = await new Deno.Command(Deno.execPath(), {
      args,
      stdout: "inherit",
      stderr: "inherit",
    })
      .output();
    if (!success) throw new Error(`deno compile failed for ${target}`);
    const name = binaryName(target);
    sums.push(`${await sha256(`${options.outDir}/${name}`)}  ${name}`);
  }
  await Deno.writeTextFile(`${options.outDir}/SHA256SUMS`, sums.join("\n") + "\n");
  console.error(`compile: wrote ${options.outDir}/SHA256SUMS`);
}

if (import.meta.main) await main();
