import assert from "node:assert/strict";
import { parseAdmissionSettings } from "../../../lib/admission/admission_settings.ts";
import { decide } from "../../../lib/policy/decide.ts";
import { explainRequest } from "../../../lib/policy/explain.ts";
import { readBodyFacts } from "../../../lib/policy/body_fields.ts";
import { learnPolicy } from "../../../lib/policy/learn.ts";
import { parsePolicy, PolicyError } from "../../../lib/policy/policy_loader.ts";
import type { Profile } from "../../../lib/policy/profile.ts";
import { compileRule, type RuleSpec } from "../../../lib/policy/rule.ts";
import { parseRequestTarget, type RequestTarget } from "../../../lib/http/request_target.ts";
import { routeMatcher, ROUTES } from "../../../lib/routes/engine_routes.ts";
import { UNSCOPED } from "../../../lib/policy/scope.ts";

const FILE = "/etc/socket-proxy/policy.yaml";
const OPTIONS = { listeners: ["0.0.0.0:2375"], forceAudit: false };

function load(text: string, options = OPTIONS) {
  return parsePolicy(text, FILE, ROUTES, options);
}

function profile(rules: (string | RuleSpec)[]): Profile {
  return {
    name: "app",
    file: FILE,
    line: 3,
    match: null,
    mode: "enforce",
    switches: null,
    rules: rules.map((rule, i) =>
      compileRule(ROUTES, typeof rule === "string" ? { allow: rule } : rule, i + 1, 10 + i)
    ),
    admission: parseAdmissionSettings({}, { hostAccess: false }),
    scope: UNSCOPED,
  };
}

function decideOn(p: Profile, method: string, raw: string) {
  const target = parseRequestTarget(raw) as RequestTarget;
  return decide(p, {
    method,
    segments: target.segments,
    query: target.query,
    upgrade: false,
    route: routeMatcher().match(method, target.segments),
  });
}

const EXEC_RULE = { allow: "ContainerExec", body: { Cmd: [["nginx", "-s", "reload"]] } };

Deno.test("A policy file's body: fields are checked at start, with the line and a suggestion", async (t) => {
  const cases: [string, string, RegExp][] = [
    [
      "an unknown field",
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerExec\n        body:\n          Cmd: [[x]]\n          Usr: root\n",
      /policy\.yaml:7: Unknown body field "Usr" \(did you mean User\?\) \(valid: Cmd, Entrypoint/,
    ],
    [
      "podman's spelling",
      "profiles:\n  - name: a\n    rules:\n      - allow: LibpodContainerCreate\n        body:\n          command: [[x]]\n",
      /policy\.yaml:6: Unknown body field "command" \(did you mean Cmd\?\)/,
    ],
    [
      "a field of another operation's body",
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerExec\n        body: { Image: x }\n",
      /policy\.yaml:5: body\.Image is not a field of ContainerExec's body/,
    ],
    [
      "an operation with no body rules",
      "profiles:\n  - name: a\n    rules:\n      - allow: Container*\n        body: { Cmd: [[x]] }\n",
      /policy\.yaml:5: body: applies to ContainerExec.*also covers Container\w+/,
    ],
    [
      "a body that is not a map",
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerExec\n        body: [x]\n",
      /policy\.yaml:5: body must be a map of fields/,
    ],
    [
      "a Cmd written as one command line",
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerExec\n        body:\n          Cmd: nginx -s reload\n",
      /policy\.yaml:6: body\.Cmd must be a list of argv patterns/,
    ],
  ];
  for (const [name, text, message] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => load(text),
        (e: Error) => e instanceof PolicyError && message.test(e.message),
      );
    });
  }
});

Deno.test("A rule on bodies allows only conditionally, so no cache holds it as an allow", () => {
  const p = profile([EXEC_RULE]);
  const decision = decideOn(p, "POST", "/v1.41/containers/web/exec");
  assert.equal(decision.forward, true);
  assert.equal(decision.denied, false);
  assert.equal(decision.targets, null);
  assert.equal(decision.bodies?.length, 1);
  assert.equal(decision.bodies![0].target, null);
  assert.match(
    decision.bodies![0].rule,
    /rule 1 \(ContainerExec with body Cmd in \[\[nginx, -s, reload\]\], line 10\)/,
  );
  assert.match(decision.reason, /by rules on the body/);
});

Deno.test("A plain rule for the same operation allows every body", () => {
  const decision = decideOn(profile([EXEC_RULE, "ContainerExec"]), "POST", "/containers/web/exec");
  assert.equal(decision.bodies, null);
  assert.match(decision.reason, /rule 2/);
});

Deno.test("Rules on targets and bodies pair each target with its own rule's body", () => {
  const p = profile([
    { allow: "ContainerExec", target: { labels: { role: "db" } }, body: { Cmd: [["pg_dump"]] } },
    { allow: "ContainerExec", target: { labels: { role: "web" } } },
    EXEC_RULE,
  ]);
  const decision = decideOn(p, "POST", "/containers/x/exec");
  assert.equal(decision.targets?.length, 3);
  assert.deepEqual(decision.bodies!.map((alternative) => alternative.target), decision.targets);
  assert.equal(decision.bodies![1].body, null, "a rule on targets alone allows any body");
  assert.deepEqual(decision.targets![2].labels, [], "a rule on bodies alone: any container");
});

Deno.test("Rules on targets alone leave no body to read", () => {
  const p = profile([{ allow: "ContainerExec", target: { labels: { role: "db" } } }]);
  const decision = decideOn(p, "POST", "/containers/x/exec");
  assert.equal(decision.bodies, null);
  assert.equal(decision.targets?.length, 1);
  assert.match(decision.reason, /by rules on the target's labels/);
});

Deno.test("A request refused by the rules' queries is not saved by a body rule", () => {
  const p = profile([{ allow: "ContainerCreate", query: { name: "job-*" }, body: { Image: "x" } }]);
  assert.equal(decideOn(p, "POST", "/containers/create?name=other").forward, false);
  assert.equal(decideOn(p, "POST", "/containers/create?name=job-1").bodies?.length, 1);
});

Deno.test("MODE=audit forwards a client no profile matches, as would-deny", () => {
  for (
    const [options, text, forward] of [
      [{ ...OPTIONS, forceAudit: true }, "profiles: []\n", true],
      [OPTIONS, "mode: audit\nprofiles: []\n", true],
      [OPTIONS, "profiles: []\n", false],
    ] as const
  ) {
    const policy = load(text, options);
    const decision = decideOn(policy.fallback, "GET", "/containers/json");
    assert.equal(decision.forward, forward, text);
    assert.equal(decision.denied, true);
    assert.match(decision.reason, /no profile in .* matches this client/);
  }
});

Deno.test("explain shows the body rules, and why a body fails them", () => {
  const policy = load(
    "profiles:\n  - name: acme\n    rules:\n      - allow: ContainerExec\n        body:\n          Cmd: [[nginx, -s, reload]]\n          Privileged: false\n",
  );
  const client = { listener: "0.0.0.0:2375", address: null, container: null };
  const explain = (body?: string) =>
    explainRequest(
      policy,
      routeMatcher(),
      client,
      "POST",
      "/containers/web/exec",
      body === undefined ? undefined : { text: body, read: readBodyFacts },
    );
  const unknown = explain();
  assert.equal(unknown.allowed, true);
  assert.match(
    unknown.lines.join("\n"),
    /allowed only with a body one of these rules allows\n {2}body rule: {2}rule 1 \(ContainerExec with body Cmd in \[\[nginx, -s, reload\]\], Privileged=false, line 4\)/,
  );
  const stop = explain('{"Cmd":["nginx","-s","stop"],"Privileged":true}');
  assert.equal(stop.allowed, false);
  assert.match(
    stop.lines.join("\n"),
    /does not allow it: Cmd \["nginx","-s","stop"\] matches none of \[\[nginx, -s, reload\]\]; Privileged is true/,
  );
  const reload = explain('{"Cmd":["nginx","-s","reload"]}');
  assert.equal(reload.allowed, true);
  assert.match(reload.lines.join("\n"), /allowed with this body/);
  const broken = explain('{"Cmd":"nginx"}');
  assert.equal(broken.allowed, false);
  assert.match(broken.lines.join("\n"), /body: {7}refused \(400\)/);
});

function record(fields: Record<string, unknown>): string {
  return JSON.stringify({
    msg: "request",
    decision: "would-deny",
    client: "172.18.0.7:4000",
    container: "acme-companion",
    method: "POST",
    ...fields,
  });
}

Deno.test("learn turns the commands and images in the log into body constraints", async (t) => {
  const exec = (cmd: string[], extra: Record<string, unknown> = {}) =>
    record({
      path: "/v1.41/containers/nginx/exec",
      operation: "ContainerExec",
      cmd: JSON.stringify(cmd),
      ...extra,
    });
  const create = (image: string, extra: Record<string, unknown> = {}) =>
    record({ path: "/v1.41/containers/create", operation: "ContainerCreate", image, ...extra });
  const learned = (lines: string[]) => learnPolicy(lines, ROUTES, new Date("2026-12-07")).text;
  await t.step("exec: the argv as seen, the users, Privileged: false", () => {
    const text = learned([
      exec(["nginx", "-s", "reload"]),
      exec(["nginx", "-s", "reload"]),
      exec(["nginx", "-t"], { user: "www" }),
    ]);
    assert.match(
      text,
      /- allow: ContainerExec # 3 requests\n {8}body:\n {10}Cmd: \[\["nginx", "-s", "reload"\], \["nginx", "-t"\]\] # as seen\n {10}User: \["www", null\]\n {10}Privileged: false\n/,
    );
    const policy = load(text);
    assert.equal(policy.profiles[0].rules[0].body?.fields.join(), "Cmd,User,Privileged");
  });
  await t.step("a privileged exec learns no Privileged: false", () => {
    assert.doesNotMatch(learned([exec(["x"], { privileged: true })]), /Privileged/);
  });
  await t.step("an exec without its command in the log learns no body", () => {
    assert.match(
      learned([record({ path: "/containers/x/exec", operation: "ContainerExec" })]),
      /- ContainerExec # 1 request\n/,
    );
  });
  await t.step("an argument with quotes and commas stays one argument", () => {
    const text = learned([exec(["sh", "-c", 'echo "a","b"'])]);
    const policy = load(text);
    const facts = { cmd: ["sh", "-c", 'echo "a","b"'] };
    assert.equal(policy.profiles[0].rules[0].body?.check({ ...EMPTY, ...facts }), null);
  });
  await t.step("create: the images as sent, and the users", () => {
    const text = learned([
      create("nginx:1.25"),
      create("ghcr.io/acme/app@sha256:" + "a".repeat(64), { user: "1000" }),
    ]);
    assert.match(
      text,
      /Image: \["ghcr\.io\/acme\/app@sha256:a+", "nginx:1\.25"\] # as sent\n {10}User: \["1000", null\]/,
    );
    load(text);
  });
  await t.step("a service: its image", () => {
    const text = learned([
      record({ path: "/services/create", operation: "ServiceCreate", image: "nginx" }),
    ]);
    assert.match(text, /body:\n {10}Image: \["nginx"\] # as sent\n/);
    load(text);
  });
});

const EMPTY = {
  kind: "exec" as const,
  cmd: null,
  entrypoint: null,
  image: null,
  imageError: null,
  user: null,
  privileged: false,
  tty: false,
  env: [],
  workingDir: null,
  labels: new Map(),
  healthcheck: null,
};
