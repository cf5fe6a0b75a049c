import assert from "node:assert/strict";
import { compileGlob } from "../../../lib/policy/glob.ts";
import { parseLabelMatcher } from "../../../lib/policy/labels.ts";
import { parseRequestTarget, type RequestTarget } from "../../../lib/http/request_target.ts";
import { routeMatcher } from "../../../lib/routes/engine_routes.ts";
import { isNothing, scopePlan } from "../../../lib/scoping/scope_plan.ts";
import { OWNER_LABEL, type Scope, UNSCOPED } from "../../../lib/policy/scope.ts";
import { fillTemplate, notFound } from "../../../lib/proxy/scope_stage.ts";

function plan(scope: Scope, method: string, path: string) {
  const target = parseRequestTarget(path) as RequestTarget;
  const match = routeMatcher().match(method, target.segments);
  assert.ok(match !== null, `${method} ${path} is a route`);
  return scopePlan(scope, match);
}

const LABEL: Scope = { ...UNSCOPED, containerLabels: [parseLabelMatcher("team=a")] };
const TWO_LABELS: Scope = { ...UNSCOPED, containerLabels: ["a", "b"].map(parseLabelMatcher) };
const NAMES: Scope = { ...UNSCOPED, containerNames: [compileGlob("web*")] };
const OWNER: Scope = { ...UNSCOPED, owner: "ci" };
const SCRUB: Scope = { ...UNSCOPED, scrubEnvs: true };

Deno.test("an unscoped profile's requests pass as they are", async (t) => {
  for (
    const [method, path] of [
      ["GET", "/containers/json"],
      ["GET", "/containers/abc/json"],
      ["GET", "/events"],
      ["POST", "/containers/create"],
      ["GET", "/system/df"],
      ["POST", "/containers/prune"],
    ]
  ) {
    await t.step(`${method} ${path}`, () => assert.ok(isNothing(plan(UNSCOPED, method, path))));
  }
});

Deno.test("a scope that hides containers checks, filters or refuses each container route", async (t) => {
  const cases: [Scope, string, string, Partial<ReturnType<typeof plan>>][] = [
    [LABEL, "GET", "/v1.47/containers/json", {
      rewrite: "container-list",
      labelFilters: ["team=a"],
    }],
    [TWO_LABELS, "GET", "/containers/json", { rewrite: "container-list", labelFilters: null }],
    [NAMES, "GET", "/libpod/containers/json", { rewrite: "container-list" }],
    [LABEL, "GET", "/events", { events: true }],
    [LABEL, "GET", "/libpod/events", { events: true }],
    [LABEL, "GET", "/containers/abc/json", { object: { kind: "container", param: "name" } }],
    [LABEL, "POST", "/containers/abc/kill", { object: { kind: "container", param: "name" } }],
    [LABEL, "GET", "/containers/abc/logs", { object: { kind: "container", param: "name" } }],
    [LABEL, "DELETE", "/containers/abc", { object: { kind: "container", param: "name" } }],
    [LABEL, "POST", "/libpod/containers/abc/start", {
      object: { kind: "container", param: "name" },
    }],
    [LABEL, "POST", "/exec/abc/start", { object: { kind: "exec", param: "name" } }],
    [LABEL, "GET", "/exec/abc/json", { object: { kind: "exec", param: "id" } }],
    [LABEL, "POST", "/commit", { queryContainer: "container" }],
    [LABEL, "POST", "/containers/prune", { labelFilters: ["team=a"] }],
    [OWNER, "POST", "/containers/create", { label: "body" }],
    [OWNER, "POST", "/libpod/containers/create", { label: "body" }],
    [OWNER, "POST", "/networks/create", { label: "body" }],
    [OWNER, "POST", "/volumes/create", { label: "body" }],
    [OWNER, "POST", "/build", { label: "labels-query" }],
    [OWNER, "GET", "/networks", { rewrite: "network-list", labelFilters: [`${OWNER_LABEL}=ci`] }],
    [OWNER, "GET", "/volumes", { rewrite: "volume-list", labelFilters: [`${OWNER_LABEL}=ci`] }],
    [OWNER, "POST", "/volumes/prune", { labelFilters: [`${OWNER_LABEL}=ci`] }],
    [OWNER, "DELETE", "/networks/abc", { object: { kind: "network", param: "id" } }],
    [OWNER, "DELETE", "/volumes/v", { object: { kind: "volume", param: "name" } }],
    [OWNER, "DELETE", "/images/ghcr.io/a/b:1", { object: { kind: "image", param: "name" } }],
    [OWNER, "POST", "/networks/abc/connect", {
      bodyContainer: true,
      object: { kind: "network", param: "id" },
    }],
    [LABEL, "POST", "/networks/abc/connect", { bodyContainer: true, object: null }],
    [LABEL, "GET", "/networks/abc", { rewrite: "network-inspect", object: null }],
  ];
  for (const [scope, method, path, expected] of cases) {
    await t.step(`${method} ${path}`, () => {
      const got = plan(scope, method, path);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(got[key as keyof typeof got], value, key);
      }
      assert.equal(got.refuse, null);
    });
  }
});

Deno.test("routes that would show what the scope hides are refused", async (t) => {
  const cases: [Scope, string, string, RegExp][] = [
    [LABEL, "GET", "/system/df", /would show containers outside/],
    [LABEL, "GET", "/libpod/containers/stats", /would show containers outside/],
    [NAMES, "POST", "/containers/prune", /cannot be given to the engine as filters/],
    [TWO_LABELS, "POST", "/containers/prune", /cannot be given to the engine/],
    [LABEL, "GET", "/libpod/pods/json", /libpod route that names pods/],
    [OWNER, "POST", "/libpod/networks/create", /libpod route/],
  ];
  for (const [scope, method, path, error] of cases) {
    await t.step(`${method} ${path}`, () => assert.match(plan(scope, method, path).refuse!, error));
  }
});

Deno.test("without OWNER, networks, volumes and images are not scoped", () => {
  assert.ok(isNothing(plan(LABEL, "GET", "/networks")));
  assert.ok(isNothing(plan(LABEL, "POST", "/volumes/create")));
  assert.ok(isNothing(plan(LABEL, "DELETE", "/images/x")));
  assert.ok(isNothing(plan(OWNER, "GET", "/images/json")), "image reads are shared");
});

Deno.test("SCRUB_ENVS rewrites inspect answers of containers, services and tasks", () => {
  assert.equal(plan(SCRUB, "GET", "/containers/x/json").rewrite, "container-inspect");
  assert.equal(plan(SCRUB, "GET", "/containers/x/json").object, null, "scrubbing hides nothing");
  assert.equal(plan(SCRUB, "GET", "/libpod/containers/x/json").rewrite, "container-inspect");
  assert.equal(plan(SCRUB, "GET", "/services").rewrite, "service");
  assert.equal(plan(SCRUB, "GET", "/services/x").rewrite, "service");
  assert.equal(plan(SCRUB, "GET", "/tasks").rewrite, "task");
  assert.equal(plan(SCRUB, "GET", "/tasks/x").rewrite, "task");
  assert.ok(isNothing(plan(SCRUB, "GET", "/containers/json")));
});

Deno.test("a hidden object gets the engine's own answer for one that does not exist", () => {
  assert.equal(notFound("container", "web"), "No such container: web");
  assert.equal(notFound("exec", "abc"), "No such exec instance: abc");
  assert.equal(notFound("network", "n"), "network n not found");
  assert.equal(notFound("volume", "v"), "get v: no such volume");
  assert.equal(notFound("image", "i"), "No such image: i");
});

Deno.test("fillTemplate() writes a route's path with its parameters", () => {
  assert.equal(
    fillTemplate("/containers/{name:.*}/json", { name: "c0ffee" }),
    "/containers/c0ffee/json",
  );
  assert.equal(
    fillTemplate("/containers/{name}/checkpoints/{checkpoint}", { name: "a", checkpoint: "b" }),
    "/containers/a/checkpoints/b",
  );
});
