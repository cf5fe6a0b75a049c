/**
 * Volume drivers and the local driver's options. A plugin driver can mount
 * anything it likes, so drivers other than `local` need `ALLOW_VOLUME_DRIVERS`.
 * The local driver runs `mount(2)` on the host with the client's `type`,
 * `device` and `o`: a bind (`o=bind`) of a host path, a block device, an
 * overlay of host directories, or a network filesystem the host connects to.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import type { Where } from "./go_fields.ts";
import { checkBindSource, checkDevicePath } from "./host_paths.ts";
import { forbid, quote } from "./refusal.ts";

/** Built-in drivers that only keep data under the engine's own directory. */
const LOCAL_DRIVERS = new Set(["", "local"]);
/** Podman's `image` driver mounts an image's content; it takes no host path. */
const PODMAN_DRIVERS = new Set(["", "local", "image"]);
const NETWORK_FILESYSTEMS = new Set(["nfs", "nfs4", "cifs", "smb3", "smbfs", "9p"]);

export type VolumeFlavor = "docker" | "podman";

/** Refuses a volume driver other than the built-in ones unless `ALLOW_VOLUME_DRIVERS` lists it. */
export function checkVolumeDriver(
  settings: AdmissionSettings,
  where: Where,
  driver: string,
  flavor: VolumeFlavor,
): void {
  const builtIn = flavor === "docker" ? LOCAL_DRIVERS : PODMAN_DRIVERS;
  if (builtIn.has(driver) || settings.volumeDrivers.all) return;
  if (settings.volumeDrivers.names.includes(driver)) return;
  forbid(
    where.path,
    `${where.label} volume driver ${quote(driver)} (a plugin)`,
    "ALLOW_VOLUME_DRIVERS",
    `needs ALLOW_VOLUME_DRIVERS to include ${driver}`,
  );
}

/** Whether a comma-separated mount option list ends read-only (the last of ro/rw wins). */
function readOnlyOptions(options: readonly string[]): boolean {
  let readOnly = false;
  for (const option of options) {
    if (option === "ro") readOnly = true;
    if (option === "rw") readOnly = false;
  }
  return readOnly;
}

const DOCKER_KEYS = new Set(["type", "o", "device", "size"]);
const PODMAN_KEYS = new Set([
  "type",
  "o",
  "device",
  "size",
  "inodes",
  "uid",
  "gid",
  "noquota",
  "timeout",
  "copy",
  "nocopy",
  "image",
]);

/**
 * Checks a volume's driver (at `where`) and its options (at `optionsAt`), for a
 * driver that `checkVolumeDriver` allowed. Options of a plugin driver are the
 * plugin's business.
 */
export function checkVolumeOptions(
  settings: AdmissionSettings,
  where: Where,
  driver: string,
  options: ReadonlyMap<string, string>,
  flavor: VolumeFlavor,
  optionsAt: Where = where,
): void {
  checkVolumeDriver(settings, where, driver, flavor);
  where = optionsAt;
  if (driver !== "" && driver !== "local") return;
  if (options.size === 0) return;
  // Podman matches option names case-insensitively; Docker exactly.
  const values = new Map<string, string>();
  for (const [raw, value] of options) {
    const key = flavor === "podman" ? raw.toLowerCase() : raw;
    const known = flavor === "podman" ? PODMAN_KEYS : DOCKER_KEYS;
    const at = where.key(raw);
    if (!known.has(key) || values.has(key)) {
      forbid(
        at.path,
        `${at.label}`,
        "HOST_ACCESS=1",
        "is not a local volume option this proxy knows; it needs HOST_ACCESS=1",
      );
    }
    values.set(key, value);
  }
  const type = (values.get("type") ?? "").trim().toLowerCase();
  const device = values.get("device") ?? "";
  const mountOptions = (values.get("o") ?? "").split(",").map((option) => option.trim());
  const lowered = mountOptions.map((option) => option.toLowerCase());
  const what = `${where.label} (local volume type=${quote(type)} device=${quote(device)} o=${
    quote(values.get("o") ?? "")
  })`;

  if (lowered.includes("bind") || lowered.includes("rbind")) {
    checkBindSource(settings, where, what, {
      source: device,
      readOnly: readOnlyOptions(lowered),
    });
    return;
  }
  if (type === "" && device === "") return;
  if (type === "tmpfs" || type === "ramfs") return;
  if (NETWORK_FILESYSTEMS.has(type)) {
    if (!settings.remote) {
      forbid(where.path, `${what}: the host mounts a network filesystem, which`, "ALLOW_REMOTE=1");
    }
    return;
  }
  if (device.startsWith("/dev/") && type !== "overlay") {
    checkDevicePath(settings, where, what, device);
    return;
  }
  forbid(where.path, `${what}: the host mounts it`, "HOST_ACCESS=1");
}
