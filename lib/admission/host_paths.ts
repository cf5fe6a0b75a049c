/**
 * Host paths a request asks the engine to mount: checked against
 * `ALLOW_BIND_MOUNTS` (prefixes of whole segments, optionally read-only) and
 * `ALLOW_DEVICES`. A path must be canonical, so that what is checked is what
 * the engine mounts: `..`, `.`, `//`, backslashes and control characters are
 * refused with 400. The engine follows symlinks in a bind source; a client
 * that can write under an allowed prefix can plant one (see docs/admission.md).
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { isCanonicalAbsolutePath } from "./admission_settings.ts";
import type { Where } from "./go_fields.ts";
import { forbid, malformed, quote } from "./refusal.ts";

/** Whether `prefix` covers `path` by whole segments. */
export function coversPath(prefix: string, path: string): boolean {
  return prefix === "/" || path === prefix || path.startsWith(prefix + "/");
}

/** `path` with one trailing slash removed, or a 400 when it is not canonical. */
function canonical(path: string, where: Where, what: string): string {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  if (!isCanonicalAbsolutePath(trimmed)) {
    malformed(
      `${what} has a host path that is not absolute and canonical (no .., ., //, \\ or control characters): ${
        quote(path)
      }`,
      where.path,
    );
  }
  return trimmed;
}

export interface BindRequest {
  /** The host path, as sent. */
  readonly source: string;
  /** Whether the mount is read-only. */
  readonly readOnly: boolean;
  /** Whether the engine also writes to the host path (creates it, chowns or relabels it). */
  readonly writesHost?: string;
}

/**
 * Refuses a bind mount of `request.source` that `ALLOW_BIND_MOUNTS` does not
 * cover. `what` describes the field and value for messages.
 */
export function checkBindSource(
  settings: AdmissionSettings,
  where: Where,
  what: string,
  request: BindRequest,
): void {
  const path = canonical(request.source, where, what);
  const rules = settings.bindMounts.filter((rule) => coversPath(rule.path, path));
  if (rules.length === 0) {
    forbid(where.path, what, "ALLOW_BIND_MOUNTS", `needs ALLOW_BIND_MOUNTS to cover ${path}`);
  }
  if (rules.some((rule) => !rule.readOnly)) return;
  const prefix = rules[0].path;
  if (!request.readOnly) {
    forbid(
      where.path,
      what,
      "ALLOW_BIND_MOUNTS",
      `is read-write, and ALLOW_BIND_MOUNTS allows ${prefix} read-only (mount it read-only, or allow ${prefix} without :ro)`,
    );
  }
  if (request.writesHost !== undefined) {
    forbid(
      where.path,
      what,
      "ALLOW_BIND_MOUNTS",
      `${request.writesHost}, and ALLOW_BIND_MOUNTS allows ${prefix} read-only`,
    );
  }
}

/** Refuses a host device path that `ALLOW_DEVICES` does not cover. */
export function checkDevicePath(
  settings: AdmissionSettings,
  where: Where,
  what: string,
  hostPath: string,
): void {
  if (settings.devices.all) return;
  const path = canonical(hostPath, where, what);
  if (settings.devices.paths.some((prefix) => coversPath(prefix, path))) return;
  forbid(where.path, what, "ALLOW_DEVICES", `needs ALLOW_DEVICES to cover ${path}`);
}

/** Refuses what only `ALLOW_DEVICES=ALL` allows (device rules, GPU requests). */
export function checkAllDevices(settings: AdmissionSettings, where: Where, what: string): void {
  if (!settings.devices.all) forbid(where.path, what, "ALLOW_DEVICES=ALL");
}

const PROPAGATIONS = new Set(["private", "rprivate", "slave", "rslave", "shared", "rshared"]);

/** Refuses shared mount propagation, which lets a container's mounts reach the host. */
export function checkPropagation(
  settings: AdmissionSettings,
  where: Where,
  what: string,
  propagation: string,
): void {
  if (propagation === "shared" || propagation === "rshared") {
    if (!settings.privileged) {
      forbid(
        where.path,
        `${what} (propagation ${propagation}: mounts made in the container appear on the host)`,
        "ALLOW_PRIVILEGED=1",
      );
    }
  }
}

/** A bind or volume in Docker's `Binds` syntax, as the engine's Linux parser splits it. */
export interface BindSpec {
  /** Empty for an anonymous volume. */
  readonly source: string;
  readonly target: string;
  readonly options: readonly string[];
  /** A host path (starts with `/`, or `.` for podman) rather than a volume name. */
  readonly isHostPath: boolean;
  readonly readOnly: boolean;
}

/** Splits a `Binds` entry (`src:dst[:opts]`) as moby's Linux parser does. */
export function parseBindSpec(raw: string, where: Where): BindSpec {
  const parts = raw.split(":");
  if (parts[0] === "" || parts.length > 3) {
    malformed(
      `${where.label}: ${quote(raw)} is not a valid bind (want src:dst[:options])`,
      where.path,
    );
  }
  if (parts.length === 1) {
    return { source: "", target: parts[0], options: [], isHostPath: false, readOnly: false };
  }
  const options = parts.length === 3 ? parts[2].split(",") : [];
  return {
    source: parts[0],
    target: parts[1],
    options,
    // Podman resolves a source starting with `.` against its working directory.
    isHostPath: parts[0].startsWith("/") || parts[0].startsWith("."),
    readOnly: options.includes("ro"),
  };
}

/**
 * Checks a `Binds` entry (or podman's `-v` syntax): host paths against
 * `ALLOW_BIND_MOUNTS`, with its options. Relabelling (`z`, `Z`) and chowning
 * (`U`, podman) write to the host path; an overlay's `upperdir`/`workdir`
 * (podman) are host paths written to.
 */
export function checkBind(settings: AdmissionSettings, where: Where, raw: string): BindSpec {
  const spec = parseBindSpec(raw, where);
  if (!spec.isHostPath) return spec;
  const what = `${where.label} ${quote(raw)}`;
  let writesHost: string | undefined;
  for (const option of spec.options) {
    if (PROPAGATIONS.has(option)) checkPropagation(settings, where, what, option);
    if (option === "z" || option === "Z") writesHost = "relabels the host files (:z/:Z)";
    if (option === "U" || option === "chown") writesHost = "changes the host files' owner (:U)";
    // Podman takes any option starting so, and all after its first `=`.
    if (option.startsWith("upperdir") || option.startsWith("workdir")) {
      const equals = option.indexOf("=");
      const source = equals < 0 ? "" : option.slice(equals + 1);
      checkBindSource(settings, where, what, { source, readOnly: false });
    }
  }
  checkBindSource(settings, where, what, {
    source: spec.source,
    readOnly: spec.readOnly,
    writesHost,
  });
  return spec;
}
