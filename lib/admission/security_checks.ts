/**
 * Checks shared by the Docker and libpod bodies: capabilities, sysctls,
 * security options, masked paths, OCI runtimes, log drivers and annotations.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { normalizeCapability } from "./admission_settings.ts";
import type { Where } from "./go_fields.ts";
import { coversPath } from "./host_paths.ts";
import { forbid, quote } from "./refusal.ts";

/** Docker's default capabilities: adding one changes nothing. */
export const DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "NET_RAW",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

/** Refuses capabilities beyond the default set that `ALLOW_CAPABILITIES` does not list. */
export function checkCapabilities(
  settings: AdmissionSettings,
  where: Where,
  capabilities: readonly string[],
): void {
  for (const [i, raw] of capabilities.entries()) {
    const cap = normalizeCapability(raw);
    if (DEFAULT_CAPABILITIES.has(cap) || settings.capabilities.all) continue;
    const at = where.index(i);
    if (cap === "ALL") forbid(at.path, `${at.label} ${quote(raw)}`, "ALLOW_CAPABILITIES=ALL");
    if (!settings.capabilities.names.includes(cap)) {
      forbid(
        at.path,
        `${at.label} ${quote(raw)}`,
        "ALLOW_CAPABILITIES",
        `needs ALLOW_CAPABILITIES to include ${cap}`,
      );
    }
  }
}

/** What a container shares with the host, which makes namespaced sysctls global. */
export interface SharedNamespaces {
  readonly network: boolean;
  readonly ipc: boolean;
  readonly uts: boolean;
}

const IPC_SYSCTLS = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

function namespacedSysctl(name: string, shared: SharedNamespaces): boolean {
  if (name.startsWith("net.")) return !shared.network;
  if (IPC_SYSCTLS.has(name) || name.startsWith("fs.mqueue.")) return !shared.ipc;
  if (name === "kernel.hostname" || name === "kernel.domainname") return !shared.uts;
  return false;
}

/**
 * Refuses sysctls that are not namespaced (or whose namespace is the host's)
 * unless `ALLOW_SYSCTLS` lists them.
 */
export function checkSysctls(
  settings: AdmissionSettings,
  where: Where,
  sysctls: ReadonlyMap<string, string>,
  shared: SharedNamespaces,
): void {
  for (const raw of sysctls.keys()) {
    const name = raw.replaceAll("/", ".");
    if (namespacedSysctl(name, shared) || settings.sysctls.all) continue;
    const listed = settings.sysctls.names.some((entry) =>
      entry.endsWith(".*") ? name.startsWith(entry.slice(0, -1)) : entry === name
    );
    if (!listed) {
      const at = where.key(raw);
      forbid(
        at.path,
        `${at.label} (not namespaced, or in a namespace shared with the host)`,
        "ALLOW_SYSCTLS",
        `needs ALLOW_SYSCTLS to include ${name}`,
      );
    }
  }
}

/**
 * Refuses Docker security options that loosen confinement. Accepted without
 * `ALLOW_UNCONFINED`: `no-new-privileges` in every form, the default seccomp
 * profile (`builtin`) and AppArmor's `docker-default`, and `mask=` (podman).
 */
export function checkSecurityOpts(
  settings: AdmissionSettings,
  where: Where,
  options: readonly string[],
): void {
  for (const [i, option] of options.entries()) {
    const at = where.index(i);
    const what = `${at.label} ${quote(option)}`;
    if (option === "no-new-privileges") continue;
    let key = "";
    let value = "";
    const separator = option.includes("=") ? "=" : option.includes(":") ? ":" : "";
    if (separator !== "") {
      key = option.slice(0, option.indexOf(separator));
      value = option.slice(option.indexOf(separator) + 1);
    }
    const safe = key === "no-new-privileges" ||
      (key === "seccomp" && (value === "" || value === "builtin" || value === "default")) ||
      (key === "apparmor" && (value === "" || value === "docker-default")) ||
      (key === "writable-cgroups" && /^(0|f|F|false|FALSE|False)$/.test(value)) ||
      key === "mask";
    if (safe || settings.unconfined) continue;
    const known = ["label", "seccomp", "apparmor", "writable-cgroups", "systempaths", "unmask"];
    if (option === "disable" || option === "writable-cgroups" || known.includes(key)) {
      forbid(at.path, what, "ALLOW_UNCONFINED=1");
    }
    forbid(
      at.path,
      what,
      "ALLOW_UNCONFINED=1",
      "is a security option this proxy does not know; it needs ALLOW_UNCONFINED=1",
    );
  }
}

/** Paths every engine since 20.10 masks by default. */
const BASE_MASKED_PATHS = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/sys/firmware",
];
/** Paths newer engines mask too (GHSA-6fw5-f8r9-fgfm, GHSA-jq35-85cj-fj4p). */
const NEWER_MASKED_PATHS = ["/proc/interrupts", "/sys/devices/virtual/powercap"];
/**
 * Older engines' whole default lists, as `docker inspect` shows them and a
 * recreate sends them back: 20.10's, and 24.0 to 28.0.1's (with powercap, not
 * yet /proc/interrupts; dockerd 26.1.5 in the engine matrix showed it).
 */
const OLDER_DEFAULT_LISTS = [
  BASE_MASKED_PATHS,
  [...BASE_MASKED_PATHS, "/sys/devices/virtual/powercap"],
];
const DEFAULT_READONLY_PATHS = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

function covered(defaults: readonly string[], paths: readonly string[]): string | undefined {
  return defaults.find((path) => !paths.some((sent) => coversPath(sent, path)));
}

/**
 * Refuses `MaskedPaths`/`ReadonlyPaths` lists (which replace the engine's
 * defaults) that leave out a default path. A list equal to an older engine's
 * defaults (as a container recreated from `docker inspect` sends) is accepted.
 */
export function checkMaskedPaths(
  settings: AdmissionSettings,
  where: Where,
  kind: "masked" | "readonly",
  paths: readonly string[],
): void {
  if (settings.unconfined) return;
  let missing: string | undefined;
  if (kind === "readonly") {
    missing = covered(DEFAULT_READONLY_PATHS, paths);
  } else {
    missing = covered(BASE_MASKED_PATHS, paths);
    const older = OLDER_DEFAULT_LISTS.some((list) =>
      new Set(paths).size === list.length && list.every((path) => paths.includes(path))
    );
    if (missing === undefined && !older) missing = covered(NEWER_MASKED_PATHS, paths);
  }
  if (missing !== undefined) {
    forbid(
      where.path,
      `${where.label} leaves ${missing} ${kind === "masked" ? "unmasked" : "writable"}, which`,
      "ALLOW_UNCONFINED=1",
    );
  }
}

const DEFAULT_RUNTIMES = new Set(["", "runc", "crun", "io.containerd.runc.v2"]);

/** Refuses an OCI runtime other than runc and crun unless `ALLOW_RUNTIMES` lists it. */
export function checkRuntime(settings: AdmissionSettings, where: Where, runtime: string): void {
  if (DEFAULT_RUNTIMES.has(runtime) || settings.runtimes.all) return;
  if (settings.runtimes.names.includes(runtime)) return;
  forbid(
    where.path,
    `${where.label} ${quote(runtime)}`,
    "ALLOW_RUNTIMES",
    `needs ALLOW_RUNTIMES to include ${runtime}`,
  );
}

/** Log drivers that write only where the engine decides. */
const LOCAL_LOG_DRIVERS = new Set(["", "json-file", "local", "journald", "k8s-file", "none"]);

/**
 * Refuses a log driver that is not local (network drivers connect to
 * addresses on the host's network, plugins run as root) unless
 * `ALLOW_LOG_DRIVERS` lists it. Options naming unix sockets or files are host
 * paths, refused even then.
 */
export function checkLogDriver(
  settings: AdmissionSettings,
  where: Where,
  driver: string,
  options: ReadonlyMap<string, string>,
): void {
  if (!LOCAL_LOG_DRIVERS.has(driver)) {
    if (!settings.logDrivers.all && !settings.logDrivers.names.includes(driver)) {
      forbid(
        where.path,
        `${where.label} log driver ${quote(driver)}`,
        "ALLOW_LOG_DRIVERS",
        `needs ALLOW_LOG_DRIVERS to include ${driver}`,
      );
    }
  }
  for (const [key, value] of options) {
    if (/^\s*unix(gram)?:/i.test(value) || key === "path") {
      forbid(
        where.path,
        `${where.label} log option ${key}=${quote(value)} (a host path)`,
        "HOST_ACCESS=1",
      );
    }
  }
}

/**
 * Annotation key prefixes OCI runtimes, hooks and podman act on: crun's
 * `run.oci.*` (seccomp receivers and plugins, hook output files), CRIU's
 * configuration file, Kata's and gVisor's settings, the seccomp tracing hook's
 * output file.
 */
const RUNTIME_ANNOTATIONS = [
  "run.oci.",
  "org.criu.",
  "io.katacontainers.",
  "dev.gvisor.",
  "io.containers.trace-syscall",
  "module.wasm.image/",
];
/** Harmless `run.oci.*` annotations podman's own client sends. */
const SAFE_RUNTIME_ANNOTATIONS = new Set([
  "run.oci.keep_original_groups",
  "run.oci.mount_context_type",
]);

/** Refuses annotations in the namespaces of runtimes and hooks. */
export function checkAnnotations(where: Where, annotations: ReadonlyMap<string, string>): void {
  for (const key of annotations.keys()) {
    const lower = key.toLowerCase();
    if (SAFE_RUNTIME_ANNOTATIONS.has(lower)) continue;
    if (RUNTIME_ANNOTATIONS.some((prefix) => lower.startsWith(prefix))) {
      const at = where.key(key);
      forbid(at.path, `${at.label} (read by the OCI runtime or its hooks)`, "HOST_ACCESS=1");
    }
  }
}
