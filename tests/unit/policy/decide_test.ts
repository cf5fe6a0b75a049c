import assert from "node:assert/strict";
import { parseAdmissionSettings } from "../../../lib/admission/admission_settings.ts";
import { decide } from "../../../lib/policy/decide.ts";
import { makeFlags } from "../../../lib/policy/flags.ts";
import type { Profile } from "../../../lib/policy/profile.ts";
import { compileRule, type RuleSpec } from "../../../lib/policy/rule.ts";
import { parseRequestTarget, type RequestTarget } from "../../../lib/http/request_target.ts";
import { routeMatcher, ROUTES } from "../../../lib/routes/engine_routes.ts";
import { UNSCOPED } from "../../../lib/policy/scope.ts";

function profile(
  rules: (string | RuleSpec)[],
  options: Partial<Profile> = {},
): Profile {
  return {
    name: "app",
    file: "/etc/socket-proxy/policy.yaml",
    line: 3,
    match: null,
    mode: "enforce",
    switches: null,
    rules: rules.map((rule, i) =>
      compileRule(ROUTES, typeof rule === "string" ? { allow: rule } : rule, i + 1, 10 + i)
    ),
    admission: parseAdmissionSettings({}, { hostAccess: false }),
    scope: UNSCOPED,
    ...options,
  };
}

function decideOn(p: Profile, method: string, raw: string, upgrade = false) {
  const target = parseRequestTarget(raw) as RequestTarget;
  return decide(p, {
    method,
    segments: target.segments,
    query: target.query,
    upgrade,
    route: routeMatcher().match(method, target.segments),
  });
}

Deno.test("a request on no Engine API route is refused in every mode", async (t) => {
  for (const mode of ["enforce", "audit"] as const) {
    for (const switches of [null, makeFlags({ CONTAINERS: true, POST: true })]) {
      await t.step(`${mode}, ${switches ? "switches" : "rules"}`, () => {
        const p = profile(["Container*"], { mode, switches });
        for (const [method, raw] of [["GET", "/containers"], ["GET", "/containers/create"]]) {
          const decision = decideOn(p, method, raw);
          assert.equal(decision.forward, false);
          assert.equal(decision.denied, true);
          assert.equal(decision.status, 403);
          assert.equal(decision.operation, null);
          assert.equal(decision.reason, "is no Docker Engine API route");
        }
      });
    }
  }
});

Deno.test("rules allow exactly the operations they name", async (t) => {
  const p = profile(["ContainerList", "GET /containers/{id}/json", "Image*"]);
  const cases: [string, string, string | null][] = [
    ["GET", "/v1.47/containers/json", "rule 1 (ContainerList, line 10)"],
    ["GET", "/containers/abc/json", "rule 2 (GET /containers/{id}/json, line 11)"],
    ["GET", "/images/ghcr.io/acme/app:1/json", "rule 3 (Image*, line 12)"],
    ["DELETE", "/images/abc", "rule 3 (Image*, line 12)"],
    ["GET", "/containers/abc/logs", null],
    ["POST", "/containers/create", null],
    ["HEAD", "/containers/json", null],
    ["GET", "/info", null],
  ];
  for (const [method, raw, by] of cases) {
    await t.step(`${method} ${raw}`, () => {
      const decision = decideOn(p, method, raw);
      assert.equal(decision.forward, by !== null);
      assert.equal(decision.denied, by === null);
      if (by !== null) assert.equal(decision.reason, by);
    });
  }
  const denied = decideOn(p, "GET", "/containers/abc/logs");
  assert.equal(denied.operation, "ContainerLogs");
  assert.equal(
    denied.reason,
    'is not allowed for profile "app": no rule allows ContainerLogs (add ContainerLogs to its rules)',
  );
});

Deno.test("query constraints decide, and a failed one is named with what was sent", () => {
  const p = profile([
    { allow: "ContainerKill", query: { signal: ["SIGHUP", "SIGUSR1"] } },
    { allow: "ContainerLogs", query: { follow: false } },
  ]);
  assert.equal(decideOn(p, "POST", "/containers/x/kill?signal=HUP").forward, true);
  assert.equal(decideOn(p, "POST", "/containers/x/kill?signal=HUP").readsQuery, true);
  const kill = decideOn(p, "POST", "/containers/x/kill?signal=KILL");
  assert.equal(kill.forward, false);
  assert.equal(
    kill.reason,
    'is not allowed for profile "app": rule 1 (ContainerKill with signal in [SIGHUP, SIGUSR1], ' +
      'line 10) does not allow it: signal="KILL"',
  );
  assert.equal(decideOn(p, "GET", "/containers/x/logs?stdout=1").forward, true);
  assert.equal(decideOn(p, "GET", "/containers/x/logs?follow=1").forward, false);
  const ambiguous = decideOn(p, "GET", "/containers/x/logs?follow=0;follow=1");
  assert.equal(ambiguous.status, 400);
  assert.equal(ambiguous.forward, false);
  assert.match(ambiguous.reason, /';'/);
});

Deno.test("any rule that allows a request is enough, in order", () => {
  const p = profile([
    { allow: "ContainerKill", query: { signal: ["SIGHUP"] } },
    { allow: "ContainerKill", query: { signal: ["SIGUSR1"] } },
  ]);
  assert.equal(
    decideOn(p, "POST", "/containers/x/kill?signal=USR1").reason,
    "rule 2 (ContainerKill with signal in [SIGUSR1], line 11)",
  );
  const both = decideOn(p, "POST", "/containers/x/kill?signal=TERM");
  assert.match(
    both.reason,
    /rule 1 .* does not allow it: signal="TERM"; rule 2 .* does not allow it/,
  );
});

Deno.test("a rule on the target's labels leaves a check for later, unless another rule allows", () => {
  const labelled = { allow: "ContainerRestart", target: { labels: { autoheal: "true" } } };
  const p = profile([labelled, { allow: "ContainerRestart", target: { labels: { other: null } } }]);
  const decision = decideOn(p, "POST", "/containers/x/restart");
  assert.equal(decision.forward, true);
  assert.deepEqual(decision.targets!.map((target) => target.text), [
    "labels autoheal=true",
    "labels other",
  ]);
  const plain = profile([labelled, "ContainerRestart"]);
  assert.equal(decideOn(plain, "POST", "/containers/x/restart").targets, null);
});

Deno.test("stdin constrained off makes a tunnel one-way, but not when switches allow it", () => {
  const rule = { allow: "ContainerAttachWebsocket", query: { stdin: false } };
  const oneWay = decideOn(profile([rule]), "GET", "/containers/x/attach/ws?stdout=1", true);
  assert.equal(oneWay.forward, true);
  assert.equal(oneWay.oneWay, true);
  assert.equal(decideOn(profile([rule]), "GET", "/containers/x/attach/ws?stdin=1").forward, false);
  const twoWay = decideOn(profile(["ContainerAttachWebsocket"]), "GET", "/containers/x/attach/ws");
  assert.equal(twoWay.oneWay, false);
  const switches = makeFlags({ CONTAINERS: true, POST: true });
  const bySwitches = decideOn(
    profile([rule], { switches }),
    "GET",
    "/containers/x/attach/ws",
    true,
  );
  assert.equal(bySwitches.forward, true);
  assert.equal(bySwitches.oneWay, false);
});

Deno.test("switches in a profile decide as the images do, and rules add to them", () => {
  const p = profile(["ImageList"], { switches: makeFlags({ CONTAINERS: true }) });
  assert.equal(decideOn(p, "GET", "/containers/json").reason, "CONTAINERS=1");
  assert.equal(decideOn(p, "GET", "/images/json").reason, "rule 1 (ImageList, line 10)");
  const denied = decideOn(p, "POST", "/containers/create");
  assert.equal(
    denied.reason,
    'is not allowed for profile "app": no rule allows ContainerCreate (add ContainerCreate to its ' +
      "rules); its switches would need POST=1",
  );
});

Deno.test("an env-only profile names the switches a refused request needs, as before", () => {
  const p = profile([], { file: null, name: "default", switches: makeFlags() });
  assert.equal(decideOn(p, "GET", "/v1.47/containers/json").reason, "needs CONTAINERS=1");
  assert.equal(decideOn(p, "GET", "/_ping").reason, "PING=1");
  assert.equal(decideOn(p, "GET", "/v1.47/containers/json").operation, "ContainerList");
});

Deno.test("the fallback of a policy file refuses everything, naming the file", () => {
  const p = profile([], { name: "" });
  assert.equal(
    decideOn(p, "GET", "/_ping").reason,
    "is not allowed: no profile in /etc/socket-proxy/policy.yaml matches this client",
  );
});

Deno.test("audit mode forwards what it would deny, and says why", () => {
  const p = profile(["ContainerList"], { mode: "audit" });
  const decision = decideOn(p, "GET", "/info");
  assert.equal(decision.forward, true);
  assert.equal(decision.denied, true);
  assert.match(decision.reason, /no rule allows SystemInfo/);
  const allowed = decideOn(p, "GET", "/containers/json");
  assert.equal(allowed.denied, false);
});

Deno.test("a constraint on a boolean that defaults to true needs it given", () => {
  const p = profile([{ allow: "ContainerStats", query: { stream: false } }]);
  assert.equal(decideOn(p, "GET", "/containers/x/stats?stream=0").forward, true);
  const streaming = decideOn(p, "GET", "/containers/x/stats");
  assert.equal(streaming.forward, false);
  assert.match(
    streaming.reason,
    /with stream=0.*stream is not given, and the engine takes it as 1/,
  );
});

Deno.test("a libpod query constraint counts every spelling Podman reads as its name", () => {
  const p = profile([{ allow: "LibpodContainerKill", query: { signal: ["SIGHUP"] } }]);
  const kill = (query: string) => decideOn(p, "POST", `/libpod/containers/x/kill${query}`);
  assert.equal(kill("?signal=HUP").forward, true);
  assert.equal(kill("?Signal=KILL").forward, false, "Podman reads Signal as signal");
  assert.equal(kill("?SIGNAL=HUP").forward, true);
  assert.equal(kill("?signal=HUP&Signal=KILL").forward, false, "two spellings: ambiguous");
  assert.equal(kill("?%C5%BFignal=KILL").forward, false, "ſignal folds to signal");
  // Docker's engine reads names exactly: another spelling is another parameter.
  const docker = profile([{ allow: "ContainerKill", query: { signal: ["SIGHUP"] } }]);
  assert.equal(decideOn(docker, "POST", "/containers/x/kill?signal=HUP&Signal=KILL").forward, true);
});
