/**
 * Generates `lib/routes/route_table.ts`: every route the Docker engine and
 * Podman serve, in their routers' matching order, with operation names, API
 * versions and query parameter types. Only these facts are copied, never
 * source code.
 *
 * To regenerate:
 *
 * 1. Fetch fresh snapshots of github.com/moby/moby and
 *    github.com/containers/podman with their git history (the `fetch` tool with
 *    `github:moby/moby` and `github:containers/podman` leaves them at
 *    `/work/.mirror/moby+moby/repo` and `/work/.mirror/containers+podman/repo`;
 *    elsewhere, `git clone --bare`). The generator reads their HEAD commits
 *    with `git show`; no work tree is needed.
 * 2. Run
 *    ```sh
 *    scripts/deno run --allow-read --allow-run --allow-write --allow-env=LOG_TOKENS,LOG_STREAM \
 *      scripts/routes/generate_routes.ts --moby /work/.mirror/moby+moby/repo \
 *      --podman /work/.mirror/containers+podman/repo
 *    ```
 *    (`npm:yaml` reads the two variables.) It fails, naming them, when a route
 *    has no name: name the routes no swagger documents in the two maps below.
 * 3. Read its notes (renamed operations, changed types, skipped catch-alls,
 *    shadowed duplicates), then run `tests/unit/routes/route_matcher_test.ts`, whose
 *    list of shadowed routes may need updating.
 *
 * Not in the table, because no method and path select them: moby's 404
 * catch-all `/v{version}/{path:.*}` and its gRPC server for HTTP/2 requests
 * with `Content-Type: application/grpc` (any path, before the router);
 * Podman's route for that content type on any method and path, its "no swarm"
 * prefix catch-alls and its method-less "not supported" routes.
 */
import { PARAM_TYPE_CODES, type RouteSpec } from "../../lib/routes/route.ts";
import { templateShape } from "../../lib/routes/route_template.ts";
import { GitSnapshot } from "./git_snapshot.ts";
import { readMobyRoutes } from "./moby_routes.ts";
import { readPodmanRoutes } from "./podman_routes.ts";

/**
 * Names of the routes moby's routers serve and no swagger documents, in the
 * swagger's Noun+Verb style, keyed by `METHOD /template` as registered.
 */
const ROUTER_NAMES: Readonly<Record<string, string>> = {
  // Experimental checkpoint router (answers "not implemented" unless experimental).
  "GET /containers/{name:.*}/checkpoints": "CheckpointList",
  "POST /containers/{name:.*}/checkpoints": "CheckpointCreate",
  "DELETE /containers/{name}/checkpoints/{checkpoint}": "CheckpointDelete",
  // System router: the CORS preflight answer for every path.
  "OPTIONS /{anyroute:.*}": "SystemOptions",
  "POST /build/cancel": "BuildCancel",
  // Unreachable through the proxy: canonical paths have no trailing slash.
  "GET /networks/": "NetworkListSlash",
  // Debug router: always registered (expvar and pprof).
  "GET /debug/vars": "DebugVars",
  "GET /debug/pprof/": "DebugPprofIndex",
  "GET /debug/pprof/cmdline": "DebugPprofCmdline",
  "GET /debug/pprof/profile": "DebugPprofProfile",
  "GET /debug/pprof/symbol": "DebugPprofSymbol",
  "GET /debug/pprof/trace": "DebugPprofTrace",
  "GET /debug/pprof/{name}": "DebugPprofLookup",
  // BuildKit's gRPC over a hijacked HTTP/1.1 connection.
  "POST /grpc": "Grpc",
};

/**
 * Names of the Podman routes no swagger comment documents (aliases, and the
 * extra methods of multi-method registrations), keyed by `METHOD /template`.
 */
const PODMAN_NAMES: Readonly<Record<string, string>> = {
  // HEAD and GET of multi-method registrations documented for one method only.
  "HEAD /libpod/containers/{name}/archive": "LibpodContainerArchiveInfo",
  "HEAD /libpod/_ping": "LibpodSystemPingHead",
  "POST /libpod/exec/{id}/remove": "LibpodExecRemove",
  // The v3 manifests subrouter's create (v4 creates with POST /libpod/manifests/{name}).
  "POST /libpod/manifests/create": "LibpodManifestCreateV3",
  // Aliases: inspect without /json, and /libpod/kube/* for /libpod/{play,generate}/kube.
  "GET /libpod/networks/{name}": "LibpodNetworkInspectAlias",
  "POST /libpod/kube/play": "LibpodKubePlay",
  "DELETE /libpod/kube/play": "LibpodKubePlayDown",
  "GET /libpod/kube/generate": "LibpodKubeGenerate",
  "GET /libpod/swagger": "LibpodSwagger",
};

function parseArgs(args: string[]): { moby: string; podman: string; out: string } {
  const values: Record<string, string> = { out: "lib/routes/route_table.ts" };
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i].replace(/^--/, "");
    if (!["moby", "podman", "out"].includes(flag) || args[i + 1] === undefined) {
      throw new Error(
        `Usage: generate_routes.ts --moby <git dir> --podman <git dir> [--out <file>]`,
      );
    }
    values[flag] = args[i + 1];
  }
  if (!values.moby || !values.podman) throw new Error("Both --moby and --podman are required");
  return values as { moby: string; podman: string; out: string };
}

function row(route: RouteSpec): string {
  const query = Object.entries(route.query).map(([name, type]) =>
    `${name}:${route.trueByDefault?.includes(name) ? "B" : PARAM_TYPE_CODES[type]}`
  );
  const args = [
    route.source[0],
    route.operation,
    `${route.method} ${route.template}`,
    query.join(" "),
    route.since ?? "",
    route.until ?? "",
  ];
  while (args.length > 3 && args[args.length - 1] === "") args.pop();
  return `  r(${args.map((a) => JSON.stringify(a)).join(", ")}),`;
}

async function main(): Promise<void> {
  const options = parseArgs(Deno.args);
  const moby = await GitSnapshot.open(options.moby);
  const podman = await GitSnapshot.open(options.podman);
  const docker = await readMobyRoutes(moby, ROUTER_NAMES);
  const shapes = new Set(docker.routes.map((r) => `${r.method} ${templateShape(r.template)}`));
  const pod = await readPodmanRoutes(podman, shapes, PODMAN_NAMES);
  const routes = [...docker.routes, ...pod.routes];

  const names = new Map<string, string>();
  for (const route of routes) {
    const other = names.get(route.operation);
    if (other !== undefined) {
      throw new Error(
        `Operation ${route.operation} names both ${other} and ${route.method} ${route.template}`,
      );
    }
    names.set(route.operation, `${route.method} ${route.template}`);
  }

  const first = docker.versions[0];
  const last = docker.versions[docker.versions.length - 1];
  const count = (f: (r: RouteSpec) => boolean) => routes.filter(f).length;
  const sources = {
    moby: {
      repository: "github.com/moby/moby",
      commit: moby.commit,
      date: await moby.date(),
      apiVersions: docker.versions,
    },
    podman: {
      repository: "github.com/containers/podman",
      commit: podman.commit,
      date: await podman.date(),
      version: pod.version,
    },
  };
  const text = [
    "// deno-fmt-ignore-file",
    "// Generated by scripts/routes/generate_routes.ts — do not edit.",
    `// moby/moby ${moby.commit} (${sources.moby.date}): Engine API v${first} … v${last}`,
    `// containers/podman ${podman.commit} (${sources.podman.date}): Podman ${pod.version}`,
    "//",
    "// One row per route, in the engines' matching order: source (s: moby's swagger, r: moby's",
    '// routers only, p: Podman), operation, "METHOD /template", query parameters (name:type;',
    "// b boolean (B: true when absent), i integer, n number, s string, a array, o object),",
    "// since, until.",
    `// ${count((r) => r.api === "docker")} Docker routes (${
      count((r) => r.source === "router")
    } router-only, ${count((r) => r.api === "docker" && r.source === "podman")} Podman-only), ${
      count((r) => r.api === "libpod")
    } libpod routes.`,
    'import { type RouteSpec, routeSpec as r } from "../route.ts";',
    "",
    "/** Where the table comes from. */",
    `export const ROUTE_TABLE_SOURCES = ${JSON.stringify(sources, null, 2)} as const;`,
    "",
    "/** Every route, in matching order. */",
    "export const ROUTES: readonly RouteSpec[] = Object.freeze([",
    ...routes.map(row),
    "]);",
    "",
  ].join("\n");
  await Deno.writeTextFile(options.out, text);
  for (const note of new Set([...docker.notes, ...pod.notes])) console.log("note: " + note);
  console.log(`Wrote ${routes.length} routes to ${options.out}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
