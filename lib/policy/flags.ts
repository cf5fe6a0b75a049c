/**
 * The policy switches, named and defaulted exactly as in linuxserver's
 * `socket-proxy` image (a superset of Tecnativa's), so that a compose file
 * written for either works unchanged.
 */

/** Docker API sections: the first path segment after the optional `/vX.Y`. */
export const DOCKER_SECTIONS: Readonly<Record<string, string>> = {
  auth: "AUTH",
  build: "BUILD",
  commit: "COMMIT",
  configs: "CONFIGS",
  containers: "CONTAINERS",
  distribution: "DISTRIBUTION",
  events: "EVENTS",
  exec: "EXEC",
  grpc: "GRPC",
  images: "IMAGES",
  info: "INFO",
  networks: "NETWORKS",
  nodes: "NODES",
  _ping: "PING",
  plugins: "PLUGINS",
  secrets: "SECRETS",
  services: "SERVICES",
  session: "SESSION",
  swarm: "SWARM",
  system: "SYSTEM",
  tasks: "TASKS",
  version: "VERSION",
  volumes: "VOLUMES",
};

/** Podman's libpod sections: the segment after `/libpod`. */
export const LIBPOD_SECTIONS: Readonly<Record<string, string>> = {
  containers: "LIBPOD_CONTAINERS",
  events: "LIBPOD_EVENTS",
  exec: "LIBPOD_EXEC",
  generate: "LIBPOD_GENERATE",
  images: "LIBPOD_IMAGES",
  info: "LIBPOD_INFO",
  manifests: "LIBPOD_MANIFESTS",
  networks: "LIBPOD_NETWORKS",
  _ping: "LIBPOD_PING",
  play: "LIBPOD_PLAY",
  pods: "LIBPOD_PODS",
  secrets: "LIBPOD_SECRETS",
  system: "LIBPOD_SYSTEM",
  version: "LIBPOD_VERSION",
  volumes: "LIBPOD_VOLUMES",
};

/** `POST /containers/{id}/<action>` allowed even when `POST=0` and `CONTAINERS=0`. */
export const ACTION_FLAGS: Readonly<Record<string, readonly string[]>> = {
  start: ["ALLOW_START"],
  stop: ["ALLOW_STOP", "ALLOW_RESTARTS"],
  restart: ["ALLOW_RESTARTS"],
  kill: ["ALLOW_RESTARTS"],
  pause: ["ALLOW_PAUSE"],
  unpause: ["ALLOW_UNPAUSE"],
};

/** `/containers/{id}/<action>` denied unless its flag is on, even when `CONTAINERS=1`. */
export const GUARDED_ACTIONS: Readonly<Record<string, string>> = {
  archive: "ALLOW_ARCHIVE",
  changes: "ALLOW_CHANGES",
  export: "ALLOW_EXPORT",
  logs: "ALLOW_LOGS",
  top: "ALLOW_TOP",
};

const ACTION_SUFFIXES = ["START", "STOP", "RESTARTS", "PAUSE", "UNPAUSE"];

/** The older libpod-only names linuxserver still honours. */
export const LIBPOD_CONTAINER_ACTION_FLAGS = ACTION_SUFFIXES.map((s) => "LIBPOD_ALLOW_" + s);
export const LIBPOD_POD_ACTION_FLAGS = ACTION_SUFFIXES.map((s) => "LIBPOD_ALLOW_POD_" + s);

const DEFAULT_ON = new Set(["EVENTS", "PING", "VERSION", "LIBPOD_PING", "LIBPOD_VERSION"]);

/** Every policy flag, in the order the start-up summary lists them. */
export const FLAG_NAMES: readonly string[] = [
  "POST",
  ...Object.values(DOCKER_SECTIONS).sort(),
  ...[...new Set(Object.values(ACTION_FLAGS).flat())],
  ...Object.values(GUARDED_ACTIONS),
  ...Object.values(LIBPOD_SECTIONS).sort(),
  ...LIBPOD_CONTAINER_ACTION_FLAGS,
  ...LIBPOD_POD_ACTION_FLAGS,
];

export type Flags = Readonly<Record<string, boolean>>;

export function flagDefault(name: string): boolean {
  return DEFAULT_ON.has(name);
}

/** The defaults, optionally overridden: `makeFlags({ CONTAINERS: true })`. */
export function makeFlags(overrides: Record<string, boolean> = {}): Flags {
  const flags: Record<string, boolean> = {};
  for (const name of FLAG_NAMES) flags[name] = flagDefault(name);
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in flags)) throw new Error(`Unknown policy flag: ${name}`);
    flags[name] = value;
  }
  return Object.freeze(flags);
}
