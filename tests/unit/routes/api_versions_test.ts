import assert from "node:assert/strict";
import {
  compareVersions,
  floorPlan,
  parseApiVersion,
  VERSION_CHANGES,
} from "../../../lib/routes/api_versions.ts";
import { ROUTES } from "../../../lib/routes/route_table.ts";

const FLOOR = [1, 44] as const;

Deno.test("API versions parse with or without the v, and compare by minor number", () => {
  assert.deepEqual(parseApiVersion("v1.25"), [1, 25]);
  assert.deepEqual(parseApiVersion("1.44"), [1, 44]);
  assert.equal(parseApiVersion("v4.0.0"), null);
  assert.equal(parseApiVersion("latest"), null);
  assert.ok(compareVersions([1, 9], [1, 10]) < 0);
  assert.ok(compareVersions([1, 44], [1, 44]) === 0);
});

Deno.test("every change in the table names operations of the route table", () => {
  const operations = new Set(ROUTES.map((route) => route.operation));
  for (const change of VERSION_CHANGES) {
    for (const operation of change.operations) {
      assert.ok(operations.has(operation), `${operation} (${change.fact})`);
    }
  }
});

Deno.test("a request at or above the floor, or without a version, is left as it is", async (t) => {
  const cases: [string, string | null][] = [
    ["ContainerList", "v1.44"],
    ["ContainerList", "v1.51"],
    ["ContainerList", null],
    ["LibpodContainerList", "v4.0.0"],
  ];
  for (const [operation, version] of cases) {
    await t.step(`${operation} at ${version}`, () => {
      assert.deepEqual(floorPlan(operation, version, FLOOR), { kind: "forward" });
    });
  }
});

Deno.test("an older request on a route with additions only is rewritten with no changes", async (t) => {
  for (
    const operation of ["ContainerList", "ContainerInspect", "ContainerKill", "NetworkConnect"]
  ) {
    await t.step(operation, () => {
      const plan = floorPlan(operation, "v1.25", FLOOR);
      assert.equal(plan.kind, "rewrite");
      if (plan.kind === "rewrite") assert.deepEqual(plan.changes, []);
    });
  }
});

Deno.test("routes whose answers changed meaning are refused, naming why and what works", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["ContainerAttachWebsocket", "v1.25", /text frames before.*use API 1\.28/],
    ["NetworkList", "v1.24", /containers.*use API 1\.28/],
    ["ServiceCreate", "v1.29", /registry.*use API 1\.30/],
    ["SystemDataUsage", "v1.41", /BuilderSize/],
  ];
  for (const [operation, version, reason] of cases) {
    await t.step(`${operation} at ${version}`, () => {
      const plan = floorPlan(operation, version, FLOOR);
      assert.equal(plan.kind, "refuse");
      if (plan.kind === "refuse") {
        assert.match(plan.reason, reason);
        assert.match(plan.reason, /API_VERSION_FLOOR=1\.44/);
      }
    });
  }
});

Deno.test("a change at or below the request's own version does not apply", () => {
  const plan = floorPlan("NetworkList", "v1.28", FLOOR);
  assert.equal(plan.kind, "rewrite");
  const stop = floorPlan("ContainerStop", "v1.42", FLOOR);
  assert.ok(stop.kind === "rewrite" && stop.changes.length === 0);
});

Deno.test("versions older than the table knows are refused", () => {
  const plan = floorPlan("ContainerList", "v1.23", FLOOR);
  assert.equal(plan.kind, "refuse");
  if (plan.kind === "refuse") assert.match(plan.reason, /older than 1\.24/);
});

Deno.test("a floor above 1.44 crosses the 1.45 changes of container inspect", () => {
  assert.equal(floorPlan("ContainerInspect", "v1.25", [1, 45]).kind, "refuse");
  assert.equal(floorPlan("ContainerInspect", "v1.25", [1, 44]).kind, "rewrite");
});
