/**
 * How long a forwarded request may wait for the engine's answer head
 * (`ENGINE_TIMEOUT`), decided from the route table: a finite request gets the
 * timeout; a stream, a tunnel or a transfer (events, logs and stats that
 * follow, attach, exec, wait, pull, push, build, load, import, export,
 * archives) is exempt; an operation whose duration the client asks for gets
 * that duration on top (a stop or restart with `t=`).
 *
 * Pure, and memoized with the route (`route_cache.ts`): the answer depends only
 * on the method, the route and the query. Query parameters are read as either
 * engine might read them (Docker's `BoolValue`/`Atoi`, Podman's gorilla/schema,
 * which folds names' case), and where they could disagree the longer wait wins.
 * A form body's fields are not read: the deadline is the query's.
 */
import { goFoldName } from "../admission/go_fold.ts";
import { foldedValues, goBoolean, isQueryError, parseQuery } from "../policy/query_params.ts";
import type { RouteSpec } from "../routes/route.ts";

/** `exempt`: no deadline. `finite`: the timeout plus `extraMs`, what the client asked to wait. */
export type EngineDeadline =
  | { readonly kind: "exempt" }
  | { readonly kind: "finite"; readonly extraMs: number };

/** Operations never timed: their answer may come late by design, or is a transfer. */
export const EXEMPT_OPERATIONS: ReadonlySet<string> = new Set([
  // Streams of events and attached streams.
  "SystemEvents",
  "LibpodSystemEvents",
  "ContainerAttach",
  "ContainerAttachWebsocket",
  "LibpodContainerAttach",
  "ExecStart",
  "LibpodExecStart",
  "Session",
  "Grpc",
  "ContainerWait",
  "LibpodContainerWait",
  // Pulls, pushes and builds.
  "ImageCreate",
  "ImagePush",
  "ImageBuild",
  "PluginPull",
  "PluginUpgrade",
  "PluginPush",
  "PluginCreate",
  "LibpodImagePull",
  "LibpodImagePush",
  "LibpodManifestPush",
  "LibpodManifestPushV3",
  "LibpodArtifactPull",
  "LibpodArtifactPush",
  "LibpodImageBuild",
  "LibpodLocalBuild",
  // Kube play pulls and builds, and with wait=true waits for its pods to exit.
  "LibpodPlayKube",
  "LibpodKubePlay",
  // Loads, imports, exports and archives.
  "ImageLoad",
  "ImageGet",
  "ImageGetAll",
  "ContainerExport",
  "ContainerArchive",
  "PutContainerArchive",
  "LibpodImageLoad",
  "LibpodLocalImages",
  "LibpodImageImport",
  "LibpodImageGet",
  "LibpodImageExport",
  "LibpodImageScp",
  "LibpodContainerExport",
  "LibpodContainerArchive",
  "LibpodPutContainerArchive",
  "LibpodVolumeExport",
  "LibpodVolumeImport",
  "LibpodArtifactAdd",
  "LibpodArtifactLocal",
  "LibpodArtifactExtract",
  "LibpodContainerCheckpoint",
  "LibpodContainerRestore",
]);

/**
 * Operations that stream when a boolean query parameter says so, and its name.
 * Whether it is true when absent comes from the route table (`stream` of
 * `ContainerStats` is).
 */
export const STREAM_PARAMS: Readonly<Record<string, string>> = {
  ContainerLogs: "follow",
  ServiceLogs: "follow",
  TaskLogs: "follow",
  LibpodContainerLogs: "follow",
  ContainerStats: "stream",
  LibpodContainerStats: "stream",
  LibpodContainersStatsAll: "stream",
  LibpodPodStatsAll: "stream",
  LibpodContainerTop: "stream",
  LibpodPodTop: "stream",
  LibpodImageCommit: "stream",
};

/**
 * Operations that wait as long as the client asks: integer seconds in these
 * parameters (a negative one: as long as it takes), and what they wait when
 * none is given (beyond the engine's own default, which the timeout covers).
 */
export const DURATION_PARAMS: Readonly<
  Record<string, { readonly params: readonly string[]; readonly defaultSeconds: number }>
> = {
  ContainerStop: { params: ["t"], defaultSeconds: 0 },
  ContainerRestart: { params: ["t"], defaultSeconds: 0 },
  LibpodContainerStop: { params: ["timeout", "t"], defaultSeconds: 0 },
  LibpodContainerRestart: { params: ["t", "timeout"], defaultSeconds: 0 },
  LibpodContainerDelete: { params: ["timeout"], defaultSeconds: 0 },
  LibpodPodStop: { params: ["t"], defaultSeconds: 0 },
  LibpodPodDelete: { params: ["timeout"], defaultSeconds: 0 },
  LibpodVolumeDelete: { params: ["timeout"], defaultSeconds: 0 },
  PluginEnable: { params: ["timeout"], defaultSeconds: 0 },
  // Go's pprof handlers: a CPU profile of `seconds` (30 by default), a trace (1).
  DebugPprofProfile: { params: ["seconds"], defaultSeconds: 30 },
  DebugPprofTrace: { params: ["seconds"], defaultSeconds: 1 },
};

const FINITE: EngineDeadline = Object.freeze({ kind: "finite", extraMs: 0 });
const EXEMPT: EngineDeadline = Object.freeze({ kind: "exempt" });
/** Go's `Atoi`/`ParseUint` syntax, and `ParseFloat`'s plain decimals for pprof's trace. */
const SECONDS = /^[+-]?[0-9]+(\.[0-9]+)?$/;

/** Whether some engine may read `values` of a boolean parameter as true. */
function mayBeTrue(values: readonly string[] | undefined, byDefault: boolean): boolean {
  if (values === undefined) return byDefault;
  for (const value of values) {
    // An empty value: Docker reads false, Podman's decoder skips it (the default holds).
    // Otherwise what both engines read as false (`goBoolean`) is false, anything else may be true.
    if (value.trim() === "" ? byDefault : goBoolean([value]) !== false) return true;
  }
  return false;
}

/** The deadline for a request on `route` (`null`: none) with `query` (with its `?`, or ""). */
export function engineDeadline(
  route: RouteSpec | null,
  query: string,
  upgrade: boolean,
): EngineDeadline {
  if (upgrade) return EXEMPT;
  if (route === null) return FINITE;
  const operation = route.operation;
  if (EXEMPT_OPERATIONS.has(operation)) return EXEMPT;
  const stream = STREAM_PARAMS[operation];
  const durations = DURATION_PARAMS[operation];
  if (stream === undefined && durations === undefined) return FINITE;
  const params = parseQuery(query);
  // A query the engines could read differently: no deadline rather than a wrong one.
  if (isQueryError(params)) return EXEMPT;
  if (stream !== undefined) {
    const byDefault = route.trueByDefault?.includes(stream) ?? false;
    if (mayBeTrue(foldedValues(params, stream, goFoldName), byDefault)) {
      return EXEMPT;
    }
    return FINITE;
  }
  let seconds = durations!.defaultSeconds;
  for (const name of durations!.params) {
    for (const value of foldedValues(params, name, goFoldName) ?? []) {
      if (!SECONDS.test(value)) continue; // the engine refuses it (or uses its default) at once
      const asked = Number(value);
      if (asked < 0) return EXEMPT; // as long as it takes
      if (asked > seconds) seconds = asked;
    }
  }
  return seconds === 0 ? FINITE : { kind: "finite", extraMs: Math.ceil(seconds * 1000) };
}

/** The deadline in ms for a timeout of `timeoutMs` (0: none), or 0 for none. */
export function deadlineMs(deadline: EngineDeadline, timeoutMs: number): number {
  if (timeoutMs <= 0 || deadline.kind === "exempt") return 0;
  return timeoutMs + deadline.extraMs;
}
