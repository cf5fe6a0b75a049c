/**
 * Admission: whether a request's body or query asks the engine for access to
 * the host that the settings do not allow. Pure and synchronous; the caller
 * routes the request to its Engine API operation (moby's swagger
 * `operationId`, or `Libpod` + podman's operation name without its `Libpod`
 * suffix), buffers the body when `admissionNeeds` says so (answering 413 past
 * `settings.maxBodyBytes`), and refuses with the verdict's status and reason.
 *
 * With `HOST_ACCESS=1` nothing is checked. Operations not listed here are not
 * checked: their bodies and queries cannot reach the host.
 *
 * `lib/admission/`: host access in bodies and queries, decoded as Go decodes them. Pure; imports
 * `lib/http/`, `lib/routes/` and `lib/`'s root, nothing of policies or connections.
 */
import type { AdmissionSettings } from "./admission_settings.ts";
import { checkBuildQuery } from "./build_query.ts";
import {
  checkContainerCreate,
  checkContainerStart,
  checkContainerUpdate,
  checkExecCreate,
} from "./container_create.ts";
import { GoJsonError, type GoJsonValue, parseGoJson } from "./go_json.ts";
import { checkKubePlay, checkKubePlayRequest } from "./kube_play.ts";
import {
  checkCheckpointCreate,
  checkImageCreateQuery,
  checkLibpodContainerUpdate,
  checkLibpodImportQuery,
  checkLibpodSecretQuery,
  checkLibpodVolumeCreate,
  checkRestoreQuery,
  checkStartQuery,
  checkVolumeCreate,
} from "./libpod_misc.ts";
import { checkPodSpecGenerator } from "./libpod_pod.ts";
import { checkSpecGenerator } from "./libpod_spec.ts";
import { checkNotFormEncoded, type QueryParams } from "./query_params.ts";
import { type AdmissionVerdict, forbid, malformed, Refusal } from "./refusal.ts";
import { checkLibpodNetworkCreate, checkNetworkCreate } from "./network_create.ts";
import { checkSecretSpec, checkServiceSpec } from "./service_spec.ts";
import { loadYaml, parseKubeYaml } from "./yaml_documents.ts";

export type { AdmissionVerdict } from "./refusal.ts";
export type { QueryParams } from "./query_params.ts";

export interface AdmissionRequest {
  /** The Engine API operation: `ContainerCreate`, `LibpodContainerCreate`, ... */
  operation: string;
  /** The query, decoded as Go's `url.ParseQuery`. */
  query: QueryParams;
  /** The whole body, when `admissionNeeds` is `"body"`; `null` when there is none. */
  body: Uint8Array | null;
  /** The `Content-Type` header's value, `""` when absent. */
  contentType: string;
}

type BodyCheck = (settings: AdmissionSettings, body: GoJsonValue) => void;
type QueryCheck = (settings: AdmissionSettings, query: QueryParams, contentType: string) => void;

/** Operations whose JSON body is checked. */
const JSON_BODIES: Readonly<Record<string, BodyCheck>> = {
  ContainerCreate: checkContainerCreate,
  ContainerStart: checkContainerStart,
  ContainerUpdate: checkContainerUpdate,
  ContainerExec: checkExecCreate,
  CheckpointCreate: checkCheckpointCreate,
  ServiceCreate: checkServiceSpec,
  ServiceUpdate: checkServiceSpec,
  VolumeCreate: checkVolumeCreate,
  SecretCreate: checkSecretSpec,
  ConfigCreate: checkSecretSpec,
  LibpodContainerCreate: checkSpecGenerator,
  LibpodContainerExec: checkExecCreate,
  LibpodContainerUpdate: checkLibpodContainerUpdate,
  LibpodPodCreate: checkPodSpecGenerator,
  LibpodVolumeCreate: checkLibpodVolumeCreate,
  NetworkCreate: checkNetworkCreate,
  LibpodNetworkCreate: checkLibpodNetworkCreate,
};

/** Operations refused outright unless a setting allows them: they cannot be inspected. */
const REFUSED: Readonly<
  Record<string, { what: string; needs: (s: AdmissionSettings) => string | undefined }>
> = {
  PluginPull: {
    what: "Installing a plugin (it runs as root with the host access it asks for)",
    needs: plugins,
  },
  PluginUpgrade: {
    what: "Upgrading a plugin (it runs as root with the host access it asks for)",
    needs: plugins,
  },
  PluginCreate: {
    what: "Creating a plugin (it runs as root with the host access it asks for)",
    needs: plugins,
  },
  PluginSet: {
    what: "Configuring a plugin (its mounts and devices are host paths)",
    needs: plugins,
  },
  Grpc: {
    what: "BuildKit's /grpc API (the proxy cannot inspect it; builds may use the host network)",
    needs: (s) => s.buildkit ? undefined : "ALLOW_BUILDKIT=1",
  },
  SwarmInit: {
    what: "Initialising a swarm (managers can then run anything on this host)",
    needs: never,
  },
  SwarmJoin: {
    what: "Joining a swarm (its managers can then run anything on this host)",
    needs: never,
  },
  SwarmUpdate: {
    what: "Updating the swarm (its CA and join tokens let other nodes in)",
    needs: never,
  },
  LibpodQuadletInstall: {
    what: "Installing quadlets (systemd units run as the service's user)",
    needs: never,
  },
  LibpodLocalBuild: { what: "Building from a directory on the server", needs: never },
  LibpodLocalImages: { what: "Loading images from a path on the server", needs: never },
  LibpodArtifactLocal: { what: "Adding an artifact from a path on the server", needs: never },
  LibpodImageScp: { what: "Copying an image over SSH with the server's keys", needs: never },
  LibpodKubeApply: { what: "Applying to a cluster with the server's kubeconfig", needs: never },
};

function plugins(settings: AdmissionSettings): string | undefined {
  return settings.plugins ? undefined : "ALLOW_PLUGINS=1";
}

function never(): string {
  return "HOST_ACCESS=1";
}

/** Operations whose query is checked (the body, when any, is not needed). */
const QUERIES: Readonly<Record<string, QueryCheck>> = {
  ImageBuild: (settings, query) => checkBuildQuery(settings, query),
  LibpodImageBuild: (settings, query) => checkBuildQuery(settings, query),
  ImageCreate: (settings, query) => checkImageCreateQuery(settings, query),
  LibpodImageImport: (settings, query) => checkLibpodImportQuery(settings, query),
  LibpodSecretCreate: (_settings, query) => checkLibpodSecretQuery(query),
  LibpodContainerRestore: (_settings, query) => checkRestoreQuery(query),
  ContainerStart: (_settings, query) => checkStartQuery(query),
  LibpodPlayKube: (settings, query, contentType) =>
    checkKubePlayRequest(settings, query, contentType),
  LibpodKubePlay: (settings, query, contentType) =>
    checkKubePlayRequest(settings, query, contentType),
};

/** `kube play`, under both its routes (`/libpod/play/kube`, `/libpod/kube/play`). */
const KUBE_PLAY = new Set(["LibpodPlayKube", "LibpodKubePlay"]);

/** Operations whose query the engine would merge with a form-encoded body. */
const FORM_SENSITIVE = new Set([
  "ImageBuild",
  "ImageCreate",
  "ContainerStart",
  "PluginPull",
  "PluginUpgrade",
  "PluginCreate",
]);

/** What `admit` needs to decide: nothing, the query, or the query and the whole body. */
export function admissionNeeds(
  operation: string,
  settings: AdmissionSettings,
): "none" | "query" | "body" {
  if (settings.hostAccess) return "none";
  if (Object.hasOwn(JSON_BODIES, operation) || KUBE_PLAY.has(operation)) return "body";
  if (Object.hasOwn(QUERIES, operation) || Object.hasOwn(REFUSED, operation)) return "query";
  return "none";
}

function isBlank(body: Uint8Array | null): boolean {
  return body === null ||
    body.every((byte) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09);
}

function decide(request: AdmissionRequest, settings: AdmissionSettings): void {
  const { operation, query, body, contentType } = request;
  if (FORM_SENSITIVE.has(operation)) checkNotFormEncoded(contentType);
  const refused = Object.hasOwn(REFUSED, operation) ? REFUSED[operation] : undefined;
  if (refused !== undefined) {
    const needs = refused.needs(settings);
    if (needs !== undefined) forbid(operation, refused.what, needs);
  }
  if (Object.hasOwn(QUERIES, operation)) QUERIES[operation](settings, query, contentType);
  if (body !== null && body.length > settings.maxBodyBytes) {
    malformed(`Body is larger than MAX_BODY_SIZE (${settings.maxBodyBytes} bytes)`);
  }
  if (KUBE_PLAY.has(operation)) {
    if (!isBlank(body)) checkKubePlay(settings, parseKubeYaml(body!));
    return;
  }
  if (!Object.hasOwn(JSON_BODIES, operation) || isBlank(body)) return;
  let value: GoJsonValue;
  try {
    value = parseGoJson(body!);
  } catch (error) {
    if (error instanceof GoJsonError) malformed(error.message);
    throw error;
  }
  JSON_BODIES[operation](settings, value);
}

/** Loads what deciding `operation` needs beyond this module (the YAML parser for kube play). */
export async function prepareAdmission(operation: string): Promise<void> {
  if (KUBE_PLAY.has(operation)) await loadYaml();
}

/** Decides one request (after `prepareAdmission`). */
export function admit(request: AdmissionRequest, settings: AdmissionSettings): AdmissionVerdict {
  if (settings.hostAccess) return { allowed: true };
  try {
    decide(request, settings);
  } catch (error) {
    if (error instanceof Refusal) return error.toVerdict();
    throw error;
  }
  return { allowed: true };
}
