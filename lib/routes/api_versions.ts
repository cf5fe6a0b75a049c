/**
 * What the Engine API changed between versions, for `API_VERSION_FLOOR`: a
 * request for an older version is forwarded as the floor version when the
 * engine's own changelog (moby's `api/docs/CHANGELOG.md`, and the routers'
 * `versions.LessThan` checks in v28.5.2 that implement it) shows only
 * additions between the two, translated where the difference is exact to
 * undo, and refused where it would change what the request means or remove
 * what the client reads. Pure: the table and the plan for one request.
 *
 * Only versioned changes matter here: an unversioned change applies to every
 * version alike, and forwarding as another version does not alter it.
 */

/** An API version, `[major, minor]`. */
export type ApiVersion = readonly [number, number];

/** `1.44`, `v1.44` or `V1.44` as a version, or `null`. */
export function parseApiVersion(text: string): ApiVersion | null {
  const match = /^[vV]?([0-9]{1,4})\.([0-9]{1,4})$/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2])] : null;
}

export function compareVersions(a: ApiVersion, b: ApiVersion): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

export function formatVersion(version: ApiVersion): string {
  return `${version[0]}.${version[1]}`;
}

/** The oldest version this table describes: the changelog's first versioned API (1.24). */
export const OLDEST_KNOWN: ApiVersion = [1, 24];
/** The newest floor this table knows the way to. */
export const NEWEST_KNOWN: ApiVersion = [1, 51];

/** What forwarding an older request as the floor does to one route, from the version that changed it. */
export type Effect =
  /** The route answers differently, whatever the request: refused. */
  | { kind: "refuse" }
  /** Older versions ignored the query parameter: dropped (exact). */
  | { kind: "drop-query"; param: string }
  /** Older versions read the parameter as a filter: moved into `filters` (exact). */
  | { kind: "query-to-filter"; param: string; filter: string }
  /** Older versions behaved as with these query parameters: set (exact). */
  | { kind: "set-query"; params: readonly (readonly [string, string])[] }
  /** Older versions behaved as with this filter: added to `filters` unless given (exact). */
  | { kind: "add-filter"; filter: string; value: string }
  /** Body fields whose handling changed: refused when set (not zero, empty or null). */
  | { kind: "refuse-fields"; paths: readonly string[] }
  /** Body fields older versions ignored and a translation may drop (exact). */
  | { kind: "drop-fields"; paths: readonly string[] }
  /** A body field older versions defaulted differently: refused when missing or empty. */
  | { kind: "require-field"; path: string }
  /**
   * Read-only binds became recursively read-only: forwarded as they are (only
   * stricter: mounts below the source lose write access), and logged. Marking
   * them non-recursive would be exact, but would forward a body looser than
   * the one admission checked.
   */
  | { kind: "read-only-binds" }
  /** An answer field older versions had, restored exactly from the answer. */
  | { kind: "answer"; translation: AnswerTranslation };

export type AnswerTranslation =
  /** `VirtualSize` (dropped in 1.44) equals `Size`. */
  | "virtual-size"
  /** Untagged images listed `<none>:<none>` and `<none>@<none>` before 1.43. */
  | "none-placeholders"
  /** An image without a creation time had `Created: "0001-01-01T00:00:00Z"` before 1.44. */
  | "zero-created"
  /** `KernelVersion` and `OperatingSystem` were `<unknown>` when empty before 1.39. */
  | "unknown-kernel"
  /** `SecurityOptions` were names only (`seccomp`) before 1.25, not `name=seccomp,profile=...`. */
  | "security-option-names";

export interface VersionChange {
  /** The first version with the new behaviour. */
  since: ApiVersion;
  operations: readonly string[];
  effect: Effect;
  /** What changed, as the changelog says it. */
  fact: string;
}

const v = (minor: number): ApiVersion => [1, minor];
const CREATE = ["ContainerCreate"];
const SERVICES = ["ServiceCreate", "ServiceUpdate"];
const SPEC = "TaskTemplate.ContainerSpec";

/**
 * Fields of `refuse-fields` whose Go type is a pointer to a struct: set
 * whenever present and not `null`, even as `{}`, which is how the empty
 * structs `GlobalJob` and a config's `Runtime` target are asked for.
 */
export const POINTER_FIELDS: ReadonlySet<string> = new Set([
  "Mode.ReplicatedJob",
  "Mode.GlobalJob",
  `${SPEC}.Configs[].Runtime`,
]);

/** Every versioned change from 1.25 to 1.51 that is not a pure addition. Additions are not listed. */
export const VERSION_CHANGES: readonly VersionChange[] = [
  // 1.25
  {
    since: v(25),
    operations: CREATE,
    effect: { kind: "refuse-fields", paths: ["HostConfig.AutoRemove"] },
    fact: "HostConfig.AutoRemove is applied from API 1.25; older versions ignored it",
  },
  {
    since: v(25),
    operations: ["SystemInfo"],
    effect: { kind: "answer", translation: "security-option-names" },
    fact: "GET /info lists SecurityOptions as `name=...,key=value` from API 1.25, names before",
  },
  // 1.28
  {
    since: v(28),
    operations: ["ContainerAttachWebsocket"],
    effect: { kind: "refuse" },
    fact: "attach/ws sends binary WebSocket frames from API 1.28, text frames before",
  },
  {
    since: v(28),
    operations: ["NetworkList"],
    effect: { kind: "refuse" },
    fact: "GET /networks no longer lists each network's containers from API 1.28",
  },
  // 1.30
  {
    since: v(30),
    operations: ["ContainerWait"],
    effect: { kind: "drop-query", param: "condition" },
    fact: "POST /containers/{id}/wait reads `condition` from API 1.30; older versions ignored it",
  },
  {
    since: v(30),
    operations: SERVICES,
    effect: { kind: "refuse" },
    fact: "the engine resolves a service's image digest in the registry for API < 1.30 only",
  },
  // 1.32
  {
    since: v(32),
    operations: ["ImageCreate", "ImageBuild"],
    effect: { kind: "drop-query", param: "platform" },
    fact: "`platform` is read from API 1.32; older versions ignored it",
  },
  // 1.39
  {
    since: v(39),
    operations: ["SystemInfo"],
    effect: { kind: "answer", translation: "unknown-kernel" },
    fact: "GET /info answers an empty KernelVersion and OperatingSystem, `<unknown>` before 1.39",
  },
  {
    since: v(39),
    operations: ["SwarmInit"],
    effect: { kind: "refuse-fields", paths: ["DefaultAddrPool", "SubnetSize"] },
    fact: "POST /swarm/init applies DefaultAddrPool and SubnetSize from API 1.39",
  },
  // 1.40
  {
    since: v(40),
    operations: CREATE,
    effect: {
      kind: "refuse-fields",
      paths: ["HostConfig.Mounts[].BindOptions.NonRecursive", "HostConfig.KernelMemoryTCP"],
    },
    fact: "BindOptions.NonRecursive and KernelMemoryTCP are applied from API 1.40; " +
      "older versions ignored them",
  },
  {
    since: v(40),
    operations: ["ContainerUpdate"],
    effect: { kind: "refuse-fields", paths: ["PidsLimit"] },
    fact: "POST /containers/{id}/update applies PidsLimit from API 1.40",
  },
  {
    since: v(40),
    operations: ["ImageBuild"],
    effect: { kind: "drop-query", param: "outputs" },
    fact: "POST /build reads `outputs` from API 1.40",
  },
  {
    since: v(40),
    operations: ["SwarmInit"],
    effect: { kind: "refuse-fields", paths: ["DataPathPort"] },
    fact: "POST /swarm/init applies DataPathPort from API 1.40",
  },
  {
    since: v(40),
    operations: SERVICES,
    effect: {
      kind: "refuse-fields",
      paths: [
        `${SPEC}.Sysctls`,
        `${SPEC}.Privileges.CredentialSpec.Config`,
        `${SPEC}.Configs[].Runtime`,
        "TaskTemplate.Placement.MaxReplicas",
      ],
    },
    fact: "services apply Sysctls, CredentialSpec.Config, config Runtime targets and " +
      "MaxReplicas from API 1.40",
  },
  // 1.41
  {
    since: v(41),
    operations: CREATE,
    effect: { kind: "require-field", path: "HostConfig.CgroupnsMode" },
    fact: "an empty HostConfig.CgroupnsMode meant `host` on cgroup v1 hosts before API 1.41, " +
      "the daemon's default (`private`) since",
  },
  {
    since: v(41),
    operations: CREATE,
    effect: { kind: "drop-query", param: "platform" },
    fact: "POST /containers/create reads `platform` from API 1.41",
  },
  {
    since: v(41),
    operations: ["ContainerStats"],
    effect: { kind: "drop-query", param: "one-shot" },
    fact: "GET /containers/{id}/stats reads `one-shot` from API 1.41",
  },
  {
    since: v(41),
    operations: ["ImageList"],
    effect: { kind: "query-to-filter", param: "filter", filter: "reference" },
    fact: "GET /images/json dropped the `filter` parameter (a reference filter) in API 1.41",
  },
  {
    since: v(41),
    operations: ["ServiceList"],
    effect: { kind: "drop-query", param: "status" },
    fact: "GET /services reads `status` from API 1.41",
  },
  {
    since: v(41),
    operations: SERVICES,
    effect: {
      kind: "refuse-fields",
      paths: [
        `${SPEC}.CapabilityAdd`,
        `${SPEC}.CapabilityDrop`,
        `${SPEC}.Ulimits`,
        "TaskTemplate.Resources.Limits.Pids",
        "Mode.ReplicatedJob",
        "Mode.GlobalJob",
      ],
    },
    fact: "services apply capabilities, ulimits, a pids limit and job modes from API 1.41",
  },
  // 1.42
  {
    since: v(42),
    operations: ["ContainerStop", "ContainerRestart"],
    effect: { kind: "drop-query", param: "signal" },
    fact: "stop and restart read `signal` from API 1.42",
  },
  {
    since: v(42),
    operations: ["ContainerAttachWebsocket"],
    effect: { kind: "set-query", params: [["stdin", "1"], ["stdout", "1"], ["stderr", "1"]] },
    fact: "attach/ws reads stdin, stdout and stderr from API 1.42 (false when absent); " +
      "older versions attached every stream",
  },
  {
    since: v(42),
    operations: CREATE,
    effect: {
      kind: "refuse-fields",
      paths: ["HostConfig.Mounts[].BindOptions.CreateMountpoint", "HostConfig.KernelMemory"],
    },
    fact: "BindOptions.CreateMountpoint is applied from API 1.42, and KernelMemory ignored",
  },
  {
    since: v(42),
    operations: ["ContainerUpdate"],
    effect: { kind: "refuse-fields", paths: ["KernelMemory"] },
    fact: "POST /containers/{id}/update ignores KernelMemory from API 1.42",
  },
  {
    since: v(42),
    operations: ["ContainerExec", "ExecStart"],
    effect: { kind: "drop-fields", paths: ["ConsoleSize"] },
    fact: "exec create and start apply ConsoleSize from API 1.42; older versions ignored it",
  },
  {
    since: v(42),
    operations: ["ImageList"],
    effect: { kind: "drop-query", param: "shared-size" },
    fact: "GET /images/json reads `shared-size` from API 1.42",
  },
  {
    since: v(42),
    operations: ["SystemDataUsage"],
    effect: { kind: "refuse" },
    fact: "GET /system/df dropped BuilderSize and the build cache's Parent in API 1.42",
  },
  {
    since: v(42),
    operations: ["VolumePrune"],
    effect: { kind: "add-filter", filter: "all", value: "true" },
    fact: "POST /volumes/prune prunes only anonymous volumes from API 1.42, every unused one " +
      "before (the `all` filter)",
  },
  // 1.43
  {
    since: v(43),
    operations: CREATE,
    effect: { kind: "refuse-fields", paths: ["HostConfig.Annotations"] },
    fact: "HostConfig.Annotations is applied from API 1.43",
  },
  {
    since: v(43),
    operations: ["ImageList"],
    effect: { kind: "answer", translation: "none-placeholders" },
    fact: "GET /images/json lists untagged images with empty RepoTags and RepoDigests from " +
      "API 1.43, `<none>:<none>` and `<none>@<none>` before",
  },
  // 1.44
  {
    since: v(44),
    operations: CREATE,
    effect: { kind: "read-only-binds" },
    fact: "read-only binds are recursively read-only from API 1.44, not before",
  },
  {
    since: v(44),
    operations: CREATE,
    effect: {
      kind: "refuse-fields",
      paths: [
        "Healthcheck.StartInterval",
        "HostConfig.Mounts[].BindOptions.ReadOnlyForceRecursive",
      ],
    },
    fact: "Healthcheck.StartInterval and BindOptions.ReadOnlyForceRecursive are applied from " +
      "API 1.44",
  },
  {
    since: v(44),
    operations: CREATE,
    effect: { kind: "drop-fields", paths: ["NetworkingConfig.EndpointsConfig.*.MacAddress"] },
    fact: "an endpoint's MacAddress is applied from API 1.44; older versions ignored it (and " +
      "took the container-wide Config.MacAddress instead)",
  },
  {
    since: v(44),
    operations: SERVICES,
    effect: {
      kind: "refuse-fields",
      paths: [
        `${SPEC}.Privileges.Seccomp`,
        `${SPEC}.Privileges.AppArmor`,
        `${SPEC}.Privileges.NoNewPrivileges`,
        `${SPEC}.Healthcheck.StartInterval`,
      ],
    },
    fact: "services apply Seccomp, AppArmor, NoNewPrivileges and StartInterval from API 1.44",
  },
  {
    since: v(44),
    operations: ["ImageList", "ImageInspect", "SystemDataUsage"],
    effect: { kind: "answer", translation: "virtual-size" },
    fact: "VirtualSize (the same as Size) is omitted from API 1.44",
  },
  {
    since: v(44),
    operations: ["ImageInspect"],
    effect: { kind: "answer", translation: "zero-created" },
    fact: "an image without a creation time has no Created from API 1.44, " +
      "`0001-01-01T00:00:00Z` before",
  },
  // 1.45 to 1.51: what a floor above 1.44 would cross.
  {
    since: v(45),
    operations: ["ContainerInspect", "ContainerList"],
    effect: { kind: "refuse" },
    fact: "container answers drop the short ID from Aliases in API 1.45",
  },
  {
    since: v(45),
    operations: ["ImageInspect"],
    effect: { kind: "refuse" },
    fact: "GET /images/{name}/json drops Container and ContainerConfig in API 1.45",
  },
  {
    since: v(48),
    operations: CREATE,
    effect: { kind: "drop-fields", paths: ["NetworkingConfig.EndpointsConfig.*.GwPriority"] },
    fact: "an endpoint's GwPriority is applied from API 1.48",
  },
];

/** What a request becomes under the floor. */
export type FloorPlan =
  | { kind: "forward" }
  | { kind: "refuse"; reason: string }
  | {
    kind: "rewrite";
    from: ApiVersion;
    to: ApiVersion;
    /** The changes crossed, as they apply to this request. */
    changes: VersionChange[];
  };

/**
 * The plan for `operation` requested as `version` (the path's `v1.xx`, `null`
 * for none) under `floor`: untouched at or above the floor or without a
 * version; refused below the table's oldest version or where a crossed change
 * refuses the route; rewritten otherwise.
 */
export function floorPlan(
  operation: string,
  version: string | null,
  floor: ApiVersion,
): FloorPlan {
  if (version === null) return { kind: "forward" };
  const from = parseApiVersion(version);
  if (from === null || compareVersions(from, floor) >= 0) return { kind: "forward" };
  const wanted = `API_VERSION_FLOOR=${formatVersion(floor)}`;
  if (compareVersions(from, OLDEST_KNOWN) < 0) {
    return {
      kind: "refuse",
      reason:
        `API ${formatVersion(from)} is older than ${
          formatVersion(OLDEST_KNOWN)
        }, the oldest whose changes to ${formatVersion(floor)} the proxy knows (${wanted}): ` +
        `use API ${formatVersion(OLDEST_KNOWN)} or later`,
    };
  }
  const changes = VERSION_CHANGES.filter((change) =>
    change.operations.includes(operation) &&
    compareVersions(from, change.since) < 0 && compareVersions(change.since, floor) <= 0
  );
  const refusal = changes.find((change) => change.effect.kind === "refuse");
  if (refusal !== undefined) {
    return {
      kind: "refuse",
      reason: `${operation} cannot be forwarded from API ${formatVersion(from)} as ${
        formatVersion(floor)
      } (${wanted}): ${refusal.fact}: use API ${formatVersion(refusal.since)} or later`,
    };
  }
  return { kind: "rewrite", from, to: floor, changes };
}
