/**
 * What starting the proxy loads (`deno info`): the modules only a command or
 * some configurations use are imported dynamically, so that a proxy
 * configured by the environment alone never loads them, and with string
 * literals, so that `deno compile` still bundles them.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);

interface GraphModule {
  specifier: string;
  dependencies?: {
    code?: { specifier: string };
    type?: { specifier: string };
    isDynamic?: boolean;
  }[];
}

/** Modules only commands or some configurations use, by path prefix (relative to the root). */
const OPTIONAL = [
  "lib/admission/",
  "lib/proxy/admission_stage.ts",
  "lib/proxy/scope_stage.ts",
  "lib/engine/scope_resolver.ts",
  "lib/scoping/",
  "lib/engine/client_directory.ts",
  "lib/engine/engine_events.ts",
  "lib/engine/engine_client.ts",
  "lib/proxy/answer_relay.ts",
  "lib/proxy/version_floor_stage.ts",
  "lib/routes/api_versions.ts",
  "lib/proxy/event_relay.ts",
  "lib/policy/rule.ts",
  "lib/policy/query_constraint.ts",
  "lib/metrics/",
  "lib/server/metrics_server.ts",
  "lib/policy/learn.ts",
  "lib/policy/policy_loader.ts",
  "lib/policy/presets.ts", // with a policy file or PRESET only
  "lib/policy/preset_table.ts",
  "lib/server/policy_reloader.ts",
  "lib/server/healthcheck.ts",
  "npm:",
];

/** The small parts of those folders the configuration itself needs. */
const NEEDED = [
  "lib/admission/admission_settings.ts", // parses ALLOW_* and HOST_ACCESS
  "lib/admission/go_fold.ts", // the decision folds libpod's query names as Go does
  "lib/policy/scope.ts", // parses CONTAINER_NAMES, CONTAINER_LABELS, OWNER, SCRUB_ENVS
];

Deno.test("main.ts loads the optional modules only through literal dynamic imports", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const graph = JSON.parse(new TextDecoder().decode(stdout));
  const modules = new Map<string, GraphModule>(
    (graph.modules as GraphModule[]).map((module) => [module.specifier, module]),
  );
  const name = (specifier: string) => specifier.replace(ROOT.href, "");
  const reach = (dynamic: boolean): Set<string> => {
    const seen = new Set<string>([graph.roots[0]]);
    const queue = [graph.roots[0]];
    while (queue.length > 0) {
      for (const dependency of modules.get(queue.pop()!)?.dependencies ?? []) {
        const next = dependency.code?.specifier;
        if (next === undefined || (dependency.isDynamic && !dynamic) || seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
      }
    }
    return new Set([...seen].map(name));
  };
  const optional = (path: string) =>
    OPTIONAL.some((prefix) => path.startsWith(prefix)) && !NEEDED.includes(path);

  const atStart = [...reach(false)].filter(optional);
  assert.deepEqual(atStart, [], "loaded at start by a static import");
  const bundled = reach(true);
  for (const prefix of OPTIONAL) {
    assert.ok(
      [...bundled].some((path) => path.startsWith(prefix)),
      `${prefix} is reached by a literal dynamic import`,
    );
  }
});

/**
 * The layers of `lib/`, lowest first (DEVELOPERS.md, "Layers"). A module may
 * import its own folder and the folders of lower layers, never a folder of
 * its own layer or above: the wire format knows nothing of policies, policies
 * and admission nothing of connections, and only the server knows them all.
 */
const LAYERS: string[][] = [
  ["lib"], // timer, suggest, version, duration
  ["lib/http", "lib/log", "lib/routes", "lib/metrics", "lib/limits"],
  ["lib/admission"],
  ["lib/policy"],
  ["lib/scoping"],
  ["lib/engine", "lib/config"],
  ["lib/proxy"],
  ["lib/server"],
];

/** Every module of the project `main.ts` reaches, static, type-only and dynamic imports alike. */
async function projectGraph(): Promise<Map<string, string[]>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const graph = JSON.parse(new TextDecoder().decode(stdout));
  const local = (specifier: string | undefined): specifier is string =>
    specifier !== undefined && specifier.startsWith(ROOT.href);
  const edges = new Map<string, string[]>();
  for (const module of graph.modules as GraphModule[]) {
    if (!local(module.specifier)) continue;
    const targets = (module.dependencies ?? [])
      .flatMap((dependency) => [dependency.code?.specifier, dependency.type?.specifier])
      .filter(local);
    edges.set(
      module.specifier.replace(ROOT.href, ""),
      targets.map((s) => s.replace(ROOT.href, "")),
    );
  }
  return edges;
}

function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || ".";
}

/** The import circles of a graph: its strongly connected components of more than one module. */
export function importCircles(edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (module: string) => {
    index.set(module, index.size);
    low.set(module, index.get(module)!);
    stack.push(module);
    onStack.add(module);
    for (const next of edges.get(module) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(module, Math.min(low.get(module)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(module, Math.min(low.get(module)!, index.get(next)!));
      }
    }
    if (low.get(module) !== index.get(module)) return;
    const circle: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      circle.push(member);
    } while (member !== module);
    if (circle.length > 1 || edges.get(module)?.includes(module)) circles.push(circle.sort());
  };
  for (const module of edges.keys()) if (!index.has(module)) visit(module);
  return circles;
}

Deno.test("the circle finder finds a circle through three modules and none in a chain", () => {
  const circle = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
  assert.deepEqual(importCircles(circle), [["a", "b", "c"]]);
  assert.deepEqual(importCircles(new Map([["a", ["b"]], ["b", ["c"]], ["c", []]])), []);
});

Deno.test("no module of the project imports itself back through others", async () => {
  assert.deepEqual(importCircles(await projectGraph()), []);
});

Deno.test("lib/ imports only downward, layer by layer", async () => {
  const layerOf = new Map(LAYERS.flatMap((folders, layer) => folders.map((f) => [f, layer])));
  const upward: string[] = [];
  for (const [module, targets] of await projectGraph()) {
    if (!module.startsWith("lib/")) continue;
    const from = folderOf(module);
    assert.ok(layerOf.has(from), `${from} has a layer in LAYERS (module_graph_test.ts)`);
    for (const target of targets) {
      const to = folderOf(target);
      if (to === from || !to.startsWith("lib")) continue;
      assert.ok(layerOf.has(to), `${to} has a layer in LAYERS (module_graph_test.ts)`);
      if (layerOf.get(to)! >= layerOf.get(from)!) upward.push(`${module} -> ${target}`);
    }
  }
  assert.deepEqual(upward, []);
});
