/**
 * Rules, decisions and the route cache at their edges: every message a rule
 * or a refusal gives, which routes a rule names, and what the cache keeps.
 * Written against the mutants `deno task mutate decide` showed surviving.
 */
import assert from "node:assert/strict";
import { parseAdmissionSettings } from "../../../lib/admission/admission_settings.ts";
import { decide } from "../../../lib/policy/decide.ts";
import { describeRule } from "../../../lib/policy/describe_rule.ts";
import { makeFlags } from "../../../lib/policy/flags.ts";
import type { Policy, Profile } from "../../../lib/policy/profile.ts";
import {
  compileRule,
  containerParam,
  resolveAllow,
  RuleError,
  type RuleSpec,
} from "../../../lib/policy/rule.ts";
import { parseRequestTarget, type RequestTarget } from "../../../lib/http/request_target.ts";
import { ActivePolicy, route, RouteCache } from "../../../lib/proxy/route_cache.ts";
import { routeMatcher, ROUTES } from "../../../lib/routes/engine_routes.ts";
import { routeSpec } from "../../../lib/routes/route.ts";
import { UNSCOPED } from "../../../lib/policy/scope.ts";

function profile(rules: (string | RuleSpec)[], options: Partial<Profile> = {}): Profile {
  return {
    name: "app",
    file: "/p.yaml",
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

function ruleError(spec: RuleSpec): { message: string; key: string | null } {
  try {
    compileRule(ROUTES, spec, 1);
  } catch (error) {
    assert.ok(error instanceof RuleError, String(error));
    assert.equal(error.name, "RuleError");
    return { message: error.message, key: error.key };
  }
  assert.fail("compiled");
}

const operations = (indices: Iterable<number>) => [...indices].map((i) => ROUTES[i].operation);

Deno.test("resolveAllow() names routes by operation glob or by METHOD /template", async (t) => {
  const cases: [string, string[]][] = [
    ["ContainerList", ["ContainerList"]],
    ["  ContainerList  ", ["ContainerList"]],
    ["GET /containers/{id}/json", ["ContainerInspect"]],
    ["  GET /containers/json ", ["ContainerList"]],
    ["* /containers/{id}/kill", ["ContainerKill"]],
    ["*ContainerKill", ["ContainerKill", "LibpodContainerKill"]],
  ];
  for (const [allow, expected] of cases) {
    await t.step(allow, () => assert.deepEqual(operations(resolveAllow(ROUTES, allow)), expected));
  }
});

Deno.test("rules that name nothing are refused with what was meant", async (t) => {
  const cases: [RuleSpec, string, string | null][] = [
    [
      { allow: "GET /containers/{id}/jsn" },
      '"GET /containers/{id}/jsn" matches no Docker Engine API route (did you mean GET /containers/{name:.*}/json?)',
      null,
    ],
    [
      { allow: "GET /nothing/at/all/here/really" },
      '"GET /nothing/at/all/here/really" matches no Docker Engine API route',
      null,
    ],
    [
      { allow: "/containers/json" },
      '"/containers/json" is neither an operation (ContainerList, Container*) nor METHOD /template ' +
      "(GET /containers/{id}/json, GET /containers/**)",
      null,
    ],
    [
      { allow: "get /containers/json" },
      '"get /containers/json" is neither an operation (ContainerList, Container*) nor METHOD /template ' +
      "(GET /containers/{id}/json, GET /containers/**)",
      null,
    ],
    [
      { allow: "ContainerLst" },
      'Unknown operation "ContainerLst" (did you mean ContainerList?)',
      null,
    ],
    [{ allow: "Zzzzzzzzzzzz" }, 'Unknown operation "Zzzzzzzzzzzz"', null],
    [
      { allow: "GET /containers/{id}json" },
      "Route pattern param must fill a whole segment: /containers/{id}json",
      null,
    ],
    [{ allow: "GET /a**" }, "** must fill a whole segment: /a**", null],
    [
      { allow: "GET /infox/{x}" },
      '"GET /infox/{x}" matches no Docker Engine API route',
      null,
    ],
    [
      { allow: "xGET /containers/json" },
      '"xGET /containers/json" is neither an operation (ContainerList, Container*) nor METHOD ' +
      "/template (GET /containers/{id}/json, GET /containers/**)",
      null,
    ],
    [
      { allow: "GET /containers/json extra" },
      '"GET /containers/json extra" is neither an operation (ContainerList, Container*) nor METHOD ' +
      "/template (GET /containers/{id}/json, GET /containers/**)",
      null,
    ],
    [
      { allow: "ContainerLogs", query: { nope: null } },
      'ContainerLogs has no query parameter "nope" (it has: follow, stdout, stderr, since, timestamps, tail, until)',
      "query.nope",
    ],
    [
      { allow: "*ContainerLogs", query: { since: false } },
      "since is a string parameter: give a text or a list, not false",
      "query.since",
    ],
    [
      { allow: "ContainerKill", query: { sig: ["HUP"] } },
      'ContainerKill has no query parameter "sig" (it has: signal)',
      "query.sig",
    ],
    [
      { allow: "SystemPing", query: { x: null } },
      'SystemPing has no query parameter "x" (it takes none)',
      "query.x",
    ],
    [
      { allow: "ContainerKill", query: { signal: ["SIGNOPE"] } },
      'Unknown signal "SIGNOPE"',
      "query.signal",
    ],
    [
      { allow: "*ImageBuild", query: { pull: false } },
      "pull is a string parameter: give a text or a list, not false",
      "query.pull",
    ],
    [
      { allow: "ImageList", target: { labels: { a: "b" } } },
      "target: applies to container routes only, and ImageList (GET /images/json) names no container",
      "target",
    ],
    [{ allow: "ContainerRestart", target: { labels: {} } }, "target.labels is empty", "target"],
    [
      { allow: "ContainerRestart", target: { labels: { "": "x" } } },
      'Invalid label selector "=x" (want key or key=value)',
      "target",
    ],
  ];
  for (const [spec, message, key] of cases) {
    await t.step(message, () => assert.deepEqual(ruleError(spec), { message, key }));
  }
});

Deno.test("a rule's parameter type is the routes' own when they agree", () => {
  const rule = compileRule(ROUTES, { allow: "*ContainerKill", query: { signal: ["SIGHUP"] } }, 1);
  assert.equal(rule.query[0].text, "with signal in [SIGHUP]");
  const logs = compileRule(ROUTES, { allow: "ContainerLogs", query: { follow: false } }, 1);
  assert.equal(logs.query[0].forcesFalse, true, "read as a boolean");
});

Deno.test("containerParam() finds the container a route names", () => {
  const param = (template: string) => containerParam(routeSpec("s", "X", `GET ${template}`));
  assert.equal(param("/containers/{name:.*}/json"), "name");
  assert.equal(param("/libpod/containers/{id}/json"), "id");
  assert.equal(param("/containers/{name}"), "name");
  assert.equal(param("/containers/json"), null);
  assert.equal(param("/images/{name}/json"), null);
  assert.equal(param("/x/containers/{name}"), null);
  assert.equal(param("/libpodx/containers/{name}"), null);
  assert.equal(param("/containers/{na_me}"), null);
});

Deno.test("compileRule() and describeRule() show the rule as written, with its conditions", () => {
  const rule = compileRule(
    ROUTES,
    {
      allow: "  ContainerKill ",
      query: { signal: ["SIGHUP", "SIGUSR1"] },
      target: { labels: { autoheal: "true", role: null } },
    },
    2,
    14,
  );
  assert.equal(rule.index, 2);
  assert.equal(rule.text, "ContainerKill");
  assert.equal(rule.line, 14);
  assert.deepEqual(operations(rule.routes), ["ContainerKill"]);
  assert.equal(rule.target?.text, "labels autoheal=true, role");
  assert.deepEqual(rule.target?.labels, [{ key: "autoheal", value: "true" }, {
    key: "role",
    value: null,
  }]);
  assert.equal(rule.oneWay, false);
  assert.equal(
    describeRule(rule),
    "rule 2 (ContainerKill with signal in [SIGHUP, SIGUSR1] on containers with labels autoheal=true, role, line 14)",
  );
  const plain = compileRule(ROUTES, { allow: "SystemPing" }, 1);
  assert.equal(plain.line, null);
  assert.equal(plain.target, null);
  assert.deepEqual(plain.query, []);
  assert.equal(describeRule(plain), "rule 1 (SystemPing)");
});

Deno.test("only stdin constrained off makes a rule one-way", () => {
  const oneWay = (query: RuleSpec["query"]) =>
    compileRule(ROUTES, { allow: "ContainerAttachWebsocket", query }, 1).oneWay;
  assert.equal(oneWay({ stdin: false }), true);
  assert.equal(oneWay({ stdin: null }), true);
  assert.equal(oneWay({ stdin: true }), false);
  assert.equal(oneWay({ stdout: false }), false);
  assert.equal(oneWay({ stdout: false, stdin: false }), true);
});

Deno.test("decisions read the query only when a rule constrains it", () => {
  const p = profile(["ContainerKill", { allow: "ContainerLogs", query: { follow: false } }]);
  const kill = decideOn(p, "POST", "/containers/x/kill?signal=KILL;x");
  assert.equal(kill.forward, true, "no constraint, no query parsing");
  assert.equal(kill.readsQuery, false);
  assert.equal(kill.oneWay, false);
  const logs = decideOn(p, "GET", "/containers/x/logs?follow=0");
  assert.equal(logs.readsQuery, true);
  assert.equal(logs.reason, "rule 2 (ContainerLogs without follow, line 11)");
  const denied = decideOn(p, "GET", "/containers/x/logs?follow=1&follow=1");
  assert.equal(denied.forward, false);
  assert.equal(denied.readsQuery, true);
  assert.equal(denied.status, 403);
  assert.equal(denied.targets, null);
  assert.equal(denied.oneWay, false);
  assert.equal(
    denied.reason,
    'is not allowed for profile "app": rule 2 (ContainerLogs without follow, line 11) does not allow ' +
      "it: follow is given more than once",
  );
  const ambiguous = decideOn(p, "GET", "/containers/x/logs?a=%zz");
  assert.deepEqual(ambiguous, {
    forward: false,
    denied: true,
    status: 400,
    operation: "ContainerLogs",
    reason: 'Malformed escape in query parameter "a=%zz"',
    targets: null,
    bodies: null,
    oneWay: false,
    readsQuery: true,
  });
});

Deno.test("several failed constraints of one rule are all named", () => {
  const p = profile([{ allow: "ContainerLogs", query: { follow: false, timestamps: false } }]);
  assert.equal(
    decideOn(p, "GET", "/containers/x/logs?follow=1&timestamps=1").reason,
    'is not allowed for profile "app": rule 1 (ContainerLogs without follow without timestamps, ' +
      "line 10) does not allow it: follow is set, timestamps is set",
  );
});

Deno.test("a rule covering the route but failing is named; a rule that does not cover it is not", () => {
  const p = profile(["SystemPing", { allow: "ContainerKill", query: { signal: ["HUP"] } }]);
  assert.equal(
    decideOn(p, "POST", "/containers/x/restart").reason,
    'is not allowed for profile "app": no rule allows ContainerRestart (add ContainerRestart to its rules)',
  );
  const covered = profile([{ allow: "ContainerKill", target: { labels: { a: "b" } } }], {
    mode: "audit",
  });
  const decision = decideOn(covered, "POST", "/containers/x/kill");
  assert.equal(decision.forward, true);
  assert.equal(decision.denied, false);
  assert.equal(decision.reason, "by rules on the target's labels");
});

Deno.test("allowed decisions say what allowed them and what is left to check", () => {
  const labelled = { allow: "ContainerAttachWebsocket", target: { labels: { a: "b" } } };
  const oneWay = { ...labelled, query: { stdin: false } };
  const both = decideOn(profile([oneWay, labelled]), "GET", "/containers/x/attach/ws");
  assert.deepEqual(
    { forward: both.forward, denied: both.denied, status: both.status, oneWay: both.oneWay },
    { forward: true, denied: false, status: 403, oneWay: false },
  );
  assert.equal(both.targets?.length, 2);
  assert.equal(decideOn(profile([oneWay]), "GET", "/containers/x/attach/ws").oneWay, true);
  const plain = decideOn(
    profile([oneWay, "ContainerAttachWebsocket"]),
    "GET",
    "/containers/x/attach/ws",
  );
  assert.equal(plain.targets, null, "a plain rule after a labelled one allows on any container");
  assert.equal(plain.oneWay, false);
  assert.equal(plain.reason, "rule 2 (ContainerAttachWebsocket, line 11)");
  const switches = profile([], {
    switches: makeFlags({ ALLOW_RESTARTS: true, POST: true, CONTAINERS: true }),
  });
  const switchesAndRule = profile([{ allow: "ContainerList", query: { all: false } }], {
    switches: makeFlags({ CONTAINERS: true }),
  });
  const bySwitches = decideOn(switchesAndRule, "GET", "/containers/json?all=1");
  assert.equal(bySwitches.reason, "CONTAINERS=1", "switches decide first; rules are not read");
  assert.equal(bySwitches.readsQuery, false);
  assert.equal(decideOn(switches, "POST", "/containers/x/stop").reason, "ALLOW_RESTARTS=1");
  assert.equal(decideOn(switches, "POST", "/containers/x/create").operation, null);
  assert.equal(decideOn(switches, "POST", "/containers/create").reason, "POST=1 and CONTAINERS=1");
});

Deno.test("a denial by switches alone, and by rules and switches, reads as a sentence", () => {
  const rulesAndSwitches = profile(["SystemPing"], { switches: makeFlags({ PING: false }) });
  assert.equal(
    decideOn(rulesAndSwitches, "GET", "/info").reason,
    'is not allowed for profile "app": no rule allows SystemInfo (add SystemInfo to its rules); ' +
      "its switches would need INFO=1",
  );
  assert.equal(
    decideOn(
      profile([], { switches: makeFlags({ CONTAINERS: true }) }),
      "POST",
      "/libpod/kube/play",
    )
      .reason,
    'is not allowed for profile "app": no rule allows LibpodKubePlay (add LibpodKubePlay to its ' +
      "rules); no switch can allow it",
  );
  const env = profile([], { file: null, switches: makeFlags() });
  assert.equal(decideOn(env, "POST", "/containers/create").reason, "needs POST=1 and CONTAINERS=1");
  const audit = decideOn(profile([], { mode: "audit" }), "GET", "/info");
  assert.deepEqual([audit.forward, audit.denied, audit.status], [true, true, 403]);
});

Deno.test("a request on no route reads no query", () => {
  const decision = decideOn(profile(["Container*"]), "GET", "/nothing?a=1");
  assert.equal(decision.readsQuery, false);
  assert.equal(decision.targets, null);
});

Deno.test("route() answers a refused target with the error and nothing else", () => {
  const p = profile(["SystemPing"]);
  assert.deepEqual(route(p, routeMatcher(), "GET", "/a//b", false), {
    error: "Empty path segment (// or a trailing /)",
    target: null,
    match: null,
    decision: null,
    forward: "",
    requestLine: null,
    deadline: null,
  });
  const allowed = route(p, routeMatcher(), "GET", "/v1.47/%5Fping?x=1", false);
  assert.equal(allowed.error, null);
  assert.equal(allowed.forward, "/v1.47/_ping?x=1");
  assert.equal(
    new TextDecoder().decode(allowed.requestLine!),
    "GET /v1.47/_ping?x=1 HTTP/1.1\r\nHost: docker\r\n",
  );
  assert.equal(allowed.match?.route.operation, "SystemPing");
  const denied = route(p, routeMatcher(), "GET", "/info", false);
  assert.equal(denied.requestLine, null);
  assert.equal(denied.forward, "/info");
  assert.equal(denied.decision?.forward, false);
  const upgrade = route(
    profile([], { file: null, switches: makeFlags({ CONTAINERS: true }) }),
    routeMatcher(),
    "GET",
    "/containers/x/logs",
    true,
  );
  assert.equal(upgrade.decision?.forward, false, "the upgrade flag reaches the decision");
});

Deno.test("RouteCache memoizes per method, target and upgrade, within bounds", () => {
  const p = profile([], { file: null, switches: makeFlags() });
  const cache = new RouteCache(p, routeMatcher());
  assert.equal(cache.profile, p);
  const first = cache.route("GET", "/_ping", false);
  assert.equal(cache.route("GET", "/_ping", false), first, "the same answer again");
  assert.notEqual(cache.route("HEAD", "/_ping", false), first, "per method");
  const upgraded = cache.route("GET", "/_ping", true);
  assert.notEqual(upgraded, first, "per upgrade");
  assert.equal(cache.route("GET", "/_ping", true), upgraded);
  assert.equal(upgraded.decision?.forward, false, "a read that upgrades is a write");
  assert.equal(first.decision?.forward, true);
  const long = "/_ping?" + "x".repeat(600);
  assert.notEqual(
    cache.route("GET", long, false),
    cache.route("GET", long, false),
    "long targets are not kept",
  );
  const edge = "/_ping?" + "x".repeat(512 - 7);
  assert.equal(
    cache.route("GET", edge, false),
    cache.route("GET", edge, false),
    "512 bytes are kept",
  );
  for (let i = 0; i < 1100; i++) cache.route("GET", `/_ping?${i}`, false);
  assert.notEqual(cache.route("GET", "/_ping", false), first, "a full cache starts over");
  const full = new RouteCache(p, routeMatcher());
  const oldest = full.route("GET", "/_ping?0", false);
  for (let i = 1; i < 1024; i++) full.route("GET", `/_ping?${i}`, false);
  full.route("GET", "/_ping?1024", false);
  assert.notEqual(full.route("GET", "/_ping?0", false), oldest, "the 1025th entry starts over");
  const split = new RouteCache(p, routeMatcher());
  assert.equal(split.route("GET", "/_ping", false).error, null);
  assert.equal(
    split.route("GE", "T/_ping", false).error,
    "Request target must start with /",
    "method and target are kept apart",
  );
  const fresh = new RouteCache(p, routeMatcher());
  const kept = fresh.route("GET", "/_ping?0", false);
  for (let i = 1; i < 1023; i++) fresh.route("GET", `/_ping?${i}`, false);
  assert.equal(fresh.route("GET", "/_ping?0", false), kept, "1023 entries are all kept");
});

Deno.test("ActivePolicy keeps one route cache per profile", () => {
  const a = profile(["SystemPing"], { name: "a" });
  const b = profile(["SystemPing"], { name: "b" });
  const policy: Policy = { file: "/p.yaml", profiles: [a, b], fallback: a, usesContainers: false };
  const active = new ActivePolicy(policy, routeMatcher());
  assert.equal(active.policy, policy);
  assert.equal(active.matcher, routeMatcher());
  assert.equal(active.routes(a), active.routes(a));
  assert.notEqual(active.routes(a), active.routes(b));
  assert.equal(active.routes(b).profile, b);
});

Deno.test("a libpod query name is read in any case, as podman reads it, and other names stay", async (t) => {
  const p = profile([{ allow: "LibpodContainerKill", query: { signal: ["SIGHUP"] } }, {
    allow: "LibpodContainerLogs",
    query: { follow: false, tail: ["10"] },
  }]);
  const cases: [string, string, boolean][] = [
    ["the name as declared", "/libpod/containers/a/kill?signal=SIGHUP", true],
    ["another case, an allowed value", "/libpod/containers/a/kill?SIGNAL=SIGHUP", true],
    ["another case, another value", "/libpod/containers/a/kill?Signal=KILL", false],
    ["two spellings are two values", "/libpod/containers/a/kill?signal=SIGHUP&Signal=KILL", false],
    ["each constrained name on its own", "/libpod/containers/a/logs?Tail=10&FOLLOW=false", true],
    ["the second constraint still holds", "/libpod/containers/a/logs?Tail=10&FOLLOW=true", false],
    ["the first constraint still holds", "/libpod/containers/a/logs?follow=true&tail=10", false],
  ];
  for (const [name, raw, forward] of cases) {
    await t.step(name, () => {
      const method = raw.includes("/logs") ? "GET" : "POST";
      assert.equal(decideOn(p, method, raw).forward, forward);
    });
  }
});

Deno.test("a libpod parameter a rule says must not be given may be left out", () => {
  const p = profile([{ allow: "LibpodContainerLogs", query: { follow: null } }]);
  assert.equal(decideOn(p, "GET", "/libpod/containers/a/logs?tail=1").forward, true);
  assert.equal(decideOn(p, "GET", "/libpod/containers/a/logs?Follow=0").forward, false);
});

Deno.test("route() says how long the engine may take for what it forwards", () => {
  const p = profile(["SystemEvents", "ContainerList"]);
  assert.deepEqual(route(p, routeMatcher(), "GET", "/events", false).deadline, { kind: "exempt" });
  assert.deepEqual(route(p, routeMatcher(), "GET", "/containers/json", false).deadline, {
    kind: "finite",
    extraMs: 0,
  });
  assert.equal(route(p, routeMatcher(), "GET", "/images/json", false).deadline, null);
  // What names no route is never forwarded, even in audit mode: it gets no deadline.
  const audit = profile([], { mode: "audit" });
  const unknown = route(audit, routeMatcher(), "GET", "/no/such/route", false);
  assert.equal(unknown.match, null);
  assert.equal(unknown.deadline, null);
});
