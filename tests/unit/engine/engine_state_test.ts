/**
 * The watchdog's verdicts: what a probe's answer means, which state follows,
 * and that each change of state is logged once (not once per probe).
 */
import assert from "node:assert/strict";
import {
  type EngineState,
  nextEngineState,
  probeVerdict,
  readiness,
  UNKNOWN,
} from "../../../lib/engine/engine_state.ts";

const SOCKET = "/run/docker.sock";
const OK = { ok: true, detail: "" };
const LATE = { ok: false, detail: "no answer to GET /version within 2s" };

Deno.test("probeVerdict() takes any answer below 500 for an engine at work", async (t) => {
  const cases: [string, boolean, string][] = [
    ["HTTP/1.1 200 OK", true, ""],
    ["HTTP/1.0 200 OK", true, ""],
    ["HTTP/1.1 403 Forbidden", true, ""],
    ["HTTP/1.1 404 Not Found", true, ""],
    ["HTTP/1.1 499 x", true, ""],
    ["HTTP/1.1 500 Internal Server Error", false, "the engine answered GET /version with 500"],
    ["HTTP/1.1 503 Service Unavailable", false, "the engine answered GET /version with 503"],
    ["", false, "the engine closed the connection without answering GET /version"],
    ["SSH-2.0-OpenSSH", false, "the engine answered GET /version with something other than HTTP"],
    ["HTTP/2 200", false, "the engine answered GET /version with something other than HTTP"],
    ["HTTP/1.1 20", false, "the engine answered GET /version with something other than HTTP"],
    [" HTTP/1.1 200", false, "the engine answered GET /version with something other than HTTP"],
  ];
  for (const [line, ok, detail] of cases) {
    await t.step(JSON.stringify(line), () => {
      assert.deepEqual(probeVerdict(line), { ok, detail });
    });
  }
});

Deno.test("before its first probe the engine is neither up nor failing fast", () => {
  assert.deepEqual(UNKNOWN, { up: null, reason: "", since: 0, failFast: false });
});

Deno.test("the first answer makes the engine up without a log line", () => {
  const { state, log } = nextEngineState(UNKNOWN, OK, 1000, SOCKET);
  assert.deepEqual(state, { up: true, reason: "", since: 1000, failFast: false });
  assert.equal(log, null);
});

Deno.test("up to down is logged once as a warning, with the reason and what clients get", () => {
  const up: EngineState = { up: true, reason: "", since: 0, failFast: false };
  const first = nextEngineState(up, LATE, 5000, SOCKET);
  assert.deepEqual(first.state, { up: false, reason: LATE.detail, since: 5000, failFast: true });
  assert.deepEqual(first.log, {
    level: "warning",
    message: "Docker engine not reachable at unix:///run/docker.sock: no answer to GET /version " +
      "within 2s (answering 502 at once until it answers again)",
  });
  // Still down: no second line, the time it went down stays, the reason follows.
  const refused = { ok: false, detail: "Connection refused (os error 111)", unreachable: true };
  const second = nextEngineState(first.state, refused, 6000, SOCKET);
  assert.deepEqual(second.state, {
    up: false,
    reason: refused.detail,
    since: 5000,
    failFast: false,
  });
  assert.equal(second.log, null);
  const third = nextEngineState(second.state, LATE, 7000, SOCKET);
  assert.deepEqual(third.state, { up: false, reason: LATE.detail, since: 5000, failFast: true });
  assert.equal(third.log, null);
});

Deno.test("an engine absent from the start is logged too, and its requests fail on their own", () => {
  const gone = { ok: false, detail: "No such file or directory (os error 2)", unreachable: true };
  const { state, log } = nextEngineState(UNKNOWN, gone, 10, SOCKET);
  assert.deepEqual(state, { up: false, reason: gone.detail, since: 10, failFast: false });
  assert.deepEqual(log, {
    level: "warning",
    message: "Docker engine not reachable at unix:///run/docker.sock: No such file or directory " +
      "(os error 2) (answering 502 until it answers)",
  });
});

Deno.test("down to up is logged once as a notice, saying for how long it was down", () => {
  const down: EngineState = { up: false, reason: LATE.detail, since: 1000, failFast: true };
  const { state, log } = nextEngineState(down, OK, 13_460, SOCKET);
  assert.deepEqual(state, { up: true, reason: "", since: 13_460, failFast: false });
  assert.deepEqual(log, {
    level: "notice",
    message: "Docker engine at unix:///run/docker.sock answers again, after 12.5s down: " +
      "forwarding requests again",
  });
  const again = nextEngineState(state, OK, 20_000, SOCKET);
  assert.equal(again.state, state);
  assert.equal(again.log, null);
});

Deno.test("readiness() says ready only while up, and why not", () => {
  assert.deepEqual(readiness({ up: true, reason: "", since: 0, failFast: false }), {
    ready: true,
    detail: "the engine answers GET /version",
  });
  assert.deepEqual(readiness(UNKNOWN), {
    ready: false,
    detail: "the engine has not been asked yet",
  });
  assert.deepEqual(readiness({ up: false, reason: LATE.detail, since: 0, failFast: true }), {
    ready: false,
    detail: LATE.detail,
  });
});
