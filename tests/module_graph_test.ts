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
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
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
  "lib/proxy/event_relay.ts",
  "lib/policy/rule.ts",
  "lib/policy/query_constraint.ts",
  "lib/metrics/",
  "lib/server/metrics_server.ts",
  "lib/policy/learn.ts",
  "lib/policy/policy_loader.ts",
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
