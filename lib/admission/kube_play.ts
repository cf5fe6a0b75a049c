/**
 * `LibpodPlayKube` (`/libpod/play/kube`, `/libpod/kube/play`): Kubernetes
 * YAML that podman turns into pods, volumes, secrets and config maps. Host
 * access comes from the pod spec (`hostNetwork`, `hostPID`, `hostIPC`,
 * `hostPath` volumes, sysctls), container security contexts, annotations
 * podman reads (seccomp and AppArmor profiles, SELinux labels, user
 * namespaces, volumes-from, bind mount options), persistent volume claims
 * whose `volume.podman.io/*` annotations are local volume options, and the
 * query. Only the kinds podman plays are accepted, with the fields of their
 * Kubernetes types; a tar body (with build contexts) cannot be inspected.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { readMapEntries, readStruct, type Struct, Where } from "./go_fields.ts";
import type { GoJsonValue } from "./go_json.ts";
import { checkMode, dockerMode, networkModeRequest } from "./host_config.ts";
import {
  checkAllDevices,
  checkBindSource,
  checkDevicePath,
  checkPropagation,
} from "./host_paths.ts";
import { forbid, quote } from "./refusal.ts";
import {
  checkAnnotations,
  checkCapabilities,
  checkLogDriver,
  checkRuntime,
  checkSysctls,
} from "./security_checks.ts";
import { checkVolumeOptions } from "./volume_options.ts";
import {
  CONTAINER,
  OBJECT_META,
  POD_SECURITY_CONTEXT,
  POD_SPEC,
  PVC_SPEC,
  ROOT,
  SECURITY_CONTEXT,
  VOLUME_MOUNT,
  VOLUME_SOURCES,
  WORKLOAD_SPEC,
} from "./kube_fields.ts";
import { checkQueryKeys, paramValues, type QueryParams, singleParam } from "./query_params.ts";

/** Kinds podman plays (and `Service`, which it reads for ports); others are refused. */
const KINDS = new Set([
  "Pod",
  "Deployment",
  "DaemonSet",
  "Job",
  "PersistentVolumeClaim",
  "ConfigMap",
  "Secret",
  "Service",
]);

/** `io.podman.annotations.*` keys podman reads that reach nothing on the host. */
const HARMLESS_PODMAN = [
  "autoremove",
  "autoremove-image",
  "init",
  "publish-all",
  "pids-limit",
  "cpuset",
  "memory-nodes",
  "ulimit",
  "infra.name",
  "kube.image.volumes.mount",
  "init.container.type",
  "kube.health.check",
  "seccomp",
  "apparmor",
];

function checkPodAnnotations(settings: AdmissionSettings, meta: Struct | undefined): void {
  if (meta === undefined) return;
  const where = meta.at("annotations");
  const annotations = meta.map("annotations");
  checkAnnotations(where, annotations);
  for (const [key, value] of annotations) {
    const at = where.key(key);
    const what = `${at.label} ${quote(value)}`;
    const base = key.split("/")[0];
    const profile = value.trim();
    if (
      key.startsWith("seccomp.security.alpha.kubernetes.io/") ||
      base === "container.seccomp.security.alpha.kubernetes.io" ||
      base === "container.apparmor.security.beta.kubernetes.io"
    ) {
      if (!["", "runtime/default", "docker/default"].includes(profile) && !settings.unconfined) {
        forbid(at.path, what, "ALLOW_UNCONFINED=1");
      }
    } else if (key === "bind-mount-options") {
      const option = value.slice(value.lastIndexOf(":") + 1);
      if (option !== "z" && option !== "Z") forbid(at.path, what, "HOST_ACCESS=1");
      checkBindSource(settings, at, `${what} (relabels the host files)`, {
        source: value.slice(0, value.lastIndexOf(":")),
        readOnly: false,
      });
    } else if (base === "io.podman.annotations.userns") {
      checkMode(
        settings,
        at,
        dockerMode(value, ["", "private", "auto", "keep-id", "nomap", "no-map"]),
        value,
      );
    } else if (base === "io.podman.annotations.volumes-from") {
      if (!settings.joinContainers) forbid(at.path, what, "ALLOW_JOIN_CONTAINERS=1");
    } else if (base === "io.podman.annotations.label") {
      if (!settings.unconfined) forbid(at.path, what, "ALLOW_UNCONFINED=1");
    } else if (base.startsWith("io.podman.annotations.")) {
      if (!HARMLESS_PODMAN.includes(base.slice("io.podman.annotations.".length))) {
        forbid(at.path, `${what} (read by podman)`, "HOST_ACCESS=1");
      }
    }
  }
}

function checkSecurityContext(settings: AdmissionSettings, context: Struct | undefined): void {
  if (context === undefined) return;
  if (context.bool("privileged") && !settings.privileged) {
    forbid(context.at("privileged").path, context.at("privileged").label, "ALLOW_PRIVILEGED=1");
  }
  const caps = context.struct("capabilities", ["add", "drop"]);
  if (caps !== undefined) checkCapabilities(settings, caps.at("add"), caps.strings("add"));
  if (settings.unconfined) return;
  if (context.str("procMount") === "Unmasked") {
    forbid(
      context.at("procMount").path,
      `${context.at("procMount").label} "Unmasked"`,
      "ALLOW_UNCONFINED=1",
    );
  }
  const selinux = context.object("seLinuxOptions");
  if (selinux !== undefined && selinux.entries.length > 0) {
    forbid(
      context.at("seLinuxOptions").path,
      context.at("seLinuxOptions").label,
      "ALLOW_UNCONFINED=1",
    );
  }
  for (const name of ["seccompProfile", "appArmorProfile"]) {
    const profile = context.struct(name, ["type", "localhostProfile"]);
    if (profile !== undefined && !["", "RuntimeDefault"].includes(profile.str("type"))) {
      forbid(
        profile.where.path,
        `${profile.where.label} ${quote(profile.str("type"))}`,
        "ALLOW_UNCONFINED=1",
      );
    }
  }
}

/**
 * A container's resources: podman reads request and limit names in CDI form
 * (`nvidia.com/gpu=0`, and `podman.io/device=/dev/sda` for a host device) as
 * devices.
 */
function checkContainerResources(settings: AdmissionSettings, container: Struct): void {
  const resources = container.struct("resources", ["limits", "requests", "claims"]);
  if (resources === undefined) return;
  if (resources.list("claims").length > 0) {
    checkAllDevices(
      settings,
      resources.at("claims"),
      `${resources.at("claims").label} (resource claims)`,
    );
  }
  for (const name of ["limits", "requests"]) {
    for (const [key] of readMapEntries(resources.get(name), resources.at(name))) {
      if (!key.includes("=")) continue;
      const where = resources.at(name).key(key);
      const [kind, device] = [key.slice(0, key.indexOf("=")), key.slice(key.indexOf("=") + 1)];
      if (kind === "podman.io/device") {
        checkDevicePath(settings, where, `${where.label} (a host device)`, device);
      } else checkAllDevices(settings, where, `${where.label} (a CDI device)`);
    }
  }
}

const HOST_PATH_TYPES = new Set([
  "",
  "Directory",
  "File",
  "Socket",
  "DirectoryOrCreate",
  "FileOrCreate",
  "CharDevice",
  "BlockDevice",
]);

/** Checks a pod spec's host namespaces, volumes and containers. */
function checkPodSpec(settings: AdmissionSettings, spec: Struct): void {
  const hostNetwork = spec.bool("hostNetwork");
  if (hostNetwork && !settings.hostNetwork) {
    forbid(spec.at("hostNetwork").path, spec.at("hostNetwork").label, "ALLOW_HOST_NETWORK=1");
  }
  for (const name of ["hostPID", "hostIPC"]) {
    if (spec.bool(name) && !settings.hostNamespaces) {
      forbid(spec.at(name).path, spec.at(name).label, "ALLOW_HOST_NAMESPACES=1");
    }
  }
  checkRuntime(settings, spec.at("runtimeClassName"), spec.str("runtimeClassName"));
  const podContext = spec.struct("securityContext", POD_SECURITY_CONTEXT);
  checkSecurityContext(settings, podContext);
  if (podContext !== undefined) {
    const sysctls = new Map<string, string>();
    for (const [i, item] of podContext.list("sysctls").entries()) {
      const sysctl = readStruct(item, podContext.at("sysctls").index(i), ["name", "value"]);
      sysctls.set(sysctl.str("name"), sysctl.str("value"));
    }
    checkSysctls(settings, podContext.at("sysctls"), sysctls, {
      network: hostNetwork,
      ipc: spec.bool("hostIPC"),
      uts: hostNetwork,
    });
  }

  const hostPaths = new Map<string, string>();
  for (const [i, item] of spec.list("volumes").entries()) {
    const volume = readStruct(item, spec.at("volumes").index(i), ["name", ...VOLUME_SOURCES]);
    const hostPath = volume.struct("hostPath", ["path", "type"]);
    if (hostPath === undefined) continue;
    const path = hostPath.str("path");
    const type = hostPath.str("type");
    const what = `${hostPath.where.label} ${quote(path)}`;
    if (!HOST_PATH_TYPES.has(type)) {
      forbid(
        hostPath.where.path,
        `${what} type ${quote(type)}`,
        "HOST_ACCESS=1",
        "is a hostPath type this proxy does not know; it needs HOST_ACCESS=1",
      );
    }
    if (type === "CharDevice" || type === "BlockDevice") {
      checkDevicePath(settings, hostPath.where, what, path);
      continue;
    }
    checkBindSource(settings, hostPath.where, what, {
      source: path,
      readOnly: true,
      writesHost: type.endsWith("OrCreate") ? `creates the host path (${type})` : undefined,
    });
    hostPaths.set(volume.str("name"), path);
  }
  for (const name of ["containers", "initContainers", "ephemeralContainers"]) {
    for (const [i, item] of spec.list(name).entries()) {
      const container = readStruct(item, spec.at(name).index(i), CONTAINER);
      checkSecurityContext(settings, container.struct("securityContext", SECURITY_CONTEXT));
      checkContainerResources(settings, container);
      if (container.list("volumeDevices").length > 0) {
        forbid(
          container.at("volumeDevices").path,
          container.at("volumeDevices").label,
          "HOST_ACCESS=1",
        );
      }
      for (const [j, mountValue] of container.list("volumeMounts").entries()) {
        const mount = readStruct(mountValue, container.at("volumeMounts").index(j), VOLUME_MOUNT);
        const where = mount.where;
        if (mount.str("subPathExpr") !== "") {
          forbid(where.path, `${where.label}.subPathExpr`, "HOST_ACCESS=1");
        }
        const propagation = mount.str("mountPropagation");
        if (propagation === "Bidirectional") {
          checkPropagation(
            settings,
            where,
            `${where.label} mountPropagation Bidirectional`,
            "rshared",
          );
        }
        const source = hostPaths.get(mount.str("name"));
        if (source === undefined) continue;
        const subPath = mount.str("subPath");
        const path = subPath === "" ? source : `${source.replace(/\/$/, "")}/${subPath}`;
        checkBindSource(settings, where, `${where.label} (hostPath ${quote(path)})`, {
          source: path,
          readOnly: mount.bool("readOnly"),
        });
      }
    }
  }
}

/** `volume.podman.io/*` annotations of a claim: the volume's driver and local options. */
function checkClaim(settings: AdmissionSettings, meta: Struct | undefined): void {
  if (meta === undefined) return;
  const where = meta.at("annotations");
  const options = new Map<string, string>();
  let driver = "";
  const names: Record<string, string> = { device: "device", type: "type", "mount-options": "o" };
  for (const [key, value] of meta.map("annotations")) {
    if (!key.startsWith("volume.podman.io/")) continue;
    const name = key.slice("volume.podman.io/".length);
    if (name === "driver") driver = value;
    else if (Object.hasOwn(names, name)) options.set(names[name], value);
    else if (!["uid", "gid", "image"].includes(name)) {
      forbid(where.key(key).path, `${where.key(key).label} ${quote(value)}`, "HOST_ACCESS=1");
    }
  }
  checkVolumeOptions(settings, where, driver, options, "podman");
}

/** Checks one Kubernetes document. */
function checkDocument(settings: AdmissionSettings, value: GoJsonValue, index: number): void {
  const where = new Where(`document ${index + 1}`);
  const kindProbe = readStruct(value, where, [
    ...ROOT,
    "data",
    "binaryData",
    "immutable",
    "stringData",
    "type",
    "items",
  ]);
  const kind = kindProbe.str("kind");
  if (!KINDS.has(kind)) {
    forbid(
      where.path,
      `${where.label} of kind ${quote(kind)}`,
      "HOST_ACCESS=1",
      "is not a kind this proxy checks; it needs HOST_ACCESS=1",
    );
  }
  if (kind === "ConfigMap" || kind === "Secret") {
    readStruct(value, where, [
      "apiVersion",
      "kind",
      "metadata",
      "data",
      "binaryData",
      "immutable",
      "stringData",
      "type",
    ]);
    return;
  }
  const doc = readStruct(value, where, ROOT);
  const meta = doc.struct("metadata", OBJECT_META);
  if (kind === "Service") return;
  if (kind === "PersistentVolumeClaim") {
    doc.struct("spec", PVC_SPEC);
    checkClaim(settings, meta);
    return;
  }
  checkPodAnnotations(settings, meta);
  if (kind === "Pod") {
    const spec = doc.struct("spec", POD_SPEC);
    if (spec !== undefined) checkPodSpec(settings, spec);
    return;
  }
  const workload = doc.struct("spec", WORKLOAD_SPEC);
  const template = workload?.struct("template", ["metadata", "spec"]);
  if (template === undefined) return;
  checkPodAnnotations(settings, template.struct("metadata", OBJECT_META));
  const spec = template.struct("spec", POD_SPEC);
  if (spec !== undefined) checkPodSpec(settings, spec);
}

const KUBE_QUERY = new Set([
  "annotations",
  "logdriver",
  "logoptions",
  "network",
  "nohostname",
  "nohosts",
  "notrunc",
  "replace",
  "publishports",
  "publishallports",
  "servicecontainer",
  "start",
  "staticips",
  "staticmacs",
  "tlsverify",
  "userns",
  "wait",
  "build",
  "nopodprefix",
]);
const YAML_TYPES = new Set([
  "",
  "text/plain",
  "application/json",
  "application/yaml",
  "application/text",
  "application/x-yaml",
]);

/** Checks `kube play`'s query and content type (before the body is parsed). */
export function checkKubePlayRequest(
  settings: AdmissionSettings,
  query: QueryParams,
  contentType: string,
): void {
  if (contentType === "application/x-tar") {
    forbid(
      "Content-Type",
      "A kube play tar body (build contexts the proxy cannot inspect)",
      "HOST_ACCESS=1",
    );
  }
  if (!YAML_TYPES.has(contentType)) {
    forbid(
      "Content-Type",
      `A kube play body of type ${quote(contentType)}`,
      "HOST_ACCESS=1",
      "is not YAML this proxy checks; it needs HOST_ACCESS=1",
    );
  }
  checkQueryKeys(query);
  for (const key of query.keys()) {
    if (!KUBE_QUERY.has(key.toLowerCase())) {
      forbid(
        key,
        `Kube play parameter ${quote(key)}`,
        "HOST_ACCESS=1",
        "is not one this proxy knows; it needs HOST_ACCESS=1",
      );
    }
  }
  const logOptions = new Map<string, string>();
  for (const option of paramValues(query, "logOptions").values) {
    const [key, value] = option.split("=", 2);
    logOptions.set(key, value ?? "");
  }
  checkLogDriver(
    settings,
    new Where("query logDriver"),
    singleParam(query, "logDriver"),
    logOptions,
  );
  for (const network of paramValues(query, "network").values.flatMap((v) => v.split(","))) {
    checkMode(settings, new Where("query network"), networkModeRequest(network), network, true);
  }
  const userns = singleParam(query, "userns");
  checkMode(
    settings,
    new Where("query userns"),
    dockerMode(userns, ["", "private", "auto", "keep-id", "nomap", "no-map"]),
    userns,
  );
  const annotations = paramValues(query, "annotations").values;
  if (annotations.some((value) => value.trim() !== "" && value.trim() !== "{}")) {
    forbid(
      "annotations",
      `Kube play annotations ${quote(annotations.join(","))}`,
      "HOST_ACCESS=1",
      "cannot be checked in the query; put them in the YAML",
    );
  }
}

/** Checks a parsed kube play body. */
export function checkKubePlay(
  settings: AdmissionSettings,
  documents: readonly GoJsonValue[],
): void {
  for (const [i, doc] of documents.entries()) checkDocument(settings, doc, i);
}
