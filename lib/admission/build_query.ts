/**
 * Image builds (`ImageBuild` on Docker or podman, `LibpodImageBuild`): every
 * setting is in the query. Docker reads a few that reach the host
 * (`networkmode`, `cgroupparent`, `remote`); podman's build reads many more
 * (build-time bind mounts, devices, capabilities, security profiles by host
 * path, namespace options, files it writes on the host). Only parameters
 * known to be harmless or checked are accepted: an unknown one is refused.
 *
 * The build context in the body is not inspected: a Dockerfile's `ADD <url>`
 * makes the engine fetch from the host's network (see docs/admission.md).
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { Where } from "./go_fields.ts";
import { checkMode, networkModeRequest } from "./host_config.ts";
import { checkBind, checkDevicePath } from "./host_paths.ts";
import { forbid, malformed, quote } from "./refusal.ts";
import { checkCapabilities } from "./security_checks.ts";
import {
  checkQueryKeys,
  isHttpUrl,
  paramValues,
  type QueryParams,
  singleParam,
} from "./query_params.ts";

/** Parameters that change nothing on the host (Docker's and podman's), lower-cased. */
const HARMLESS = new Set([
  "t",
  "q",
  "nocache",
  "cachefrom",
  "cacheto",
  "cachettl",
  "pull",
  "pullpolicy",
  "rm",
  "forcerm",
  "memory",
  "memswap",
  "cpushares",
  "cpusetcpus",
  "cpusetmems",
  "cpuperiod",
  "cpuquota",
  "buildargs",
  "shmsize",
  "squash",
  "labels",
  "platform",
  "target",
  "version",
  "session",
  "buildid",
  "ulimits",
  "extrahosts",
  "allplatforms",
  "annotations",
  "compatvolumes",
  "compression",
  "createdannotation",
  "dnsoptions",
  "dnssearch",
  "dnsservers",
  "dropcaps",
  "excludes",
  "from",
  "groupadd",
  "httpproxy",
  "identitylabel",
  "ignore",
  "inheritlabels",
  "inheritannotations",
  "jobs",
  "layerlabel",
  "layers",
  "manifest",
  "nohosts",
  "omithistory",
  "osfeature",
  "osversion",
  "outputformat",
  "registry",
  "retry",
  "retry-delay",
  "rewritetimestamp",
  "rusage",
  "save-stages",
  "setenv",
  "skipunusedstages",
  "sourcedateepoch",
  "stage-labels",
  "timestamp",
  "tlsverify",
  "unsetenv",
  "unsetlabel",
  "unsetannotation",
]);

/** Parameters that name host files podman reads or writes, or run host programs. */
const HOST_ONLY = new Set([
  "cppflags",
  "rusagelogfile",
  "sourcepolicy",
  "transientrunmounts",
  "idmappingoptions",
  "sbom-output",
  "sbom-purl-output",
  "sbom-image-output",
  "sbom-image-purl-output",
  "sbom-scanner-image",
  "sbom-scanner-command",
  "sbom-merge-strategy",
]);

const CHECKED = new Set([
  "dockerfile",
  "networkmode",
  "cgroupparent",
  "remote",
  "outputs",
  "isolation",
  "securityopt",
  "apparmor",
  "seccomp",
  "labelopts",
  "addcaps",
  "devices",
  "volume",
  "nsoptions",
  "secrets",
  "additionalbuildcontexts",
]);

/** Values of a parameter that podman reads as a JSON list or a plain string. */
function jsonList(where: string, value: string): string[] {
  if (value.trim() === "") return [];
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) return parsed;
    if (typeof parsed === "string") return [parsed];
  } catch {
    // A plain string.
  }
  if (value.trim().startsWith("[")) {
    malformed(`Query parameter ${where}: ${quote(value)} is not a JSON list of strings`, where);
  }
  return [value];
}

function relativeInside(path: string): boolean {
  return !path.startsWith("/") && !path.includes("\\") &&
    path.split("/").every((segment) => segment !== "..");
}

/** Podman's `nsoptions`: a JSON list of `{Name, Host, Path}`. */
function checkNamespaceOptions(settings: AdmissionSettings, value: string): void {
  if (value.trim() === "") return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    malformed(`Query parameter nsoptions: ${quote(value)} is not JSON`, "nsoptions");
  }
  if (parsed === null) return;
  if (!Array.isArray(parsed)) malformed(`Query parameter nsoptions: want a JSON list`, "nsoptions");
  for (const item of parsed) {
    const option = (typeof item === "object" && item !== null ? item : {}) as Record<
      string,
      unknown
    >;
    const get = (name: string) =>
      Object.entries(option).find(([key]) => key.toLowerCase() === name)?.[1];
    const what = `Build nsoptions ${quote(JSON.stringify(item))}`;
    if (typeof get("path") === "string" && get("path") !== "") {
      forbid("nsoptions", `${what} (a namespace by path)`, "HOST_ACCESS=1");
    }
    if (get("host") === true) {
      const network = ["net", "network"].includes(String(get("name")).toLowerCase());
      if (network && !settings.hostNetwork) forbid("nsoptions", what, "ALLOW_HOST_NETWORK=1");
      if (!network && !settings.hostNamespaces) {
        forbid("nsoptions", what, "ALLOW_HOST_NAMESPACES=1");
      }
    }
  }
}

/** Checks a build's query. */
export function checkBuildQuery(settings: AdmissionSettings, query: QueryParams): void {
  checkQueryKeys(query);
  for (const key of query.keys()) {
    const name = key.toLowerCase();
    if (HARMLESS.has(name) || CHECKED.has(name)) continue;
    if (HOST_ONLY.has(name)) {
      forbid(key, `Build parameter ${quote(key)} (host files or programs)`, "HOST_ACCESS=1");
    }
    forbid(
      key,
      `Build parameter ${quote(key)}`,
      "HOST_ACCESS=1",
      "is not one this proxy knows (it may reach the host); it needs HOST_ACCESS=1",
    );
  }
  const param = (name: string) => singleParam(query, name);
  const at = (name: string) => new Where(`query ${name}`);

  for (const file of jsonList("dockerfile", param("dockerfile"))) {
    if (isHttpUrl(file)) {
      if (!settings.remote) {
        forbid(
          "dockerfile",
          `Build dockerfile ${quote(file)} (the engine fetches it)`,
          "ALLOW_REMOTE=1",
        );
      }
    } else if (!relativeInside(file)) {
      forbid(
        "dockerfile",
        `Build dockerfile ${quote(file)} (a file outside the build context)`,
        "HOST_ACCESS=1",
      );
    }
  }
  const remote = param("remote");
  if (remote !== "" && remote !== "client-session" && !settings.remote) {
    forbid(
      "remote",
      `Build remote=${
        quote(remote)
      } (the engine fetches the context, or podman reads a host directory)`,
      "ALLOW_REMOTE=1",
    );
  }
  const network = param("networkmode");
  if (network !== "") {
    checkMode(settings, at("networkmode"), networkModeRequest(network), network, true);
  }
  if (param("cgroupparent") !== "" && !settings.cgroupParent) {
    forbid(
      "cgroupparent",
      `Build cgroupparent=${quote(param("cgroupparent"))}`,
      "ALLOW_CGROUP_PARENT=1",
    );
  }
  const isolation = param("isolation").toLowerCase();
  if (isolation === "chroot" && !settings.hostNamespaces) {
    forbid(
      "isolation",
      `Build isolation=chroot (RUN shares the host's namespaces)`,
      "ALLOW_HOST_NAMESPACES=1",
    );
  } else if (
    !["", "default", "oci", "rootless", "process", "hyperv", "chroot"].includes(isolation)
  ) {
    forbid(
      "isolation",
      `Build isolation=${quote(isolation)}`,
      "HOST_ACCESS=1",
      "is not one this proxy knows; it needs HOST_ACCESS=1",
    );
  }
  for (const name of ["securityopt", "apparmor", "seccomp", "labelopts"]) {
    const { values } = paramValues(query, name);
    if (
      values.some((value) => value.trim() !== "" && value.trim() !== "[]") && !settings.unconfined
    ) {
      forbid(name, `Build ${name}=${quote(values.join(","))}`, "ALLOW_UNCONFINED=1");
    }
  }
  const outputs = param("outputs");
  if (outputs !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(outputs);
    } catch {
      malformed(`Query parameter outputs: ${quote(outputs)} is not JSON`, "outputs");
    }
    const types = Array.isArray(parsed)
      ? parsed.map((item) => item?.Type ?? item?.type)
      : [undefined];
    for (const type of types) {
      if (!["moby", "image", "docker", "oci", "local", "tar", "cacheonly"].includes(type)) {
        forbid(
          "outputs",
          `Build outputs ${quote(outputs)}`,
          "HOST_ACCESS=1",
          "names an exporter this proxy does not know; it needs HOST_ACCESS=1",
        );
      }
    }
  }
  const caps = paramValues(query, "addcaps").values.flatMap((value) => jsonList("addcaps", value))
    .flatMap((value) => value.split(","));
  checkCapabilities(settings, at("addcaps"), caps.filter((cap) => cap.trim() !== ""));
  for (const value of paramValues(query, "devices").values.flatMap((v) => jsonList("devices", v))) {
    const host = value.split(":")[0];
    checkDevicePath(settings, at("devices"), `Build device ${quote(value)}`, host);
  }
  for (const value of paramValues(query, "volume").values) {
    checkBind(settings, at("volume"), value);
  }
  checkNamespaceOptions(settings, param("nsoptions"));
  const secrets = param("secrets");
  // Podman decodes the JSON list first: what it reads has its escapes undone.
  const readings = [secrets, ...jsonList("secrets", secrets)];
  if (readings.some((text) => /(^|[,"\s])(src|source)=\s*\//.test(text) || text.includes(".."))) {
    forbid("secrets", `Build secrets ${quote(secrets)} (a host file)`, "HOST_ACCESS=1");
  }
  const contexts = param("additionalbuildcontexts");
  if (contexts !== "" && contexts !== "{}" && contexts !== "null") {
    forbid(
      "additionalbuildcontexts",
      `Build additionalbuildcontexts=${quote(contexts)} (host directories or URLs)`,
      "HOST_ACCESS=1",
    );
  }
}
