/**
 * Network creation: a `macvlan` or `ipvlan` network puts containers on the
 * host's own network segment, a bridge named after an existing host bridge
 * joins it, and a network built from another's configuration may be either.
 * Drivers other than the engine's own are plugins.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { readStruct, type Struct, Where } from "./go_fields.ts";
import type { GoJsonValue } from "./go_json.ts";
import { forbid, quote } from "./refusal.ts";

/** Drivers that attach containers to the host's network. */
const HOST_DRIVERS = new Set(["macvlan", "ipvlan", "host"]);
/** The engines' own drivers that stay inside the host. */
const OWN_DRIVERS = new Set(["", "bridge", "overlay", "null", "none"]);
/** The engines' own IPAM drivers. */
const OWN_IPAM_DRIVERS = new Set(["", "default", "null"]);

const DOCKER_FIELDS = [
  "Name",
  "CheckDuplicate",
  "Driver",
  "Scope",
  "EnableIPv4",
  "EnableIPv6",
  "IPAM",
  "Internal",
  "Attachable",
  "Ingress",
  "ConfigOnly",
  "ConfigFrom",
  "Options",
  "Labels",
] as const;

const PODMAN_FIELDS = [
  "name",
  "id",
  "driver",
  "network_interface",
  "created",
  "subnets",
  "routes",
  "ipv6_enabled",
  "internal",
  "dns_enabled",
  "network_dns_servers",
  "options",
  "ipam_options",
  "labels",
] as const;

function checkDriver(settings: AdmissionSettings, spec: Struct, field: string, kind: string): void {
  const driver = spec.str(field).toLowerCase();
  const own = kind === "IPAM" ? OWN_IPAM_DRIVERS : OWN_DRIVERS;
  if (kind !== "IPAM" && HOST_DRIVERS.has(driver)) {
    if (!settings.hostNetwork) {
      forbid(
        spec.at(field).path,
        `${spec.at(field).label} ${quote(driver)}`,
        "ALLOW_HOST_NETWORK=1",
      );
    }
  } else if (!own.has(driver) && !settings.plugins) {
    forbid(
      spec.at(field).path,
      `${spec.at(field).label} ${quote(driver)} (${kind === "IPAM" ? "an" : "a"} ${kind} plugin)`,
      "ALLOW_PLUGINS=1",
    );
  }
}

/** `NetworkCreate`. */
export function checkNetworkCreate(settings: AdmissionSettings, body: GoJsonValue): void {
  const spec = readStruct(body, new Where(""), DOCKER_FIELDS);
  spec.map("Labels");
  checkDriver(settings, spec, "Driver", "network");
  const from = spec.struct("ConfigFrom", ["Network"]);
  if (from !== undefined && from.str("Network") !== "" && !settings.hostNetwork) {
    forbid(
      "ConfigFrom.Network",
      `ConfigFrom.Network ${
        quote(from.str("Network"))
      } (its configuration may be a host network's)`,
      "ALLOW_HOST_NETWORK=1",
    );
  }
  for (const [key, value] of spec.map("Options")) {
    if (key === "com.docker.network.bridge.name" && !settings.hostNetwork) {
      forbid(
        `Options[${quote(key)}]`,
        `Options[${quote(key)}] ${quote(value)} (an existing host bridge would be joined)`,
        "ALLOW_HOST_NETWORK=1",
      );
    }
  }
  const ipam = spec.struct("IPAM", ["Driver", "Config", "Options"]);
  if (ipam !== undefined) checkDriver(settings, ipam, "Driver", "IPAM");
}

/** `LibpodNetworkCreate`: podman's network spec. */
export function checkLibpodNetworkCreate(settings: AdmissionSettings, body: GoJsonValue): void {
  const spec = readStruct(body, new Where(""), PODMAN_FIELDS);
  spec.map("labels");
  checkDriver(settings, spec, "driver", "network");
  const nic = spec.str("network_interface");
  if (nic !== "" && !settings.hostNetwork) {
    forbid(
      "network_interface",
      `network_interface ${quote(nic)} (a host interface or bridge)`,
      "ALLOW_HOST_NETWORK=1",
    );
  }
}
