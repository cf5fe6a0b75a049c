/**
 * Docker's container bodies: create (`ContainerCreate`), the legacy start body
 * (`ContainerStart` with API < 1.24, which engines up to 24.0 apply), update
 * (`ContainerUpdate`) and exec create (`ContainerExec`).
 *
 * A create body is moby's `ContainerConfigWrapper`: the container `Config`
 * fields, `HostConfig`, `NetworkingConfig` and, for old clients, a
 * deprecated *embedded* `HostConfig` whose fields sit at the body's root. The
 * engine uses those root fields when `HostConfig` is absent or null, so they
 * are checked exactly as if they were in `HostConfig`; sent alongside a
 * non-null `HostConfig` (where 20.10 silently merges a few of them) they are
 * refused as ambiguous.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { readMapEntries, readStruct, type Struct, Where } from "./go_fields.ts";
import { goFoldName, type GoJsonValue } from "./go_json.ts";
import {
  checkHostConfig,
  checkResources,
  HOST_CONFIG_FIELDS,
  RESOURCES_FIELDS,
} from "./host_config.ts";
import { checkBind } from "./host_paths.ts";
import { forbid, malformed } from "./refusal.ts";

/** `container.Config`, in every API version (swagger 1.25 to 1.52, Go structs). */
export const CONFIG_FIELDS = [
  "Hostname",
  "Domainname",
  "User",
  "AttachStdin",
  "AttachStdout",
  "AttachStderr",
  "ExposedPorts",
  "Tty",
  "OpenStdin",
  "StdinOnce",
  "Env",
  "Cmd",
  "Healthcheck",
  "ArgsEscaped",
  "Image",
  "Volumes",
  "WorkingDir",
  "Entrypoint",
  "NetworkDisabled",
  "MacAddress",
  "OnBuild",
  "Labels",
  "StopSignal",
  "StopTimeout",
  "Shell",
];

/** Fields of the wrapper itself, and harmless keys real clients add. */
export const WRAPPER_FIELDS = [
  "HostConfig",
  "NetworkingConfig",
  // 20.10's wrapper: copied into HostConfig.CpusetCpus.
  "Cpuset",
  // Podman's compatible create: the container name, environment handling.
  "Name",
  "EnvMerge",
  "UnsetEnv",
  "UnsetEnvAll",
];

const ROOT_NOTE = " (at the body's root, used when HostConfig is absent)";
const HOST_FOLDED = new Set(HOST_CONFIG_FIELDS.map(goFoldName));

const ENDPOINT_SETTINGS = [
  "IPAMConfig",
  "Links",
  "Aliases",
  "DriverOpts",
  "GwPriority",
  "NetworkID",
  "EndpointID",
  "Gateway",
  "IPAddress",
  "IPPrefixLen",
  "IPv6Gateway",
  "GlobalIPv6Address",
  "GlobalIPv6PrefixLen",
  "MacAddress",
  "DNSNames",
];
const IPAM_CONFIG = ["IPv4Address", "IPv6Address", "LinkLocalIPs"];

function checkNetworkingConfig(root: Struct): void {
  const networking = root.struct("NetworkingConfig", ["EndpointsConfig"]);
  if (networking === undefined) return;
  const where = networking.at("EndpointsConfig");
  for (const [name, value] of readMapEntries(networking.get("EndpointsConfig"), where)) {
    if (value === null) continue;
    const endpoint = readStruct(value, where.key(name), ENDPOINT_SETTINGS);
    endpoint.struct("IPAMConfig", IPAM_CONFIG);
    endpoint.map("DriverOpts");
  }
}

/**
 * Checks a create body (or a legacy start body, which the engine decodes the
 * same way): the root, `HostConfig` or the root-level legacy fields,
 * `NetworkingConfig`.
 */
export function checkContainerCreate(settings: AdmissionSettings, body: GoJsonValue): void {
  const root = readStruct(body, new Where(""), [
    ...CONFIG_FIELDS,
    ...WRAPPER_FIELDS,
    ...HOST_CONFIG_FIELDS,
  ]);
  const legacy = [...root.fields.keys()].filter((name) => HOST_FOLDED.has(goFoldName(name)));
  const inner = root.get("HostConfig");
  if (inner !== undefined && inner !== null) {
    if (legacy.length > 0) {
      malformed(
        `HostConfig fields at the body's root (${
          legacy.join(", ")
        }) alongside HostConfig are ambiguous`,
        legacy[0],
      );
    }
    checkHostConfig(settings, readStruct(inner, new Where("HostConfig"), HOST_CONFIG_FIELDS));
  } else if (legacy.length > 0) {
    // The engine reads the root as its HostConfig: check the same fields there.
    const rootHost = readStruct(body, new Where("", ROOT_NOTE), [
      ...CONFIG_FIELDS,
      ...WRAPPER_FIELDS,
      ...HOST_CONFIG_FIELDS,
    ]);
    checkHostConfig(settings, rootHost);
  }
  checkNetworkingConfig(root);
  root.map("Labels");
  // Podman's compat create reads each key of Volumes as a `-v` spec.
  for (const [spec] of readMapEntries(root.get("Volumes"), root.at("Volumes"))) {
    checkBind(settings, root.at("Volumes").key(spec), spec);
  }
}

/** Checks a legacy start body: a `null` or empty object asks nothing. */
export function checkContainerStart(settings: AdmissionSettings, body: GoJsonValue): void {
  if (body === null) return;
  checkContainerCreate(settings, body);
}

/** `ContainerUpdate`: the `Resources` fields and a restart policy. */
export function checkContainerUpdate(settings: AdmissionSettings, body: GoJsonValue): void {
  const update = readStruct(body, new Where(""), [...RESOURCES_FIELDS, "RestartPolicy"]);
  checkResources(settings, update);
}

export const EXEC_CONFIG = [
  "User",
  "Privileged",
  "Tty",
  "ConsoleSize",
  "AttachStdin",
  "AttachStderr",
  "AttachStdout",
  "Detach",
  "DetachKeys",
  "Env",
  "WorkingDir",
  "Cmd",
];

/** `ContainerExec` (and libpod's): a privileged exec gets every capability and device. */
export function checkExecCreate(settings: AdmissionSettings, body: GoJsonValue): void {
  const exec = readStruct(body, new Where(""), EXEC_CONFIG);
  if (exec.bool("Privileged") && !settings.privileged) {
    forbid("Privileged", "Privileged", "ALLOW_PRIVILEGED=1");
  }
}
