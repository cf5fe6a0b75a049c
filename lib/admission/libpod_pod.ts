/**
 * Podman's pod create body (`LibpodPodCreate`): a PodSpecGenerator, whose
 * infra container holds the namespaces every container of the pod shares,
 * with pod-level mounts, devices and security options.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { readMapEntries, readStruct, Where } from "./go_fields.ts";
import type { GoJsonValue } from "./go_json.ts";
import { checkDevicePath } from "./host_paths.ts";
import {
  checkHostFile,
  checkIdMappings,
  checkNamespaces,
  checkOciMounts,
  checkResourceLimits,
  checkSharedVolumes,
} from "./libpod_spec.ts";
import { POD_SPEC_GENERATOR_FIELDS } from "./libpod_fields.ts";
import { forbid, quote } from "./refusal.ts";
import { checkSecurityOpts, checkSysctls } from "./security_checks.ts";

const NAMED_VOLUME = ["Name", "Dest", "Options", "IsAnonymous", "SubPath"];

/** Checks a PodSpecGenerator. */
export function checkPodSpecGenerator(settings: AdmissionSettings, body: GoJsonValue): void {
  const spec = readStruct(body, new Where(""), POD_SPEC_GENERATOR_FIELDS);
  const shared = checkNamespaces(settings, spec, ["netns", "pidns", "ipcns", "utsns", "userns"]);
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
  checkSecurityOpts(settings, spec.at("security_opt"), spec.strings("security_opt"));
  checkHostFile(settings, spec, "infra_conmon_pid_file", "written by conmon");
  if (!["", "none", "image"].includes(spec.str("hostsFile"))) {
    checkHostFile(settings, spec, "hostsFile", "copied into the pod", true);
  }
  if (spec.str("cgroup_parent") !== "" && !settings.cgroupParent) {
    forbid(
      "cgroup_parent",
      `${spec.at("cgroup_parent").label} ${quote(spec.str("cgroup_parent"))}`,
      "ALLOW_CGROUP_PARENT=1",
    );
  }
  for (const [i, device] of spec.strings("pod_devices").entries()) {
    const where = spec.at("pod_devices").index(i);
    checkDevicePath(settings, where, `${where.label} ${quote(device)}`, device.split(":")[0]);
  }
  checkResourceLimits(settings, spec);
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
  }
  checkSharedVolumes(settings, spec);
  checkIdMappings(spec);
}
