/**
 * Docker's `Mount` objects (`HostConfig.Mounts`, a service's
 * `ContainerSpec.Mounts`): binds against `ALLOW_BIND_MOUNTS`, volumes with
 * inline driver options against the volume rules, everything else by type.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { readArray, readStruct, type Where } from "./go_fields.ts";
import type { GoJsonValue } from "./go_json.ts";
import { checkBindSource, checkPropagation } from "./host_paths.ts";
import { forbid, quote } from "./refusal.ts";
import { checkVolumeOptions } from "./volume_options.ts";

export const MOUNT_FIELDS = [
  "Type",
  "Source",
  "Target",
  "ReadOnly",
  "Consistency",
  "BindOptions",
  "VolumeOptions",
  "ImageOptions",
  "TmpfsOptions",
  "ClusterOptions",
];
const BIND_OPTIONS = [
  "Propagation",
  "NonRecursive",
  "CreateMountpoint",
  "ReadOnlyNonRecursive",
  "ReadOnlyForceRecursive",
];
const VOLUME_OPTIONS = ["NoCopy", "Labels", "Subpath", "DriverConfig"];
const DRIVER = ["Name", "Options"];
const TMPFS_OPTIONS = ["SizeBytes", "Mode", "Options"];
const IMAGE_OPTIONS = ["Subpath"];

/** Mount types that take no host path. */
const SAFE_TYPES = new Set(["volume", "tmpfs", "image", "cluster"]);

/** Checks one `Mount`. */
export function checkMount(settings: AdmissionSettings, value: GoJsonValue, where: Where): void {
  const mount = readStruct(value, where, MOUNT_FIELDS);
  const type = mount.str("Type");
  const bind = mount.struct("BindOptions", BIND_OPTIONS);
  const volume = mount.struct("VolumeOptions", VOLUME_OPTIONS);
  mount.struct("TmpfsOptions", TMPFS_OPTIONS);
  mount.struct("ImageOptions", IMAGE_OPTIONS);
  mount.struct("ClusterOptions", []);

  // Options for another type are ignored (API < 1.42) or refused; check them anyway.
  if (volume !== undefined) {
    const driver = volume.struct("DriverConfig", DRIVER);
    volume.map("Labels");
    if (driver !== undefined) {
      checkVolumeOptions(
        settings,
        volume.at("DriverConfig"),
        driver.str("Name"),
        driver.map("Options"),
        "docker",
      );
    }
  }
  const propagation = bind?.str("Propagation") ?? "";
  const readOnly = mount.bool("ReadOnly");
  const what = `${where.label} (type ${quote(type)}, source ${quote(mount.str("Source"))})`;
  if (type === "bind") {
    checkPropagation(settings, where, what, propagation);
    if (readOnly && bind?.bool("ReadOnlyNonRecursive")) {
      // Read-only only at the top: mounts below the source stay writable.
      checkBindSource(settings, where, what, { source: mount.str("Source"), readOnly: false });
    }
    checkBindSource(settings, where, what, {
      source: mount.str("Source"),
      readOnly,
      writesHost: bind?.bool("CreateMountpoint")
        ? "creates the host path (CreateMountpoint)"
        : undefined,
    });
    return;
  }
  if (propagation !== "") checkPropagation(settings, where, what, propagation);
  if (SAFE_TYPES.has(type)) return;
  if (type === "npipe") forbid(where.path, `${what}: a host named pipe`, "HOST_ACCESS=1");
  forbid(
    where.path,
    what,
    "HOST_ACCESS=1",
    "has a mount type this proxy does not know; it needs HOST_ACCESS=1",
  );
}

/** Checks a list of `Mount`s. */
export function checkMounts(
  settings: AdmissionSettings,
  value: GoJsonValue | undefined,
  where: Where,
): void {
  for (const [i, item] of readArray(value, where).entries()) {
    checkMount(settings, item, where.index(i));
  }
}
