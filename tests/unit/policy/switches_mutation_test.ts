/**
 * linuxserver's switches at their edges: what exactly each request requires,
 * the refusal's words, guards and actions in any case, libpod's older names,
 * and the flag table. Written against the mutants `deno task mutate switches`
 * showed surviving.
 */
import assert from "node:assert/strict";
import {
  ACTION_FLAGS,
  DOCKER_SECTIONS,
  FLAG_NAMES,
  flagDefault,
  GUARDED_ACTIONS,
  LIBPOD_CONTAINER_ACTION_FLAGS,
  LIBPOD_POD_ACTION_FLAGS,
  LIBPOD_SECTIONS,
  makeFlags,
} from "../../../lib/policy/flags.ts";
import { evaluatePolicy, explainDenial, requirementsOf } from "../../../lib/policy/switches.ts";

const request = (method: string, path: string, upgrade = false) => ({
  method,
  segments: path.split("/").filter((s) => s !== ""),
  upgrade,
});

Deno.test("requirementsOf() lists exactly the switches that would allow each request", async (t) => {
  const cases: [string, string, string[][], string?, boolean?][] = [
    ["GET", "/containers/json", [["CONTAINERS"]]],
    ["HEAD", "/containers/json", [["CONTAINERS"]]],
    ["POST", "/containers/create", [["POST", "CONTAINERS"]]],
    ["PUT", "/volumes/x", [["POST", "VOLUMES"]]],
    ["GET", "/", []],
    ["GET", "/nothing", []],
    ["GET", "/Containers/json", []],
    ["GET", "/toString", []],
    ["GET", "/containers/x/logs", [["ALLOW_LOGS", "CONTAINERS"]]],
    ["GET", "/containers/x/LOGS", [["ALLOW_LOGS", "CONTAINERS"]]],
    ["GET", "/CONTAINERS/x/logs", []],
    ["GET", "/containers/x/logs/more", [["ALLOW_LOGS", "CONTAINERS"]]],
    ["GET", "/containers/logs", [["CONTAINERS"]]],
    ["GET", "/images/x/logs", [["IMAGES"]]],
    ["GET", "/containers/x/toString", [["CONTAINERS"]]],
    ["POST", "/containers/x/start", [["ALLOW_START"], ["POST", "CONTAINERS"]]],
    ["POST", "/containers/x/stop", [["ALLOW_STOP"], ["ALLOW_RESTARTS"], ["POST", "CONTAINERS"]]],
    ["POST", "/containers/x/Start", [["POST", "CONTAINERS"]]],
    ["POST", "/containers/x/start/now", [["POST", "CONTAINERS"]]],
    ["PUT", "/containers/x/start", [["POST", "CONTAINERS"]]],
    ["POST", "/containers/x/toString", [["POST", "CONTAINERS"]]],
    ["POST", "/images/x/start", [["POST", "IMAGES"]]],
    ["POST", "/containers/x/exec", [["POST", "EXEC"]]],
    ["POST", "/containers/x/EXEC", [["POST", "EXEC"]]],
    ["POST", "/containers/exec/x", [["POST", "CONTAINERS"]]],
    [
      "GET",
      "/containers/x/attach/ws",
      [["POST", "CONTAINERS"]],
      "attach/ws writes to the container",
    ],
    [
      "GET",
      "/containers/x/ATTACH/WS",
      [["POST", "CONTAINERS"]],
      "attach/ws writes to the container",
    ],
    ["GET", "/containers/x/attach", [["CONTAINERS"]]],
    ["GET", "/containers/x/attach/wss", [["CONTAINERS"]]],
    ["GET", "/images/x/attach/ws", [["IMAGES"]]],
    ["GET", "/_ping", [["POST", "PING"]], "a protocol upgrade opens a channel that writes", true],
    ["HEAD", "/_ping", [["POST", "PING"]], "a protocol upgrade opens a channel that writes", true],
    ["POST", "/_ping", [["POST", "PING"]], undefined, true],
    ["GET", "/libpod/containers/json", [["LIBPOD_CONTAINERS"]]],
    ["GET", "/libpod", []],
    ["GET", "/libpod/libpod/containers/json", []],
    ["GET", "/x/libpod/containers/json", []],
    ["POST", "/libpod/containers/x/start", [
      ["ALLOW_START"],
      ["LIBPOD_ALLOW_START"],
      ["POST", "LIBPOD_CONTAINERS"],
    ]],
    ["POST", "/libpod/pods/x/restart", [
      ["ALLOW_RESTARTS"],
      ["LIBPOD_ALLOW_POD_RESTARTS"],
      ["POST", "LIBPOD_PODS"],
    ]],
    ["POST", "/pods/x/restart", []],
    ["POST", "/libpod/containers/x/exec", [["POST", "LIBPOD_EXEC"]]],
    ["POST", "/libpod/pods/x/exec", [["POST", "LIBPOD_PODS"]]],
    ["GET", "/libpod/pods/x/logs", [["ALLOW_LOGS", "LIBPOD_PODS"]]],
    ["GET", "/libpod/containers/x/top", [["ALLOW_TOP", "LIBPOD_CONTAINERS"]]],
    ["POST", "/libpod/images/x/start", [["POST", "LIBPOD_IMAGES"]]],
    ["POST", "/containers/x/attach/ws", [["POST", "CONTAINERS"]]],
    ["GET", "/containers/x/json/ws", [["CONTAINERS"]]],
    ["POST", "/images/x/exec", [["POST", "IMAGES"]]],
    ["POST", "/containers/x/exec/y", [["POST", "CONTAINERS"]]],
    [
      "GET",
      "/libpod/containers/x/attach/ws",
      [["POST", "LIBPOD_CONTAINERS"]],
      "attach/ws writes to the container",
    ],
    ["GET", "/libpod/pods/x/attach/ws", [["LIBPOD_PODS"]]],
  ];
  for (const [method, path, requires, writes, upgrade] of cases) {
    await t.step(`${method} ${path}${upgrade ? " (upgrade)" : ""}`, () => {
      assert.deepEqual(requirementsOf(request(method, path, upgrade)), { requires, writes });
    });
  }
});

Deno.test("evaluatePolicy() allows when every switch of one alternative is on", () => {
  const guarded = request("GET", "/containers/x/logs");
  assert.equal(evaluatePolicy(makeFlags({ CONTAINERS: true }), guarded).allowed, false);
  assert.equal(evaluatePolicy(makeFlags({ ALLOW_LOGS: true }), guarded).allowed, false);
  assert.equal(
    evaluatePolicy(makeFlags({ CONTAINERS: true, ALLOW_LOGS: true }), guarded).allowed,
    true,
  );
  const stop = request("POST", "/containers/x/stop");
  assert.equal(evaluatePolicy(makeFlags({ ALLOW_RESTARTS: true }), stop).allowed, true);
  assert.equal(evaluatePolicy(makeFlags({ POST: true }), stop).allowed, false);
  assert.deepEqual(evaluatePolicy(makeFlags(), request("GET", "/_ping")), {
    allowed: true,
    requires: [["PING"]],
  });
  assert.deepEqual(evaluatePolicy(makeFlags(), request("GET", "/_ping", true)), {
    allowed: false,
    requires: [["POST", "PING"]],
    writes: "a protocol upgrade opens a channel that writes",
  });
  assert.equal(evaluatePolicy(makeFlags(), request("GET", "/nothing")).allowed, false);
});

Deno.test("explainDenial() names what is missing of each alternative, once", () => {
  const explain = (
    flags: Record<string, boolean>,
    method: string,
    path: string,
    upgrade = false,
  ) => {
    const all = makeFlags(flags);
    return explainDenial(all, evaluatePolicy(all, request(method, path, upgrade)));
  };
  assert.equal(explain({}, "GET", "/nothing"), "matches no API section this proxy can allow");
  assert.equal(explain({ CONTAINERS: true }, "POST", "/containers/create"), "needs POST=1");
  assert.equal(
    explain({}, "POST", "/libpod/pods/x/stop"),
    "needs ALLOW_STOP=1, or LIBPOD_ALLOW_POD_STOP=1, or ALLOW_RESTARTS=1, or " +
      "LIBPOD_ALLOW_POD_RESTARTS=1, or POST=1 and LIBPOD_PODS=1",
  );
  assert.equal(
    explain({ POST: true, PING: false }, "GET", "/_ping", true),
    "needs PING=1 (a protocol upgrade opens a channel that writes)",
  );
  assert.equal(explain({ ALLOW_LOGS: true }, "GET", "/containers/x/logs"), "needs CONTAINERS=1");
  const duplicate = { allowed: false, requires: [["POST", "A"], ["POST", "B"], ["POST"]] };
  assert.equal(explainDenial(makeFlags({ POST: true }), duplicate), "needs A=1, or B=1, or ");
  assert.equal(
    explainDenial(makeFlags(), { allowed: false, requires: [["POST"], ["POST"]] }),
    "needs POST=1",
  );
});

Deno.test("the flag table is linuxserver's, in the summary's order", () => {
  assert.deepEqual(FLAG_NAMES.slice(0, 3), ["POST", "AUTH", "BUILD"]);
  assert.deepEqual(FLAG_NAMES.slice(24, 39), [
    "ALLOW_START",
    "ALLOW_STOP",
    "ALLOW_RESTARTS",
    "ALLOW_PAUSE",
    "ALLOW_UNPAUSE",
    "ALLOW_ARCHIVE",
    "ALLOW_CHANGES",
    "ALLOW_EXPORT",
    "ALLOW_LOGS",
    "ALLOW_TOP",
    "LIBPOD_CONTAINERS",
    "LIBPOD_EVENTS",
    "LIBPOD_EXEC",
    "LIBPOD_GENERATE",
    "LIBPOD_IMAGES",
  ]);
  assert.equal(new Set(FLAG_NAMES).size, FLAG_NAMES.length);
  assert.equal(FLAG_NAMES.length, 1 + 23 + 5 + 5 + 15 + 5 + 5);
  assert.deepEqual(LIBPOD_CONTAINER_ACTION_FLAGS, [
    "LIBPOD_ALLOW_START",
    "LIBPOD_ALLOW_STOP",
    "LIBPOD_ALLOW_RESTARTS",
    "LIBPOD_ALLOW_PAUSE",
    "LIBPOD_ALLOW_UNPAUSE",
  ]);
  assert.deepEqual(LIBPOD_POD_ACTION_FLAGS, [
    "LIBPOD_ALLOW_POD_START",
    "LIBPOD_ALLOW_POD_STOP",
    "LIBPOD_ALLOW_POD_RESTARTS",
    "LIBPOD_ALLOW_POD_PAUSE",
    "LIBPOD_ALLOW_POD_UNPAUSE",
  ]);
  assert.deepEqual(ACTION_FLAGS.kill, ["ALLOW_RESTARTS"]);
  assert.deepEqual(ACTION_FLAGS.restart, ["ALLOW_RESTARTS"]);
  assert.deepEqual(ACTION_FLAGS.pause, ["ALLOW_PAUSE"]);
  assert.deepEqual(ACTION_FLAGS.unpause, ["ALLOW_UNPAUSE"]);
  assert.equal(GUARDED_ACTIONS.archive, "ALLOW_ARCHIVE");
  assert.equal(GUARDED_ACTIONS.changes, "ALLOW_CHANGES");
  assert.equal(GUARDED_ACTIONS.export, "ALLOW_EXPORT");
  assert.equal(DOCKER_SECTIONS._ping, "PING");
  assert.equal(LIBPOD_SECTIONS._ping, "LIBPOD_PING");
  const on = FLAG_NAMES.filter(flagDefault);
  assert.deepEqual(on, ["EVENTS", "PING", "VERSION", "LIBPOD_PING", "LIBPOD_VERSION"]);
});

Deno.test("makeFlags() starts from the defaults and refuses names it does not know", () => {
  const flags = makeFlags({ CONTAINERS: true, PING: false });
  assert.equal(flags.CONTAINERS, true);
  assert.equal(flags.PING, false);
  assert.equal(flags.EVENTS, true);
  assert.equal(flags.IMAGES, false);
  assert.deepEqual(Object.keys(flags), [...FLAG_NAMES]);
  assert.ok(Object.isFrozen(flags));
  assert.deepEqual(makeFlags(), makeFlags({}));
  assert.throws(() => makeFlags({ CONTAINER: true }), {
    message: "Unknown policy flag: CONTAINER",
  });
});
