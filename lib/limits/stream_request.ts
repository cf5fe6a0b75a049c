/**
 * Whether a request will hold its connection open as a stream or a tunnel
 * (counted by `MAX_CLIENT_STREAMS`) rather than be answered and done
 * (counted by `MAX_CLIENT_REQUESTS` and the engine's fair share). Decided
 * from the route's operation and the query the engine reads, before the
 * request is forwarded. Pure.
 */

/** Operations whose answer is a stream (or a tunnel) whatever the query says. */
const ALWAYS = new Set([
  "SystemEvents",
  "LibpodSystemEvents",
  "ContainerAttach",
  "ContainerAttachWebsocket",
  "LibpodContainerAttach",
  "ExecStart",
  "LibpodExecStart",
  "Session",
  "ContainerWait",
  "LibpodContainerWait",
  "ImageCreate",
  "LibpodImagePull",
  "ImagePush",
  "LibpodImagePush",
  "ImageBuild",
  "LibpodImageBuild",
  "LibpodLocalBuild",
  "ImageLoad",
  "LibpodImageLoad",
  "LibpodImageImport",
  "ImageGet",
  "ImageGetAll",
  "LibpodImageGet",
  "LibpodImageExport",
  "ContainerExport",
  "LibpodContainerExport",
  "PluginPull",
  "PluginPush",
  "LibpodManifestPush",
  "LibpodArtifactPull",
  "LibpodArtifactPush",
]);

/** Operations that stream when `follow` is true (absent: false). */
const FOLLOW = new Set(["ContainerLogs", "LibpodContainerLogs", "ServiceLogs", "TaskLogs"]);

/** Operations that stream unless `stream` is false (absent: true). */
const STREAM = new Set([
  "ContainerStats",
  "LibpodContainerStats",
  "LibpodContainersStatsAll",
  "LibpodPodStatsAll",
]);

/** A query value as the engine reads a boolean (`httputils.BoolValue`): the first one given. */
function boolParam(query: string, name: string): boolean | null {
  for (const pair of query.replace(/^\?/, "").split("&")) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (safeDecode(key) !== name) continue;
    const value = safeDecode(eq < 0 ? "" : pair.slice(eq + 1)).trim().toLowerCase();
    return !(value === "" || value === "0" || value === "no" || value === "false" ||
      value === "none");
  }
  return null;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}

/**
 * Whether the request is a stream or a tunnel: an upgrade, an operation that
 * always streams, logs that follow, stats that stream.
 */
export function isStreamRequest(
  operation: string | null,
  query: string,
  upgrade: boolean,
): boolean {
  if (upgrade) return true;
  if (operation === null) return false;
  if (ALWAYS.has(operation)) return true;
  if (FOLLOW.has(operation)) return boolParam(query, "follow") === true;
  if (STREAM.has(operation)) return boolParam(query, "stream") !== false;
  return false;
}
