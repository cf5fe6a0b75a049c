/**
 * Docker's `HostConfig`, which holds nearly everything that reaches the host:
 * the fields every engine version has known (API 1.12 to 1.52, the 20.10 and
 * current Go structs), each either harmless or checked.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { checkMounts } from "./docker_mounts.ts";
import { readArray, readStruct, type Struct, type Where } from "./go_fields.ts";
import { checkAllDevices, checkBind, checkDevicePath } from "./host_paths.ts";
import { forbid, quote } from "./refusal.ts";
import {
  checkAnnotations,
  checkCapabilities,
  checkLogDriver,
  checkMaskedPaths,
  checkRuntime,
  checkSecurityOpts,
  checkSysctls,
} from "./security_checks.ts";
import { checkVolumeDriver } from "./volume_options.ts";

/** `HostConfig.Resources`, embedded (its fields sit in `HostConfig` itself). */
export const RESOURCES_FIELDS = [
  "CpuShares",
  "Memory",
  "NanoCpus",
  "CgroupParent",
  "BlkioWeight",
  "BlkioWeightDevice",
  "BlkioDeviceReadBps",
  "BlkioDeviceWriteBps",
  "BlkioDeviceReadIOps",
  "BlkioDeviceWriteIOps",
  "CpuPeriod",
  "CpuQuota",
  "CpuRealtimePeriod",
  "CpuRealtimeRuntime",
  "CpusetCpus",
  "CpusetMems",
  "Devices",
  "DeviceCgroupRules",
  "DeviceRequests",
  "DiskQuota",
  "KernelMemory",
  "KernelMemoryTCP",
  "MemoryReservation",
  "MemorySwap",
  "MemorySwappiness",
  "OomKillDisable",
  "PidsLimit",
  "Ulimits",
  "CpuCount",
  "CpuPercent",
  "IOMaximumIOps",
  "IOMaximumBandwidth",
];

export const HOST_CONFIG_FIELDS = [
  "Binds",
  "ContainerIDFile",
  "LogConfig",
  "NetworkMode",
  "PortBindings",
  "RestartPolicy",
  "AutoRemove",
  "VolumeDriver",
  "VolumesFrom",
  "ConsoleSize",
  "Annotations",
  "CapAdd",
  "CapDrop",
  "Capabilities",
  "CgroupnsMode",
  "Dns",
  "DnsOptions",
  "DnsSearch",
  "ExtraHosts",
  "GroupAdd",
  "IpcMode",
  "Cgroup",
  "Links",
  "OomScoreAdj",
  "PidMode",
  "Privileged",
  "PublishAllPorts",
  "ReadonlyRootfs",
  "SecurityOpt",
  "StorageOpt",
  "Tmpfs",
  "UTSMode",
  "UsernsMode",
  "ShmSize",
  "Sysctls",
  "Runtime",
  "Isolation",
  ...RESOURCES_FIELDS,
  "Mounts",
  "MaskedPaths",
  "ReadonlyPaths",
  "Init",
];

const DEVICE_MAPPING = ["PathOnHost", "PathInContainer", "CgroupPermissions"];
const LOG_CONFIG = ["Type", "Config"];

/** What a namespace mode asks: nothing, the host's namespace, another container's. */
export type ModeRequest = "private" | "host" | "container" | "path" | "unknown";

/** Classifies a Docker namespace mode (`host`, `container:<id>`, ...). */
export function dockerMode(value: string, private_: readonly string[]): ModeRequest {
  if (value === "host") return "host";
  if (value === "container" || value.startsWith("container:")) return "container";
  if (value.startsWith("ns:") || value.startsWith("/")) return "path";
  return private_.includes(value) ? "private" : "unknown";
}

/**
 * Classifies a network mode. Any name but these is a network: `host`,
 * `container:<id>`, podman's `ns:<path>`, `slirp4netns:<options>` (options
 * such as `allow_host_loopback` reach the host) and `pasta:<options>` (passed
 * to a host program).
 */
export function networkModeRequest(value: string): ModeRequest {
  if (value === "host" || value.startsWith("slirp4netns:")) return "host";
  if (value === "container" || value.startsWith("container:")) return "container";
  if (value.startsWith("ns:") || value.startsWith("/") || value.startsWith("pasta:")) return "path";
  return "private";
}

/** Refuses a namespace mode the settings do not allow. */
export function checkMode(
  settings: AdmissionSettings,
  where: Where,
  mode: ModeRequest,
  value: string,
  network = false,
): void {
  const what = `${where.label} ${quote(value)}`;
  switch (mode) {
    case "private":
      return;
    case "host":
      if (network ? !settings.hostNetwork : !settings.hostNamespaces) {
        forbid(where.path, what, network ? "ALLOW_HOST_NETWORK=1" : "ALLOW_HOST_NAMESPACES=1");
      }
      return;
    case "container":
      if (!settings.joinContainers) forbid(where.path, what, "ALLOW_JOIN_CONTAINERS=1");
      return;
    case "path":
      forbid(where.path, `${what} (a namespace by path, such as the host's)`, "HOST_ACCESS=1");
      break;
    default:
      forbid(
        where.path,
        what,
        "HOST_ACCESS=1",
        "is a mode this proxy does not know; it needs HOST_ACCESS=1",
      );
  }
}

/** Checks the `Resources` fields (of a `HostConfig`, or a `ContainerUpdate` body). */
export function checkResources(settings: AdmissionSettings, hc: Struct): void {
  if (hc.str("CgroupParent") !== "" && !settings.cgroupParent) {
    forbid(
      hc.at("CgroupParent").path,
      `${hc.at("CgroupParent").label} ${quote(hc.str("CgroupParent"))}`,
      "ALLOW_CGROUP_PARENT=1",
    );
  }
  if (hc.bool("OomKillDisable") && !settings.oomScoreAdj) {
    forbid(hc.at("OomKillDisable").path, hc.at("OomKillDisable").label, "ALLOW_OOM_SCORE_ADJ=1");
  }
  for (const [i, item] of hc.list("Devices").entries()) {
    const where = hc.at("Devices").index(i);
    const device = readStruct(item, where, DEVICE_MAPPING);
    const host = device.str("PathOnHost");
    checkDevicePath(settings, where, `${where.label} ${quote(host)}`, host);
  }
  if (hc.strings("DeviceCgroupRules").length > 0) {
    checkAllDevices(settings, hc.at("DeviceCgroupRules"), hc.at("DeviceCgroupRules").label);
  }
  if (hc.list("DeviceRequests").length > 0) {
    checkAllDevices(settings, hc.at("DeviceRequests"), `${hc.at("DeviceRequests").label} (GPUs)`);
  }
}

/** Checks a `HostConfig` read with `HOST_CONFIG_FIELDS`. */
export function checkHostConfig(settings: AdmissionSettings, hc: Struct): void {
  if (hc.bool("Privileged") && !settings.privileged) {
    forbid(hc.at("Privileged").path, hc.at("Privileged").label, "ALLOW_PRIVILEGED=1");
  }
  for (const [i, bind] of hc.strings("Binds").entries()) {
    checkBind(settings, hc.at("Binds").index(i), bind);
  }
  checkMounts(settings, hc.get("Mounts"), hc.at("Mounts"));
  checkVolumeDriver(settings, hc.at("VolumeDriver"), hc.str("VolumeDriver"), "docker");
  if (hc.strings("VolumesFrom").length > 0 && !settings.joinContainers) {
    forbid(
      hc.at("VolumesFrom").path,
      `${hc.at("VolumesFrom").label} ${quote(hc.strings("VolumesFrom").join(","))}`,
      "ALLOW_JOIN_CONTAINERS=1",
    );
  }
  checkResources(settings, hc);
  checkCapabilities(settings, hc.at("CapAdd"), hc.strSlice("CapAdd"));
  checkCapabilities(settings, hc.at("Capabilities"), hc.strSlice("Capabilities"));
  checkSecurityOpts(settings, hc.at("SecurityOpt"), hc.strings("SecurityOpt"));

  const network = hc.str("NetworkMode");
  const networkMode = networkModeRequest(network);
  checkMode(settings, hc.at("NetworkMode"), networkMode, network, true);
  const pid = hc.str("PidMode");
  checkMode(settings, hc.at("PidMode"), dockerMode(pid, [""]), pid);
  const ipc = hc.str("IpcMode");
  const ipcMode = dockerMode(ipc, ["", "private", "shareable", "none"]);
  checkMode(settings, hc.at("IpcMode"), ipcMode, ipc);
  const uts = hc.str("UTSMode");
  checkMode(settings, hc.at("UTSMode"), dockerMode(uts, [""]), uts);
  const userns = hc.str("UsernsMode");
  checkMode(
    settings,
    hc.at("UsernsMode"),
    dockerMode(userns, ["", "private", "auto", "keep-id", "nomap"]),
    userns,
  );
  // The host's cgroup namespace is the engine's own default on cgroup v1 hosts and for
  // API < 1.41 clients (so `docker inspect` shows it); the container still sees only
  // its own cgroup, read-only. Only another container's, or one by path, is checked.
  const cgroupns = hc.str("CgroupnsMode");
  const cgroupnsMode = cgroupns === "host" ? "private" : dockerMode(cgroupns, ["", "private"]);
  checkMode(settings, hc.at("CgroupnsMode"), cgroupnsMode, cgroupns);
  const cgroup = hc.str("Cgroup");
  checkMode(settings, hc.at("Cgroup"), dockerMode(cgroup, [""]), cgroup);

  checkSysctls(settings, hc.at("Sysctls"), hc.map("Sysctls"), {
    network: networkMode !== "private",
    ipc: ipcMode !== "private",
    uts: uts === "host",
  });
  checkRuntime(settings, hc.at("Runtime"), hc.str("Runtime"));
  if (hc.int("OomScoreAdj") < 0n && !settings.oomScoreAdj) {
    forbid(
      hc.at("OomScoreAdj").path,
      `${hc.at("OomScoreAdj").label} ${hc.int("OomScoreAdj")}`,
      "ALLOW_OOM_SCORE_ADJ=1",
    );
  }
  const log = hc.struct("LogConfig", LOG_CONFIG);
  if (log !== undefined) {
    checkLogDriver(settings, hc.at("LogConfig"), log.str("Type"), log.map("Config"));
  }
  checkAnnotations(hc.at("Annotations"), hc.map("Annotations"));
  for (const kind of ["MaskedPaths", "ReadonlyPaths"] as const) {
    const value = hc.get(kind);
    if (value !== undefined && value !== null) {
      readArray(value, hc.at(kind));
      checkMaskedPaths(
        settings,
        hc.at(kind),
        kind === "MaskedPaths" ? "masked" : "readonly",
        hc.strings(kind),
      );
    }
  }
  // Harmless fields still decode with the types Go expects for the maps it reads.
  hc.map("StorageOpt");
  hc.map("Tmpfs");
}
