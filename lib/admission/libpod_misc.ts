/**
 * The other requests that reach the host through a body or a query: volume
 * creation (Docker's and podman's local driver options), podman's container
 * update, image imports from URLs or server paths, secrets with host-side
 * drivers, checkpoint restores and checkpoint directories.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { readStruct, Where } from "./go_fields.ts";
import type { GoJsonValue } from "./go_json.ts";
import { checkAllDevices } from "./host_paths.ts";
import { checkHostFile } from "./libpod_spec.ts";
import {
  isHttpUrl,
  paramValues,
  type QueryParams,
  singleParam,
  truthyParam,
} from "./query_params.ts";
import { LINUX_RESOURCES } from "./libpod_fields.ts";
import { forbid, quote } from "./refusal.ts";
import { checkVolumeOptions } from "./volume_options.ts";

/** `VolumeCreate`: a driver and its options; a cluster volume's driver is a CSI plugin. */
export function checkVolumeCreate(settings: AdmissionSettings, body: GoJsonValue): void {
  const spec = readStruct(body, new Where(""), [
    "Name",
    "Driver",
    "DriverOpts",
    "Labels",
    "ClusterVolumeSpec",
  ]);
  spec.map("Labels");
  checkVolumeOptions(
    settings,
    spec.at("Driver"),
    spec.str("Driver"),
    spec.map("DriverOpts"),
    "docker",
    spec.at("DriverOpts"),
  );
}

/** `LibpodVolumeCreate`: podman's local driver reads its options case-insensitively. */
export function checkLibpodVolumeCreate(settings: AdmissionSettings, body: GoJsonValue): void {
  const spec = readStruct(body, new Where(""), [
    "Name",
    "Driver",
    "Label",
    "Labels",
    "Options",
    "IgnoreIfExists",
    "UID",
    "GID",
  ]);
  spec.map("Label");
  spec.map("Labels");
  checkVolumeOptions(
    settings,
    spec.at("Driver"),
    spec.str("Driver"),
    spec.map("Options"),
    "podman",
    spec.at("Options"),
  );
}

const UPDATE_EXTRA = [
  "BlkIOWeightDevice",
  "DeviceReadBPs",
  "DeviceWriteBPs",
  "DeviceReadIOPs",
  "DeviceWriteIOPs",
  "Env",
  "UnsetEnv",
  "r_limits",
  "health_log_destination",
  "health_max_log_size",
  "health_max_log_count",
  "health_on_failure",
  "no_healthcheck",
  "health_cmd",
  "health_interval",
  "health_retries",
  "health_timeout",
  "health_start_period",
  "health_startup_cmd",
  "health_startup_interval",
  "health_startup_retries",
  "health_startup_timeout",
  "health_startup_success",
];

/** `LibpodContainerUpdate`: device cgroup rules, and the health log directory. */
export function checkLibpodContainerUpdate(settings: AdmissionSettings, body: GoJsonValue): void {
  const update = readStruct(body, new Where(""), [...LINUX_RESOURCES, ...UPDATE_EXTRA]);
  if (update.list("devices").length > 0) {
    checkAllDevices(
      settings,
      update.at("devices"),
      `${update.at("devices").label} (device cgroup rules)`,
    );
  }
  for (const key of update.map("unified").keys()) {
    if (!/^[a-z0-9_]+\.[a-z0-9_.]+$/.test(key)) {
      forbid(
        "unified",
        `Cgroup file ${quote(key)} in unified`,
        "HOST_ACCESS=1",
        "is not a cgroup file name; it needs HOST_ACCESS=1",
      );
    }
  }
  const destination = update.str("health_log_destination");
  if (!["", "local", "events"].includes(destination)) {
    checkHostFile(
      settings,
      update,
      "health_log_destination",
      "a directory podman writes health logs to",
    );
  }
}

/** `CheckpointCreate` (Docker, experimental): a checkpoint directory is a host path. */
export function checkCheckpointCreate(settings: AdmissionSettings, body: GoJsonValue): void {
  void settings;
  const spec = readStruct(body, new Where(""), ["CheckpointID", "CheckpointDir", "Exit"]);
  if (spec.str("CheckpointDir") !== "") {
    forbid(
      "CheckpointDir",
      `CheckpointDir ${quote(spec.str("CheckpointDir"))} (a host directory)`,
      "HOST_ACCESS=1",
    );
  }
}

/** `ContainerStart`'s query: restoring from a checkpoint directory reads a host path. */
export function checkStartQuery(query: QueryParams): void {
  const dir = singleParam(query, "checkpoint-dir");
  if (dir !== "") {
    forbid(
      "checkpoint-dir",
      `Start checkpoint-dir=${quote(dir)} (a host directory)`,
      "HOST_ACCESS=1",
    );
  }
}

/**
 * A source to import an image from: `-` (the body) is fine, an http(s) URL is
 * fetched by the engine, anything else podman reads as a path on the host.
 */
function checkImportSource(settings: AdmissionSettings, name: string, source: string): void {
  if (source === "" || source === "-") return;
  if (isHttpUrl(source)) {
    if (!settings.remote) {
      forbid(name, `${name}=${quote(source)} (the engine fetches it)`, "ALLOW_REMOTE=1");
    }
    return;
  }
  forbid(
    name,
    `${name}=${quote(source)} (a path or URL the engine opens on the host)`,
    "HOST_ACCESS=1",
  );
}

/** `ImageCreate`: `fromSrc` imports from a URL (or, on podman, a host path). */
export function checkImageCreateQuery(settings: AdmissionSettings, query: QueryParams): void {
  checkImportSource(settings, "fromSrc", singleParam(query, "fromSrc"));
}

/** `LibpodImageImport`: `url` is fetched, or read as a host path. */
export function checkLibpodImportQuery(settings: AdmissionSettings, query: QueryParams): void {
  checkImportSource(settings, "url", singleParam(query, "url"));
}

/** `LibpodSecretCreate`: drivers other than `file` run host programs or write host paths. */
export function checkLibpodSecretQuery(query: QueryParams): void {
  const driver = singleParam(query, "driver");
  if (driver !== "" && driver !== "file") {
    forbid("driver", `Secret driver ${quote(driver)} (runs host programs)`, "HOST_ACCESS=1");
  }
  const options = paramValues(query, "driveropts").values.filter((value) =>
    value.trim() !== "" && value.trim() !== "{}"
  );
  if (options.length > 0) {
    forbid(
      "driveropts",
      `Secret driveropts ${quote(options.join(","))} (host paths or commands)`,
      "HOST_ACCESS=1",
    );
  }
}

/** `LibpodContainerRestore`: an imported checkpoint carries a whole container configuration. */
export function checkRestoreQuery(query: QueryParams): void {
  if (truthyParam(singleParam(query, "import"))) {
    forbid(
      "import",
      "Restoring an imported checkpoint (its configuration cannot be inspected)",
      "HOST_ACCESS=1",
    );
  }
}
