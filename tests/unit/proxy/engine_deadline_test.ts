/**
 * `ENGINE_TIMEOUT`'s deadline per request, decided from the route table: what
 * is exempt, what is finite, and what gets the duration the client asked for.
 */
import assert from "node:assert/strict";
import {
  deadlineMs,
  DURATION_PARAMS,
  engineDeadline,
  EXEMPT_OPERATIONS,
  STREAM_PARAMS,
} from "../../../lib/proxy/engine_deadline.ts";
import { routeMatcher, ROUTES } from "../../../lib/routes/engine_routes.ts";
import { parseRequestTarget } from "../../../lib/http/request_target.ts";

const matcher = routeMatcher();
const TIMEOUT = 10_000;

/** The deadline in ms (0: exempt) for `method target` with a 10 s timeout. */
function deadline(method: string, target: string, upgrade = false): number {
  const parsed = parseRequestTarget(target);
  if ("error" in parsed) throw new Error(parsed.error);
  const match = matcher.match(method, parsed.segments);
  return deadlineMs(engineDeadline(match?.route ?? null, parsed.query, upgrade), TIMEOUT);
}

Deno.test("finite requests get ENGINE_TIMEOUT, streams and transfers none", async (t) => {
  const cases: [string, string, number][] = [
    ["GET", "/_ping", TIMEOUT],
    ["HEAD", "/_ping", TIMEOUT],
    ["GET", "/v1.47/containers/json?all=1", TIMEOUT],
    ["GET", "/v1.47/version", TIMEOUT],
    ["POST", "/v1.47/containers/create", TIMEOUT],
    ["POST", "/containers/abc/start", TIMEOUT],
    ["POST", "/containers/abc/kill", TIMEOUT],
    ["DELETE", "/containers/abc?force=1", TIMEOUT],
    ["GET", "/no/such/route", TIMEOUT],
    // Prunes and system df are finite: their answer comes when they are done.
    ["POST", "/containers/prune", TIMEOUT],
    ["POST", "/images/prune", TIMEOUT],
    ["POST", "/build/prune", TIMEOUT],
    ["POST", "/libpod/system/prune", TIMEOUT],
    ["GET", "/system/df", TIMEOUT],
    ["GET", "/libpod/system/df", TIMEOUT],
    // A stat of an archive path transfers nothing.
    ["HEAD", "/containers/abc/archive?path=/etc", TIMEOUT],
    // Streams, tunnels and transfers.
    ["GET", "/events", 0],
    ["GET", "/events?until=1", 0],
    ["GET", "/libpod/events?stream=false", 0],
    ["POST", "/containers/abc/attach?stream=1", 0],
    ["GET", "/containers/abc/attach/ws", 0],
    ["POST", "/exec/abc/start", 0],
    ["POST", "/libpod/exec/abc/start", 0],
    ["POST", "/containers/abc/wait", 0],
    ["POST", "/libpod/containers/abc/wait", 0],
    ["POST", "/images/create?fromImage=busybox", 0],
    ["POST", "/images/busybox/push", 0],
    ["POST", "/build", 0],
    ["POST", "/images/load", 0],
    ["GET", "/images/get?names=busybox", 0],
    ["GET", "/images/busybox/get", 0],
    ["GET", "/containers/abc/export", 0],
    ["GET", "/containers/abc/archive?path=/", 0],
    ["PUT", "/containers/abc/archive?path=/", 0],
    ["POST", "/libpod/images/pull?reference=busybox", 0],
    ["POST", "/libpod/build", 0],
    ["POST", "/libpod/images/import", 0],
    ["GET", "/libpod/images/export", 0],
    ["POST", "/libpod/play/kube", 0],
    ["POST", "/session", 0],
    // Any request that asks for an upgrade becomes a tunnel.
    ["POST", "/containers/abc/start", 0, true],
  ].map((
    [method, target, ms, upgrade],
  ) => [`${method} ${target}${upgrade ? " upgrade" : ""}`, target as string, ms as number]);
  for (const [name, , ms] of cases) {
    await t.step(`${name}: ${ms === 0 ? "exempt" : `${ms} ms`}`, () => {
      const [method, target, upgrade] = name.split(" ");
      assert.equal(deadline(method, target, upgrade === "upgrade"), ms);
    });
  }
});

Deno.test("logs and stats are exempt only while they follow or stream", async (t) => {
  const cases: [string, number][] = [
    ["/containers/abc/logs", TIMEOUT],
    ["/containers/abc/logs?follow=0", TIMEOUT],
    ["/containers/abc/logs?follow=false", TIMEOUT],
    ["/containers/abc/logs?follow=FALSE", TIMEOUT],
    ["/containers/abc/logs?follow=no", TIMEOUT],
    ["/containers/abc/logs?follow=none", TIMEOUT],
    ["/containers/abc/logs?follow=%200%20", TIMEOUT],
    ["/containers/abc/logs?follow=", TIMEOUT],
    ["/containers/abc/logs?follow=1", 0],
    ["/containers/abc/logs?follow=true", 0],
    // Docker reads anything but "", 0, no, false, none as true.
    ["/containers/abc/logs?follow=f", 0],
    ["/containers/abc/logs?follow=off", 0],
    // Podman folds names' case; repeated values: any true one counts.
    ["/libpod/containers/abc/logs?Follow=1", 0],
    ["/containers/abc/logs?follow=0&follow=1", 0],
    ["/services/abc/logs?follow=1", 0],
    ["/tasks/abc/logs?follow=1", 0],
    // stats stream unless told not to: absent and empty are true.
    ["/containers/abc/stats", 0],
    ["/containers/abc/stats?stream=", 0],
    ["/containers/abc/stats?stream=+", 0], // a blank is empty: the default (true) holds for Podman
    ["/containers/abc/stats?stream=1", 0],
    ["/containers/abc/stats?stream=0", TIMEOUT],
    ["/containers/abc/stats?stream=false&one-shot=1", TIMEOUT],
    ["/libpod/containers/abc/stats", 0],
    ["/libpod/containers/stats?stream=false", TIMEOUT],
    // Podman's pod stats and top stream only when asked.
    ["/libpod/pods/stats", TIMEOUT],
    ["/libpod/pods/stats?stream=true", 0],
    ["/libpod/containers/abc/top", TIMEOUT],
    ["/libpod/containers/abc/top?stream=1", 0],
    // A query the engines could read differently gets no deadline.
    ["/containers/abc/logs?follow=0;follow=1", 0],
  ];
  for (const [target, ms] of cases) {
    await t.step(`GET ${target}: ${ms === 0 ? "exempt" : `${ms} ms`}`, () => {
      assert.equal(deadline("GET", target), ms);
    });
  }
  await t.step("POST /libpod/commit?stream=1 streams, without it it is finite", () => {
    assert.equal(deadline("POST", "/libpod/commit?container=abc&stream=1"), 0);
    assert.equal(deadline("POST", "/libpod/commit?container=abc"), TIMEOUT);
  });
});

Deno.test("an operation whose duration the client asks for gets it on top", async (t) => {
  const cases: [string, string, number][] = [
    ["POST", "/containers/abc/stop", TIMEOUT],
    ["POST", "/containers/abc/stop?t=30", TIMEOUT + 30_000],
    ["POST", "/v1.47/containers/abc/restart?t=5&signal=TERM", TIMEOUT + 5_000],
    ["POST", "/containers/abc/stop?t=0", TIMEOUT],
    ["POST", "/containers/abc/stop?t=%2B7", TIMEOUT + 7_000],
    // A negative t waits as long as the container takes.
    ["POST", "/containers/abc/stop?t=-1", 0],
    // What the engine refuses at once needs nothing more.
    ["POST", "/containers/abc/stop?t=soon", TIMEOUT],
    ["POST", "/containers/abc/stop?t=", TIMEOUT],
    // Asked twice: the longer wins.
    ["POST", "/containers/abc/stop?t=3&t=60", TIMEOUT + 60_000],
    ["POST", "/libpod/containers/abc/stop?timeout=20", TIMEOUT + 20_000],
    ["POST", "/libpod/containers/abc/stop?t=20", TIMEOUT + 20_000],
    ["POST", "/libpod/containers/abc/stop?Timeout=20", TIMEOUT + 20_000],
    ["POST", "/libpod/containers/abc/restart?t=4&timeout=9", TIMEOUT + 9_000],
    ["DELETE", "/libpod/containers/abc?force=1&timeout=15", TIMEOUT + 15_000],
    ["POST", "/libpod/pods/abc/stop?t=12", TIMEOUT + 12_000],
    ["DELETE", "/libpod/pods/abc?timeout=8", TIMEOUT + 8_000],
    ["DELETE", "/libpod/volumes/abc?timeout=6", TIMEOUT + 6_000],
    ["POST", "/plugins/abc/enable?timeout=40", TIMEOUT + 40_000],
    // pprof's profile and trace run for `seconds` (30 and 1 by default).
    ["GET", "/debug/pprof/profile", TIMEOUT + 30_000],
    ["GET", "/debug/pprof/profile?seconds=90", TIMEOUT + 90_000],
    ["GET", "/debug/pprof/trace", TIMEOUT + 1_000],
    ["GET", "/debug/pprof/trace?seconds=2.5", TIMEOUT + 2_500],
  ];
  for (const [method, target, ms] of cases) {
    await t.step(`${method} ${target}: ${ms === 0 ? "exempt" : `${ms} ms`}`, () => {
      assert.equal(deadline(method, target), ms);
    });
  }
});

Deno.test("a timeout of 0 means no deadline at all", () => {
  assert.equal(deadlineMs(engineDeadline(null, "", false), 0), 0);
  assert.equal(deadlineMs({ kind: "finite", extraMs: 5000 }, 0), 0);
  assert.equal(deadlineMs({ kind: "finite", extraMs: 5000 }, 1), 5001);
});

Deno.test("engineDeadline() answers exempt, or finite with what the client asked for", async (t) => {
  const route = (operation: string) => ROUTES.find((r) => r.operation === operation)!;
  const cases: [string, string, string, boolean, unknown][] = [
    ["an event stream", "SystemEvents", "", false, { kind: "exempt" }],
    ["logs that follow", "ContainerLogs", "?follow=1", false, { kind: "exempt" }],
    ["a stop with a negative t", "ContainerStop", "?t=-1", false, { kind: "exempt" }],
    ["an upgrade", "ContainerList", "", true, { kind: "exempt" }],
    ["an ambiguous query", "ContainerLogs", "?a=%zz", false, { kind: "exempt" }],
    ["a list", "ContainerList", "", false, { kind: "finite", extraMs: 0 }],
    ["logs that do not follow", "ContainerLogs", "?follow=0", false, {
      kind: "finite",
      extraMs: 0,
    }],
    ["a stop without t", "ContainerStop", "", false, { kind: "finite", extraMs: 0 }],
    ["a stop with t=0", "ContainerStop", "?t=0", false, { kind: "finite", extraMs: 0 }],
    ["a stop with t=30", "ContainerStop", "?t=30", false, { kind: "finite", extraMs: 30_000 }],
    // Atoi refuses spaces: the engine answers 400 at once.
    ["t with a space after", "ContainerStop", "?t=5%20", false, { kind: "finite", extraMs: 0 }],
    ["t with a space before", "ContainerStop", "?t=%205", false, { kind: "finite", extraMs: 0 }],
    ["the longer of two t", "ContainerStop", "?t=60&t=3", false, {
      kind: "finite",
      extraMs: 60_000,
    }],
    ["a trace of 2.55 s", "DebugPprofTrace", "?seconds=2.55", false, {
      kind: "finite",
      extraMs: 2550,
    }],
  ];
  for (const [name, operation, query, upgrade, expected] of cases) {
    await t.step(name, () => {
      assert.deepEqual(engineDeadline(route(operation), query, upgrade), expected);
    });
  }
  await t.step("no route: finite", () => {
    assert.deepEqual(engineDeadline(null, "", false), { kind: "finite", extraMs: 0 });
  });
});

Deno.test("every operation the lists name is in the route table", () => {
  const operations = new Set(ROUTES.map((route) => route.operation));
  for (
    const name of [
      ...EXEMPT_OPERATIONS,
      ...Object.keys(STREAM_PARAMS),
      ...Object.keys(DURATION_PARAMS),
    ]
  ) {
    assert.ok(operations.has(name), `${name} is not an operation of the route table`);
  }
});

Deno.test("every route with a follow or stream switch, or seconds to wait, is decided", () => {
  // A regenerated route table that adds one fails here until the lists say what it is.
  for (const route of ROUTES) {
    const op = route.operation;
    if (EXEMPT_OPERATIONS.has(op)) continue;
    for (const name of ["follow", "stream"]) {
      if (route.query[name] === "boolean") {
        assert.equal(STREAM_PARAMS[op], name, `${op} has ${name}: which way does it go?`);
      }
    }
    for (const name of ["t", "timeout"]) {
      if (route.query[name] === "integer") {
        assert.ok(DURATION_PARAMS[op]?.params.includes(name), `${op} waits ${name} seconds`);
      }
    }
  }
});
