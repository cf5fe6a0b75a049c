/**
 * The admission settings: whether request bodies and queries may ask the
 * engine for host access, and which kinds. Pure: the caller passes the values
 * in, from the environment (strings) or a policy file (YAML booleans, numbers
 * and arrays too).
 *
 * `HOST_ACCESS=1` checks nothing (the drop-in behaviour); with
 * `HOST_ACCESS=0` every request that could reach the host is refused unless
 * one of the `ALLOW_*` settings below allows what it asks.
 */

/** Host paths allowed as bind sources, each with whether only read-only is allowed. */
export interface HostPathRule {
  readonly path: string;
  readonly readOnly: boolean;
}

/** A list setting: `ALL` (or `1`/`true`) allows everything, else the names. */
export interface NameList {
  readonly all: boolean;
  readonly names: readonly string[];
}

export interface AdmissionSettings {
  /** `HOST_ACCESS`: `true` checks nothing. */
  readonly hostAccess: boolean;
  /** `MAX_BODY_SIZE`: largest body that is checked, in bytes (413 past it). */
  readonly maxBodyBytes: number;
  /** `ALLOW_PRIVILEGED`: privileged containers and execs. */
  readonly privileged: boolean;
  /** `ALLOW_BIND_MOUNTS`: host path prefixes bind mounts may use. */
  readonly bindMounts: readonly HostPathRule[];
  /** `ALLOW_DEVICES`: host device paths (prefixes), or all with device rules and GPU requests. */
  readonly devices: { readonly all: boolean; readonly paths: readonly string[] };
  /** `ALLOW_CAPABILITIES`: capabilities beyond the engine's default set. */
  readonly capabilities: NameList;
  /** `ALLOW_HOST_NETWORK`: the host's network namespace (and its interfaces). */
  readonly hostNetwork: boolean;
  /** `ALLOW_HOST_NAMESPACES`: the host's pid, ipc, uts, user and cgroup namespaces. */
  readonly hostNamespaces: boolean;
  /** `ALLOW_JOIN_CONTAINERS`: another container's namespaces or volumes. */
  readonly joinContainers: boolean;
  /** `ALLOW_UNCONFINED`: seccomp, AppArmor, SELinux off or custom, unmasked paths. */
  readonly unconfined: boolean;
  /** `ALLOW_SYSCTLS`: sysctls that are not namespaced, names or `prefix.*`. */
  readonly sysctls: NameList;
  /** `ALLOW_RUNTIMES`: OCI runtimes other than runc and crun. */
  readonly runtimes: NameList;
  /** `ALLOW_CGROUP_PARENT`: placing containers or builds in another cgroup. */
  readonly cgroupParent: boolean;
  /** `ALLOW_OOM_SCORE_ADJ`: a negative OOM score, or the OOM killer disabled. */
  readonly oomScoreAdj: boolean;
  /** `ALLOW_LOG_DRIVERS`: log drivers other than json-file, local, journald, k8s-file, none. */
  readonly logDrivers: NameList;
  /** `ALLOW_VOLUME_DRIVERS`: volume drivers (plugins) other than local. */
  readonly volumeDrivers: NameList;
  /** `ALLOW_PLUGINS`: installing and configuring engine plugins. */
  readonly plugins: boolean;
  /** `ALLOW_REMOTE`: the engine fetching from or connecting to addresses on the host's network. */
  readonly remote: boolean;
  /** `ALLOW_BUILDKIT`: BuildKit's `/grpc` API, which the proxy cannot inspect. */
  readonly buildkit: boolean;
}

export class SettingError extends Error {
  override name = "SettingError";
  constructor(readonly setting: string, message: string) {
    super(message);
  }
}

/** Every setting name this module reads. */
export const ADMISSION_SETTING_NAMES: readonly string[] = [
  "HOST_ACCESS",
  "MAX_BODY_SIZE",
  "ALLOW_PRIVILEGED",
  "ALLOW_BIND_MOUNTS",
  "ALLOW_DEVICES",
  "ALLOW_CAPABILITIES",
  "ALLOW_HOST_NETWORK",
  "ALLOW_HOST_NAMESPACES",
  "ALLOW_JOIN_CONTAINERS",
  "ALLOW_UNCONFINED",
  "ALLOW_SYSCTLS",
  "ALLOW_RUNTIMES",
  "ALLOW_CGROUP_PARENT",
  "ALLOW_OOM_SCORE_ADJ",
  "ALLOW_LOG_DRIVERS",
  "ALLOW_VOLUME_DRIVERS",
  "ALLOW_PLUGINS",
  "ALLOW_REMOTE",
  "ALLOW_BUILDKIT",
];

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);
const ALL_WORDS = new Set(["all", "*", ...TRUE_WORDS]);

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value));
}

function invalid(name: string, value: unknown, want: string): never {
  throw new SettingError(name, `Invalid value for ${name}: ${show(value)} (${want})`);
}

/** `1/0`, `true/false`, `yes/no`, `on/off` (any case), a YAML boolean, or the numbers 1 and 0. */
export function parseBool(name: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === "string") {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  invalid(name, value, "use 1/0, true/false, yes/no or on/off");
}

/** A list: a comma-separated string or an array of strings, blanks dropped. */
export function parseList(name: string, value: unknown, want: string): string[] {
  let items: unknown[];
  if (typeof value === "string") items = value.split(",");
  else if (Array.isArray(value)) items = value;
  else invalid(name, value, want);
  return items.map((item) => {
    if (typeof item !== "string") invalid(name, value, want);
    return item.trim();
  }).filter((item) => item !== "");
}

/** `1`/`true`/`ALL` (or a YAML `true`) for everything, `0`/`false` or empty for nothing, else names. */
function parseNameList(
  name: string,
  value: unknown,
  want: string,
  check: (item: string) => string | undefined,
): NameList {
  if (value === true || value === 1) return { all: true, names: [] };
  if (value === false || value === 0) return { all: false, names: [] };
  const items = parseList(name, value, want);
  if (items.length === 1 && ALL_WORDS.has(items[0].toLowerCase())) return { all: true, names: [] };
  if (items.length === 1 && FALSE_WORDS.has(items[0].toLowerCase())) {
    return { all: false, names: [] };
  }
  const names: string[] = [];
  for (const item of items) {
    const normal = check(item);
    if (normal === undefined) invalid(name, item, want);
    names.push(normal);
  }
  return { all: false, names };
}

/** Whether `path` is a canonical absolute path: no `.`, `..` or empty segments. */
export function isCanonicalAbsolutePath(path: string): boolean {
  if (path === "/") return true;
  if (!path.startsWith("/") || path.endsWith("/")) return false;
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(path)) return false;
  return path.slice(1).split("/").every((segment) =>
    segment !== "" && segment !== "." && segment !== ".."
  );
}

function parseBindMounts(name: string, value: unknown): HostPathRule[] {
  const want = "want absolute host paths, optionally with :ro";
  if (value === false || value === 0) return [];
  const items = parseList(name, value, want);
  if (items.length === 1 && FALSE_WORDS.has(items[0].toLowerCase())) return [];
  const rules: HostPathRule[] = [];
  for (const item of items) {
    let path = item;
    let readOnly = false;
    const match = /^(.*):(ro|rw)$/.exec(item);
    if (match) {
      path = match[1];
      readOnly = match[2] === "ro";
    }
    if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
    if (!isCanonicalAbsolutePath(path) || path.includes(":")) invalid(name, item, want);
    rules.push({ path, readOnly });
  }
  return rules;
}

function parseDevices(name: string, value: unknown): AdmissionSettings["devices"] {
  const want = "want 1/ALL, or absolute host device paths such as /dev/dri";
  const list = parseNameList(name, value, want, (item) => {
    const path = item.length > 1 && item.endsWith("/") ? item.slice(0, -1) : item;
    return isCanonicalAbsolutePath(path) ? path : undefined;
  });
  return { all: list.all, paths: list.names };
}

/** `net_admin`, `CAP_NET_ADMIN` -> `NET_ADMIN`, as the engines normalise capabilities. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith("CAP_") ? upper.slice(4) : upper;
}

/** Parses a byte size: `1048576`, `512k`, `2m`, `1MiB`, `1MB` (binary units). */
export function parseByteSize(name: string, value: unknown): number {
  const want = "want bytes, or a size such as 512k, 2m, 1MiB";
  let bytes: number;
  if (typeof value === "number") {
    bytes = value;
  } else if (typeof value === "string") {
    const match = /^\s*([0-9]+)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)\s*$/i.exec(value);
    if (!match) invalid(name, value, want);
    const unit = match[2].toLowerCase()[0] ?? "";
    const scale = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
    bytes = Number(match[1]) * scale;
  } else {
    invalid(name, value, want);
  }
  if (!Number.isSafeInteger(bytes) || bytes < 1024 || bytes > 1024 ** 3) {
    invalid(name, value, "want a size from 1k to 1g");
  }
  return bytes;
}

const CAPABILITY = /^[A-Z_]+$/;
const SYSCTL = /^[a-z0-9_-]+(?:[./][a-zA-Z0-9_*-]+)*$/;

/**
 * Parses the admission settings. `values` holds the settings by name (absent
 * ones take their defaults); `defaults.hostAccess` is `HOST_ACCESS`'s default
 * (`true` from the environment, for drop-in compatibility). Throws
 * `SettingError` naming the setting.
 */
export function parseAdmissionSettings(
  values: Readonly<Record<string, unknown>>,
  defaults: { hostAccess: boolean },
): AdmissionSettings {
  const get = (name: string): unknown => Object.hasOwn(values, name) ? values[name] : undefined;
  const bool = (name: string, fallback = false): boolean => {
    const value = get(name);
    return value === undefined ? fallback : parseBool(name, value);
  };
  const names = (name: string, want: string, check: (item: string) => string | undefined) => {
    const value = get(name);
    return value === undefined
      ? { all: false, names: [] }
      : parseNameList(name, value, want, check);
  };
  const plainName = (item: string) =>
    /^[A-Za-z0-9][A-Za-z0-9_.:/@-]*$/.test(item) ? item : undefined;

  const maxBody = get("MAX_BODY_SIZE");
  return {
    hostAccess: bool("HOST_ACCESS", defaults.hostAccess),
    maxBodyBytes: maxBody === undefined
      ? DEFAULT_MAX_BODY_BYTES
      : parseByteSize("MAX_BODY_SIZE", maxBody),
    privileged: bool("ALLOW_PRIVILEGED"),
    bindMounts: get("ALLOW_BIND_MOUNTS") === undefined
      ? []
      : parseBindMounts("ALLOW_BIND_MOUNTS", get("ALLOW_BIND_MOUNTS")),
    devices: get("ALLOW_DEVICES") === undefined
      ? { all: false, paths: [] }
      : parseDevices("ALLOW_DEVICES", get("ALLOW_DEVICES")),
    capabilities: names(
      "ALLOW_CAPABILITIES",
      "want ALL, or capability names such as NET_ADMIN,SYS_TIME",
      (item) => {
        const cap = normalizeCapability(item);
        return CAPABILITY.test(cap) && cap !== "ALL" ? cap : undefined;
      },
    ),
    hostNetwork: bool("ALLOW_HOST_NETWORK"),
    hostNamespaces: bool("ALLOW_HOST_NAMESPACES"),
    joinContainers: bool("ALLOW_JOIN_CONTAINERS"),
    unconfined: bool("ALLOW_UNCONFINED"),
    sysctls: names(
      "ALLOW_SYSCTLS",
      "want ALL, or sysctl names such as kernel.msgmax or prefixes such as fs.mqueue.*",
      (item) => {
        const normal = item.replaceAll("/", ".");
        return SYSCTL.test(normal) && !normal.slice(0, -1).includes("*") &&
            (!normal.includes("*") || normal.endsWith(".*"))
          ? normal
          : undefined;
      },
    ),
    runtimes: names("ALLOW_RUNTIMES", "want ALL, or runtime names such as nvidia,runsc", plainName),
    cgroupParent: bool("ALLOW_CGROUP_PARENT"),
    oomScoreAdj: bool("ALLOW_OOM_SCORE_ADJ"),
    logDrivers: names(
      "ALLOW_LOG_DRIVERS",
      "want ALL, or log driver names such as syslog,gelf",
      plainName,
    ),
    volumeDrivers: names(
      "ALLOW_VOLUME_DRIVERS",
      "want ALL, or volume driver names such as rclone",
      plainName,
    ),
    plugins: bool("ALLOW_PLUGINS"),
    remote: bool("ALLOW_REMOTE"),
    buildkit: bool("ALLOW_BUILDKIT"),
  };
}

/** The settings with everything refused: `HOST_ACCESS=0` and no allowances. */
export function strictSettings(
  overrides: Readonly<Record<string, unknown>> = {},
): AdmissionSettings {
  return parseAdmissionSettings({ HOST_ACCESS: "0", ...overrides }, { hostAccess: false });
}
