/**
 * Swarm bodies: services (`ServiceCreate`, `ServiceUpdate`), whose tasks the
 * engines run on every node, and secrets and configs, whose drivers are
 * plugins.
 *
 * A service reaches the host through its task's container spec (mounts,
 * capabilities, sysctls, security options), the host network (a network
 * attachment whose target is `host`; by ID, the caller asks the engine with
 * `serviceNetworkTargets`), a plugin task (`PluginSpec`,
 * `Runtime: plugin`) and its log driver. Swarm services cannot be privileged
 * nor take devices. Limitation: a network attachment may name the host network
 * by its ID (or an unambiguous prefix of it), which the proxy cannot tell from
 * another network's name; see docs/admission.md.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { checkMounts } from "./docker_mounts.ts";
import { readArray, readStruct, type Struct, Where } from "./go_fields.ts";
import type { GoJsonValue } from "./go_json.ts";
import { forbid, quote } from "./refusal.ts";
import { checkCapabilities, checkLogDriver, checkSysctls } from "./security_checks.ts";

export const SERVICE_SPEC = [
  "Name",
  "Labels",
  "TaskTemplate",
  "Mode",
  "UpdateConfig",
  "RollbackConfig",
  "Networks",
  "EndpointSpec",
];
export const TASK_SPEC = [
  "ContainerSpec",
  "PluginSpec",
  "NetworkAttachmentSpec",
  "Resources",
  "RestartPolicy",
  "Placement",
  "Networks",
  "LogDriver",
  "ForceUpdate",
  "Runtime",
];
export const CONTAINER_SPEC = [
  "Image",
  "Labels",
  "Command",
  "Args",
  "Hostname",
  "Env",
  "Dir",
  "User",
  "Groups",
  "Privileges",
  "Init",
  "StopSignal",
  "TTY",
  "OpenStdin",
  "ReadOnly",
  "Mounts",
  "StopGracePeriod",
  "Healthcheck",
  "Hosts",
  "DNSConfig",
  "Secrets",
  "Configs",
  "Isolation",
  "Sysctls",
  "CapabilityAdd",
  "CapabilityDrop",
  "Ulimits",
  "OomScoreAdj",
];
const PRIVILEGES = ["CredentialSpec", "SELinuxContext", "Seccomp", "AppArmor", "NoNewPrivileges"];
const SELINUX_CONTEXT = ["Disable", "User", "Role", "Type", "Level"];
const NETWORK_ATTACHMENT = ["Target", "Aliases", "DriverOpts"];
const DRIVER = ["Name", "Options"];

/** Checks network attachments; returns whether one is the host network. */
function checkNetworks(settings: AdmissionSettings, spec: Struct): boolean {
  let host = false;
  for (const [i, item] of spec.list("Networks").entries()) {
    const where = spec.at("Networks").index(i);
    const attachment = readStruct(item, where, NETWORK_ATTACHMENT);
    attachment.map("DriverOpts");
    const target = attachment.str("Target");
    // Swarm matches network names case-insensitively.
    if (target.toLowerCase() === "host") {
      host = true;
      if (!settings.hostNetwork) {
        forbid(where.path, `${where.label}.Target ${quote(target)}`, "ALLOW_HOST_NETWORK=1");
      }
    }
  }
  return host;
}

function checkPrivileges(settings: AdmissionSettings, container: Struct): void {
  const privileges = container.struct("Privileges", PRIVILEGES);
  if (privileges === undefined || settings.unconfined) return;
  const credential = privileges.object("CredentialSpec");
  if (credential !== undefined && credential.entries.length > 0) {
    forbid(
      privileges.at("CredentialSpec").path,
      privileges.at("CredentialSpec").label,
      "ALLOW_UNCONFINED=1",
    );
  }
  const selinux = privileges.struct("SELinuxContext", SELINUX_CONTEXT);
  if (selinux !== undefined) {
    const loosened = selinux.bool("Disable") ||
      ["User", "Role", "Type", "Level"].some((name) => selinux.str(name) !== "");
    if (loosened) forbid(selinux.where.path, selinux.where.label, "ALLOW_UNCONFINED=1");
  }
  const seccomp = privileges.struct("Seccomp", ["Mode", "Profile"]);
  const seccompMode = seccomp?.str("Mode") ?? "";
  if (seccompMode !== "" && seccompMode !== "default") {
    forbid(
      seccomp!.at("Mode").path,
      `${seccomp!.at("Mode").label} ${quote(seccompMode)}`,
      "ALLOW_UNCONFINED=1",
    );
  }
  const apparmor = privileges.struct("AppArmor", ["Mode"]);
  const apparmorMode = apparmor?.str("Mode") ?? "";
  if (apparmorMode !== "" && apparmorMode !== "default") {
    forbid(
      apparmor!.at("Mode").path,
      `${apparmor!.at("Mode").label} ${quote(apparmorMode)}`,
      "ALLOW_UNCONFINED=1",
    );
  }
}

/** Checks a `ServiceSpec` (the body of `ServiceCreate` and `ServiceUpdate`). */
export function checkServiceSpec(settings: AdmissionSettings, body: GoJsonValue): void {
  const spec = readStruct(body, new Where(""), SERVICE_SPEC);
  let hostNetwork = checkNetworks(settings, spec);
  const task = spec.struct("TaskTemplate", TASK_SPEC);
  if (task === undefined) return;
  hostNetwork = checkNetworks(settings, task) || hostNetwork;

  const runtime = task.str("Runtime");
  const plugin = task.get("PluginSpec");
  if ((runtime === "plugin" || (plugin !== undefined && plugin !== null)) && !settings.plugins) {
    forbid(
      task.at("PluginSpec").path,
      `${task.at("PluginSpec").label} (a plugin task runs as root on every node)`,
      "ALLOW_PLUGINS=1",
    );
  }
  if (!["", "container", "plugin", "attachment"].includes(runtime)) {
    forbid(
      task.at("Runtime").path,
      `${task.at("Runtime").label} ${quote(runtime)}`,
      "HOST_ACCESS=1",
      "is a task runtime this proxy does not know; it needs HOST_ACCESS=1",
    );
  }
  const log = task.struct("LogDriver", DRIVER);
  if (log !== undefined) {
    checkLogDriver(settings, task.at("LogDriver"), log.str("Name"), log.map("Options"));
  }

  const container = task.struct("ContainerSpec", CONTAINER_SPEC);
  if (container === undefined) return;
  checkMounts(settings, container.get("Mounts"), container.at("Mounts"));
  checkCapabilities(settings, container.at("CapabilityAdd"), container.strings("CapabilityAdd"));
  checkPrivileges(settings, container);
  checkSysctls(settings, container.at("Sysctls"), container.map("Sysctls"), {
    network: hostNetwork,
    ipc: false,
    uts: false,
  });
  if (container.int("OomScoreAdj") < 0n && !settings.oomScoreAdj) {
    forbid(
      container.at("OomScoreAdj").path,
      `${container.at("OomScoreAdj").label} ${container.int("OomScoreAdj")}`,
      "ALLOW_OOM_SCORE_ADJ=1",
    );
  }
  container.map("Labels");
  readArray(container.get("Secrets"), container.at("Secrets"));
}

/** `SecretCreate`, `ConfigCreate`: a secret driver or templating driver is a plugin. */
export function checkSecretSpec(settings: AdmissionSettings, body: GoJsonValue): void {
  const spec = readStruct(body, new Where(""), ["Name", "Labels", "Data", "Driver", "Templating"]);
  for (const name of ["Driver", "Templating"]) {
    const driver = spec.struct(name, DRIVER);
    const driverName = driver?.str("Name") ?? "";
    const builtIn = driverName === "" || (name === "Templating" && driverName === "golang");
    if (!builtIn && !settings.plugins) {
      forbid(
        spec.at(name).path,
        `${spec.at(name).label} ${quote(driverName)} (a plugin)`,
        "ALLOW_PLUGINS=1",
      );
    }
  }
}

/**
 * The network attachments a service spec names (`Networks` and
 * `TaskTemplate.Networks`, as the engine reads them), with where each is, so
 * that the caller can ask the engine what each target is: a target may name
 * the host network by its ID. Call after `checkServiceSpec` allowed the body.
 */
export function serviceNetworkTargets(body: GoJsonValue): { where: string; target: string }[] {
  const targets: { where: string; target: string }[] = [];
  const spec = readStruct(body, new Where(""), SERVICE_SPEC);
  const collect = (struct: Struct, prefix: string) => {
    for (const [i, item] of struct.list("Networks").entries()) {
      const attachment = readStruct(item, struct.at("Networks").index(i), NETWORK_ATTACHMENT);
      const target = attachment.str("Target");
      if (target !== "") targets.push({ where: `${prefix}Networks[${i}].Target`, target });
    }
  };
  collect(spec, "");
  const task = spec.struct("TaskTemplate", TASK_SPEC);
  if (task !== undefined) collect(task, "TaskTemplate.");
  return targets;
}
