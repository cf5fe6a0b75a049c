/**
 * Podman's container create body (`LibpodContainerCreate`): a SpecGenerator,
 * snake_case JSON with the fields of every podman version since 2.0. Beyond
 * Docker's fields it names host paths directly (`rootfs`, `init_path`,
 * `conmon_pid_file`, `log_configuration.path`, `base_hosts_file`,
 * `healthLogDestination`, overlay volume sources), joins namespaces by path,
 * copies the service's environment (`env_host`) and host users
 * (`hostusers`), and takes OCI mounts and device cgroup rules verbatim.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { readArray, readMapEntries, readStruct, type Struct, Where } from "./go_fields.ts";
import type { GoJsonValue } from "./go_json.ts";
import { checkMode, type ModeRequest } from "./host_config.ts";
import {
  checkAllDevices,
  checkBindSource,
  checkDevicePath,
  checkPropagation,
} from "./host_paths.ts";
import { LINUX_RESOURCES, SPEC_GENERATOR_FIELDS } from "./libpod_fields.ts";
import { forbid, quote } from "./refusal.ts";
import {
  checkAnnotations,
  checkCapabilities,
  checkLogDriver,
  checkRuntime,
  checkSysctls,
} from "./security_checks.ts";

const NAMESPACE = ["nsmode", "value"];
const OCI_MOUNT = ["destination", "type", "source", "options", "uidMappings", "gidMappings"];
const NAMED_VOLUME = ["Name", "Dest", "Options", "IsAnonymous", "SubPath"];
const OVERLAY_VOLUME = ["destination", "source", "options"];
const LINUX_DEVICE = ["path", "type", "major", "minor", "fileMode", "uid", "gid"];
const LOG_CONFIG = ["driver", "path", "size", "options", "labels"];
const ID_MAPPINGS = [
  "HostUIDMapping",
  "HostGIDMapping",
  "UIDMap",
  "GIDMap",
  "AutoUserNs",
  "AutoUserNsOpts",
];
const AUTO_USERNS = [
  "Size",
  "InitialSize",
  "PasswdFile",
  "GroupFile",
  "AdditionalUIDMappings",
  "AdditionalGIDMappings",
];

const PRIVATE_MODES = new Set([
  "",
  "default",
  "private",
  "none",
  "bridge",
  "slirp4netns",
  "pasta",
  "shareable",
  "keep-id",
  "no-map",
  "nomap",
  "auto",
  "pod",
  "from_pod",
]);

/** Classifies a podman `Namespace` (`{nsmode, value}`). */
export function podmanMode(ns: Struct | undefined): { mode: ModeRequest; text: string } {
  if (ns === undefined) return { mode: "private", text: "" };
  const nsmode = ns.str("nsmode");
  const value = ns.str("value");
  const text = value === "" ? nsmode : `${nsmode}:${value}`;
  if (nsmode === "host") return { mode: "host", text };
  if (nsmode === "container") return { mode: "container", text };
  if (nsmode === "path") return { mode: "path", text };
  // Options of the user-mode network stacks reach the host (host loopback, a host program's flags).
  if (nsmode === "slirp4netns" && value !== "") return { mode: "host", text };
  if (nsmode === "pasta" && value !== "") return { mode: "path", text };
  return { mode: PRIVATE_MODES.has(nsmode) ? "private" : "unknown", text };
}

/** Checks the namespace fields shared by containers and pods; returns what is shared with the host. */
export function checkNamespaces(
  settings: AdmissionSettings,
  spec: Struct,
  names: readonly string[],
): { network: boolean; ipc: boolean; uts: boolean } {
  const shared = { network: false, ipc: false, uts: false };
  for (const name of names) {
    const namespace = podmanMode(spec.struct(name, NAMESPACE));
    // As for Docker: the host's cgroup namespace is podman's default on cgroup v1 hosts.
    if (name === "cgroupns" && namespace.mode === "host") continue;
    const { mode, text } = namespace;
    checkMode(settings, spec.at(name), mode, text, name === "netns");
    if (mode !== "private") {
      if (name === "netns") shared.network = true;
      if (name === "ipcns") shared.ipc = true;
      if (name === "utsns") shared.uts = true;
    }
  }
  return shared;
}

/** A host path the engine writes (a file it creates): covered read-write by `ALLOW_BIND_MOUNTS`. */
export function checkHostFile(
  settings: AdmissionSettings,
  spec: Struct,
  name: string,
  what: string,
  readOnly = false,
): void {
  const path = spec.str(name);
  if (path === "") return;
  checkBindSource(settings, spec.at(name), `${spec.at(name).label} ${quote(path)} (${what})`, {
    source: path,
    readOnly,
  });
}

/** Checks OCI mounts (`mounts`): binds of host paths, and only harmless other types. */
export function checkOciMounts(settings: AdmissionSettings, spec: Struct, name: string): void {
  for (const [i, item] of spec.list(name).entries()) {
    const where = spec.at(name).index(i);
    const mount = readStruct(item, where, OCI_MOUNT);
    const type = mount.str("type");
    const options = mount.strings("options");
    const what = `${where.label} (type ${quote(type)}, source ${quote(mount.str("source"))})`;
    for (const option of options) {
      checkPropagation(settings, where, what, option);
      const [key, value] = option.split("=", 2);
      if ((key === "upperdir" || key === "workdir") && value !== undefined) {
        checkBindSource(settings, where, what, { source: value, readOnly: false });
      }
    }
    // A "bind" or "rbind" option makes any mount a bind of its source.
    if (
      type === "bind" || type === "glob" || options.includes("bind") || options.includes("rbind")
    ) {
      const relabel = options.some((o) =>
        o === "z" || o === "Z" || o === "relabel=private" || o === "relabel=shared"
      );
      const chown = options.includes("U") || options.includes("chown");
      const source = type === "glob"
        ? mount.str("source").replace(/\/[^/]*[*?[].*$/, "")
        : mount.str("source");
      checkBindSource(settings, where, what, {
        source: source === "" ? "/" : source,
        readOnly: options.includes("ro"),
        writesHost: relabel
          ? "relabels the host files (z/Z)"
          : chown
          ? "changes the host files' owner (U)"
          : undefined,
      });
      continue;
    }
    if (["tmpfs", "ramfs", "devpts", "mqueue", "image", "volume", "artifact"].includes(type)) {
      continue;
    }
    if (["proc", "sysfs", "cgroup", "cgroup2"].includes(type)) {
      if (!settings.privileged) {
        forbid(where.path, `${what} (an unmasked kernel filesystem)`, "ALLOW_PRIVILEGED=1");
      }
      continue;
    }
    forbid(
      where.path,
      what,
      "HOST_ACCESS=1",
      "has a mount type this proxy does not allow; it needs HOST_ACCESS=1",
    );
  }
}

/** Checks `resource_limits` (an OCI LinuxResources) and `unified`. */
export function checkResourceLimits(settings: AdmissionSettings, spec: Struct): void {
  const limits = spec.struct("resource_limits", LINUX_RESOURCES);
  if (limits !== undefined && limits.list("devices").length > 0) {
    checkAllDevices(
      settings,
      limits.at("devices"),
      `${limits.at("devices").label} (device cgroup rules)`,
    );
  }
  const unified = [...(limits?.map("unified") ?? new Map()).keys(), ...spec.map("unified").keys()];
  for (const key of unified) {
    if (!/^[a-z0-9_]+\.[a-z0-9_.]+$/.test(key)) {
      forbid(
        "unified",
        `Cgroup file ${quote(key)} in unified`,
        "HOST_ACCESS=1",
        "is not a cgroup file name; it needs HOST_ACCESS=1",
      );
    }
  }
}

/** Refuses host files named in `idmappings` (read to compute automatic mappings). */
export function checkIdMappings(spec: Struct): void {
  const mappings = spec.struct("idmappings", ID_MAPPINGS);
  const auto = mappings?.struct("AutoUserNsOpts", AUTO_USERNS);
  for (const name of ["PasswdFile", "GroupFile"]) {
    if (auto !== undefined && auto.str(name) !== "") {
      forbid(
        auto.at(name).path,
        `${auto.at(name).label} ${quote(auto.str(name))} (a host file)`,
        "HOST_ACCESS=1",
      );
    }
  }
}

/**
 * Overlay volumes (their lower directory, `upperdir` and `workdir` are host
 * paths) and `volumes_from`, of a container's or a pod's spec.
 */
export function checkSharedVolumes(settings: AdmissionSettings, spec: Struct): void {
  for (const [i, item] of spec.list("overlay_volumes").entries()) {
    const overlay = readStruct(item, spec.at("overlay_volumes").index(i), OVERLAY_VOLUME);
    checkHostFile(settings, overlay, "source", "the lower directory of an overlay", true);
    for (const option of overlay.strings("options")) {
      const [key, value] = option.split("=", 2);
      if ((key === "upperdir" || key === "workdir") && value !== undefined) {
        checkBindSource(settings, overlay.where, `${overlay.where.label} option ${quote(option)}`, {
          source: value,
          readOnly: false,
        });
      }
    }
  }
  if (spec.strings("volumes_from").length > 0 && !settings.joinContainers) {
    forbid(
      "volumes_from",
      `${spec.at("volumes_from").label} ${quote(spec.strings("volumes_from").join(","))}`,
      "ALLOW_JOIN_CONTAINERS=1",
    );
  }
}

/** Checks a libpod SpecGenerator (the body of `LibpodContainerCreate`). */
export function checkSpecGenerator(settings: AdmissionSettings, body: GoJsonValue): void {
  const spec = readStruct(body, new Where(""), SPEC_GENERATOR_FIELDS);
  const bool = (name: string, needs: string, what = spec.at(name).label) => {
    if (spec.bool(name)) forbid(spec.at(name).path, what, needs);
  };
  if (!settings.privileged) bool("privileged", "ALLOW_PRIVILEGED=1");
  bool("env_host", "HOST_ACCESS=1", `${spec.at("env_host").label} (the service's environment)`);
  if (spec.strings("hostusers").length > 0) {
    forbid(
      "hostusers",
      `${spec.at("hostusers").label} (entries of the host's /etc/passwd)`,
      "HOST_ACCESS=1",
    );
  }
  const shared = checkNamespaces(settings, spec, [
    "netns",
    "pidns",
    "ipcns",
    "utsns",
    "userns",
    "cgroupns",
  ]);
  if (
    readMapEntries(spec.get("network_options"), spec.at("network_options")).length > 0 &&
    !settings.hostNetwork
  ) {
    forbid(
      "network_options",
      `${spec.at("network_options").label} (options of the host's network helpers)`,
      "ALLOW_HOST_NETWORK=1",
    );
  }
  checkSysctls(settings, spec.at("sysctl"), spec.map("sysctl"), shared);
  checkCapabilities(settings, spec.at("cap_add"), spec.strings("cap_add"));
  if (!settings.unconfined) {
    for (const name of ["selinux_opts", "unmask"]) {
      if (spec.strings(name).length > 0) {
        forbid(
          name,
          `${spec.at(name).label} ${quote(spec.strings(name).join(","))}`,
          "ALLOW_UNCONFINED=1",
        );
      }
    }
    for (const name of ["apparmor_profile", "seccomp_profile_path"]) {
      if (spec.str(name) !== "") {
        forbid(name, `${spec.at(name).label} ${quote(spec.str(name))}`, "ALLOW_UNCONFINED=1");
      }
    }
    if (!["", "default"].includes(spec.str("seccomp_policy"))) {
      forbid(
        "seccomp_policy",
        `${spec.at("seccomp_policy").label} ${quote(spec.str("seccomp_policy"))}`,
        "ALLOW_UNCONFINED=1",
      );
    }
    bool("label_nested", "ALLOW_UNCONFINED=1");
  }
  checkIdMappings(spec);
  if (spec.str("cgroup_parent") !== "" && !settings.cgroupParent) {
    forbid(
      "cgroup_parent",
      `${spec.at("cgroup_parent").label} ${quote(spec.str("cgroup_parent"))}`,
      "ALLOW_CGROUP_PARENT=1",
    );
  }
  if (spec.int("oom_score_adj") < 0n && !settings.oomScoreAdj) {
    forbid(
      "oom_score_adj",
      `${spec.at("oom_score_adj").label} ${spec.int("oom_score_adj")}`,
      "ALLOW_OOM_SCORE_ADJ=1",
    );
  }
  checkRuntime(settings, spec.at("oci_runtime"), spec.str("oci_runtime"));
  checkAnnotations(spec.at("annotations"), spec.map("annotations"));

  // Host paths.
  checkHostFile(
    settings,
    spec,
    "rootfs",
    "the container's root filesystem",
    spec.bool("rootfs_overlay"),
  );
  checkHostFile(settings, spec, "init_path", "run as the container's init", true);
  checkHostFile(settings, spec, "conmon_pid_file", "written by conmon");
  if (!["", "none", "image"].includes(spec.str("base_hosts_file"))) {
    checkHostFile(settings, spec, "base_hosts_file", "copied into the container", true);
  }
  if (!["", "local", "events"].includes(spec.str("healthLogDestination"))) {
    checkHostFile(
      settings,
      spec,
      "healthLogDestination",
      "a directory podman writes health logs to",
    );
  }
  const timezone = spec.str("timezone");
  if (
    timezone !== "" && timezone !== "local" &&
    !/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(timezone)
  ) {
    forbid(
      "timezone",
      `${spec.at("timezone").label} ${
        quote(timezone)
      } (a path under the host's /usr/share/zoneinfo)`,
      "HOST_ACCESS=1",
    );
  }
  const log = spec.struct("log_configuration", LOG_CONFIG);
  if (log !== undefined) {
    checkLogDriver(settings, spec.at("log_configuration"), log.str("driver"), log.map("options"));
    checkHostFile(settings, log, "path", "the container's log file");
  }
  const propagation = spec.str("rootfs_propagation");
  checkPropagation(
    settings,
    spec.at("rootfs_propagation"),
    spec.at("rootfs_propagation").label,
    propagation,
  );

  // Mounts and volumes.
  checkOciMounts(settings, spec, "mounts");
  for (const [i, item] of spec.list("volumes").entries()) {
    const volume = readStruct(item, spec.at("volumes").index(i), NAMED_VOLUME);
    if (volume.str("Name").includes("/")) {
      forbid(
        volume.at("Name").path,
        `${volume.at("Name").label} ${quote(volume.str("Name"))} (a path, not a volume name)`,
        "HOST_ACCESS=1",
      );
    }
    for (const option of volume.strings("Options")) {
      const [key, value] = option.split("=", 2);
      if ((key === "upperdir" || key === "workdir") && value !== undefined) {
        checkBindSource(settings, volume.where, `${volume.where.label} option ${quote(option)}`, {
          source: value,
          readOnly: false,
        });
      }
    }
  }
  checkSharedVolumes(settings, spec);

  // Devices.
  for (const [i, item] of spec.list("devices").entries()) {
    const where = spec.at("devices").index(i);
    const device = readStruct(item, where, LINUX_DEVICE);
    const host = device.str("path").split(":")[0];
    const what = `${where.label} ${quote(device.str("path"))}`;
    // A CDI name (`vendor/class=name`) is resolved by the engine to host devices.
    if (!host.startsWith("/") && host.includes("=")) checkAllDevices(settings, where, what);
    else checkDevicePath(settings, where, what, host);
  }
  for (const name of ["device_cgroup_rule", "devices_from", "host_device_list", "gpus"]) {
    if (readArray(spec.get(name), spec.at(name)).length > 0) {
      checkAllDevices(settings, spec.at(name), spec.at(name).label);
    }
  }
  checkResourceLimits(settings, spec);
  spec.map("labels");
}
