/**
 * Policy files at their edges: every error with its file, line and words,
 * the shapes each key takes, shadowed profiles, and what a loaded policy
 * holds. Written against the mutants `deno task mutate policy_file` showed
 * surviving; it also covers, while admission is being written, the errors
 * of policy_loader_test.ts (one of whose steps waits for admission).
 */
import assert from "node:assert/strict";
import { parseAdmissionSettings } from "../../../lib/admission/admission_settings.ts";
import { parseAddress } from "../../../lib/policy/cidr.ts";
import {
  describeNode,
  DocumentError,
  parseDocumentTree,
  plainValue,
} from "../../../lib/policy/policy_document.ts";
import { environmentPolicy } from "../../../lib/policy/env_policy.ts";
import {
  fallbackProfile,
  parsePolicy,
  PolicyError,
  shadows,
} from "../../../lib/policy/policy_loader.ts";
import {
  clientMatches,
  describeProfile,
  identifiesClients,
  selectProfile,
} from "../../../lib/policy/profile.ts";
import {
  parseProfileSettings,
  settingBoolean,
  SettingError,
  settingList,
} from "../../../lib/policy/profile_settings.ts";
import { ROUTES } from "../../../lib/routes/engine_routes.ts";
import { UNSCOPED } from "../../../lib/policy/scope.ts";

const OPTIONS = { listeners: ["0.0.0.0:2375", "unix:/run/sp/traefik.sock"], forceAudit: false };
const load = (text: string, options = OPTIONS) => parsePolicy(text, "/p.yaml", ROUTES, options);

Deno.test("a policy file that cannot be used is refused with the file, the line and why", async (t) => {
  const cases: [string, string][] = [
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerRestart\n        target: { labels: { '': x } }\n",
      '/p.yaml:5: Invalid label selector "=x" (want key or key=value)',
    ],
    [
      "FOO: 1\nprofiles: []\n",
      '/p.yaml:1: Unknown key "FOO" in the policy (valid: version, mode, profiles)',
    ],
    [
      "profiles:\n  - name: a\n    xFOO: 1\n",
      '/p.yaml:3: Unknown key "xFOO" in a profile (valid: name, app, preset, match, mode, rules)',
    ],
    [
      "profiles:\n  - name: a\n    FOOx: 1\n",
      '/p.yaml:3: Unknown key "FOOx" in a profile (valid: name, app, preset, match, mode, rules)',
    ],
    [
      "profiles:\n  - name: a\n    match: { container: { name: '' } }\n",
      '/p.yaml:3: container name must be a text, not string ""',
    ],
    [
      "profiles:\n  - name: a\n    match: { container: { labels: '' } }\n",
      '/p.yaml:3: container labels must be a text, not string ""',
    ],
    ["profiles:\n  - name: a\n    rules: [3]\n", "/p.yaml:3: A rule must be a text, not number 3"],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerKill\n        query: { signal: [HUP, 1] }\n",
      "/p.yaml:5: query.signal must be true, false, null, a text or a list of texts",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - GET /containers/{id}json\n",
      "/p.yaml:4: Route pattern param must fill a whole segment: /containers/{id}json",
    ],
    ["", "/p.yaml: The policy must be a map, not nothing"],
    ["[]", "/p.yaml:1: The policy must be a map, not a list"],
    ["- a", "/p.yaml:1: The policy must be a map, not a list"],
    ["3", "/p.yaml:1: The policy must be a map, not number 3"],
    ["version: '1'\nprofiles: []\n", "/p.yaml:1: version must be 1"],
    ["version: [1]\nprofiles: []\n", "/p.yaml:1: version must be 1"],
    ["mode: [audit]\nprofiles: []\n", "/p.yaml:1: mode must be a text, not a list"],
    ["mode: ''\nprofiles: []\n", '/p.yaml:1: mode must be a text, not string ""'],
    ["profiles:\n  - 3\n", "/p.yaml:2: A profile must be a map, not number 3"],
    ["profiles:\n  - name: 3\n", "/p.yaml:2: name must be a text, not number 3"],
    ["profiles:\n  - name: ''\n", '/p.yaml:2: name must be a text, not string ""'],
    ["profiles:\n  - name: '  '\n", '/p.yaml:2: name must be a text, not string "  "'],
    ["profiles:\n  - name: -a\n", '/p.yaml:2: Invalid profile name "-a" (letters, digits, _ . -)'],
    [
      "profiles:\n  - name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
      '/p.yaml:2: Invalid profile name "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" (letters, digits, _ . -)',
    ],
    ["profiles:\n  - name: a\n    rules: ContainerList\n", "/p.yaml:3: rules must be a list"],
    [
      "profiles:\n  - name: a\n    rules:\n      - [ContainerList]\n",
      "/p.yaml:4: A rule must be a map, not a list",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: [ContainerList]\n",
      "/p.yaml:4: allow must be a text, not a list",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerKill\n        query: [signal]\n",
      "/p.yaml:5: query must be a map of parameters",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerKill\n        query: { signal: 1 }\n",
      "/p.yaml:5: query.signal must be true, false, null, a text or a list of texts",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerKill\n        query: { signal: [1] }\n",
      "/p.yaml:5: query.signal must be true, false, null, a text or a list of texts",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerKill\n        query: { signal: { a: b } }\n",
      "/p.yaml:5: query.signal must be true, false, null, a text or a list of texts",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerRestart\n        target: { label: { a: b } }\n",
      '/p.yaml:5: Unknown key "label" in target (did you mean labels?) (valid: labels)',
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerRestart\n        target: { labels: [a] }\n",
      '/p.yaml:5: target needs labels: a map such as { autoheal: "true" }',
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerRestart\n        target: {}\n",
      '/p.yaml:5: target needs labels: a map such as { autoheal: "true" }',
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerRestart\n        target: { labels: {} }\n",
      "/p.yaml:5: target.labels is empty",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ImageList\n        query: { all: 3 }\n",
      "/p.yaml:5: query.all must be true, false, null, a text or a list of texts",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - ContainerList\n      - allow: Nope\n",
      '/p.yaml:5: Unknown operation "Nope" (did you mean Grpc?)',
    ],
    ["profiles:\n  - name: a\n    match: []\n", "/p.yaml:3: Match must be a map, not a list"],
    [
      "profiles:\n  - name: a\n    match: { listener: [] }\n",
      "/p.yaml:3: listener is an empty list, which matches nothing",
    ],
    [
      "profiles:\n  - name: a\n    match: { source: [10.0.0.0/8, ''] }\n",
      '/p.yaml:3: source must be a text, not string ""',
    ],
    [
      "profiles:\n  - name: a\n    match: { source: 300.0.0.1 }\n",
      '/p.yaml:3: Invalid source "300.0.0.1": Invalid address "300.0.0.1" (want an address or a CIDR such as 172.18.0.0/16 or fd00::/8)',
    ],
    [
      "profiles:\n  - name: a\n    match: { source: '10.0.0.0/33' }\n",
      '/p.yaml:3: Invalid source "10.0.0.0/33": Invalid prefix length /33 (want 0 to 32) (want an address or a CIDR such as 172.18.0.0/16 or fd00::/8)',
    ],
    [
      "profiles:\n  - name: a\n    match: { container: [] }\n",
      "/p.yaml:3: Container match must be a map, not a list",
    ],
    [
      "profiles:\n  - name: a\n    match: { container: { names: a } }\n",
      '/p.yaml:3: Unknown key "names" in container match (did you mean name?) (valid: name, labels)',
    ],
    [
      "profiles:\n  - name: a\n    match: { container: { labels: ['=b'] } }\n",
      '/p.yaml:3: Invalid label selector "=b" (want key or key=value)',
    ],
    [
      "profiles:\n  - name: a\n    match: { container: { labels: { '': x } } }\n",
      '/p.yaml:3: Invalid label selector "=x" (want key or key=value)',
    ],
    [
      "profiles:\n  - name: a\n    CONTAINERS: [1]\n",
      "/p.yaml:3: Invalid value for CONTAINERS: [1] (use 1/0, true/false, yes/no or on/off)",
    ],
    [
      "profiles:\n  - name: a\n    CONTAINER_LABELS: '=x'\n",
      '/p.yaml:3: Invalid value for CONTAINER_LABELS: Invalid label selector "=x" (want key or key=value)',
    ],
    [
      "profiles:\n  - name: a\n    CONTAINER_LABELS: 3\n",
      "/p.yaml:3: Invalid value for CONTAINER_LABELS: 3 (want a comma-separated text or a list)",
    ],
    [
      "profiles:\n  - name: a\n    lowercase: 1\n",
      '/p.yaml:3: Unknown key "lowercase" in a profile (valid: name, app, preset, match, mode, rules)',
    ],
    [
      "profiles:\n  - name: a\n    match: { listener: ['0.0.0.0:2375', 'unix:/run/sp/traefik.sock'] }\n  - name: b\n    match: { listener: '0.0.0.0:2375' }\n",
      "/p.yaml:4: Profile b can never be chosen: profile a (line 2) before it matches every client it matches",
    ],
    [
      "profiles:\n  - name: a\n    match: { source: [10.0.0.0/8, 192.168.0.0/16] }\n  - name: b\n    match: { source: [10.1.0.0/16, 192.168.1.1] }\n",
      "/p.yaml:4: Profile b can never be chosen: profile a (line 2) before it matches every client it matches",
    ],
    [
      "profiles:\n  - name: a\n    match: { container: { name: 'app*' } }\n  - name: b\n    match: { container: { name: 'app*' } }\n",
      "/p.yaml:4: Profile b can never be chosen: profile a (line 2) before it matches every client it matches",
    ],
    [
      "profiles:\n  - name: a\n    match: { container: { labels: [x] } }\n  - name: b\n    match: { container: { labels: { x: y } } }\n",
      "/p.yaml:4: Profile b can never be chosen: profile a (line 2) before it matches every client it matches",
    ],
    [
      "a: &x [1]\nprofiles: *x\n",
      '/p.yaml:1: Unknown key "a" in the policy (valid: version, mode, profiles)',
    ],
    [
      "profiles:\n  - &p { name: a }\n  - *p\n",
      "/p.yaml:2: Profile a is defined twice (also line 2)",
    ],
    ["profiles:\n  ? [a]\n  : 1\n", "/p.yaml:2: Map keys must be plain strings"],
    ["? [a]\n: 1\n", "/p.yaml:1: Map keys must be plain strings"],
    ["profiles: !!binary aGVsbG8=\n", "/p.yaml:1: Unsupported YAML value hello"],
    [
      "profiles:\n  - name: a\n    rules: [SystemPing]\n  - name: b\n    match: { source: 10.0.0.1 }\n",
      "/p.yaml:4: Profile b can never be chosen: profile a (line 2) before it matches every client it matches",
    ],
    [
      "profiles: [\n  - {",
      "/p.yaml:2: Invalid YAML: Flow map in block collection must be sufficiently indented and end with a }",
    ],
    ["profiles: []\nprofiles: []", "/p.yaml:2: Invalid YAML: Map keys must be unique"],
    ["mode: audit\n", "/p.yaml:1: The policy needs profiles: a list"],
    ["profiles: 3\n", "/p.yaml:1: profiles must be a list"],
    [
      "profile: []\n",
      '/p.yaml:1: Unknown key "profile" in the policy (did you mean profiles?) (valid: version, mode, profiles)',
    ],
    ["version: 2\nprofiles: []\n", "/p.yaml:1: version must be 1"],
    ["mode: dry\nprofiles: []\n", '/p.yaml:1: Invalid mode "dry" (valid: enforce, audit)'],
    ["profiles:\n  - rules: []\n", "/p.yaml:2: A profile needs a name"],
    [
      "profiles:\n  - name: a\n    match: {source: 10.0.0.1}\n  - name: a\n    match: {source: 10.0.0.2}\n",
      "/p.yaml:4: Profile a is defined twice (also line 2)",
    ],
    [
      "profiles:\n  - name: a\n    rule: []\n",
      '/p.yaml:3: Unknown key "rule" in a profile (did you mean rules?) (valid: name, app, preset, match, mode, rules)',
    ],
    [
      "profiles:\n  - name: a\n    CONTAINER: 1\n",
      "/p.yaml:3: Unknown setting CONTAINER (did you mean CONTAINERS?) (profiles take name, app, preset, match, mode, rules and settings such as CONTAINERS, HOST_ACCESS, CONTAINER_LABELS: see the README)",
    ],
    [
      "profiles:\n  - name: a\n    POST: maybe\n",
      '/p.yaml:3: Invalid value for POST: "maybe" (use 1/0, true/false, yes/no or on/off)',
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - ContainerLst\n",
      '/p.yaml:4: Unknown operation "ContainerLst" (did you mean ContainerList?)',
    ],
    ["profiles:\n  - name: a\n    rules: [Nope*]\n", '/p.yaml:3: Unknown operation "Nope*"'],
    [
      "profiles:\n  - name: a\n    rules:\n      - GET /containers/{id}/jsn\n",
      '/p.yaml:4: "GET /containers/{id}/jsn" matches no Docker Engine API route (did you mean GET /containers/{name:.*}/json?)',
    ],
    [
      "profiles:\n  - name: a\n    rules: [/containers/json]\n",
      '/p.yaml:3: "/containers/json" is neither an operation (ContainerList, Container*) nor METHOD /template (GET /containers/{id}/json, GET /containers/**)',
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerKill\n        query:\n          sig: [HUP]\n",
      '/p.yaml:6: ContainerKill has no query parameter "sig" (it has: signal)',
    ],
    [
      'profiles:\n  - name: a\n    rules:\n      - allow: ContainerLogs\n        query: { follow: "no" }\n',
      "/p.yaml:5: follow is a boolean parameter: use true or false",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - query: {}\n",
      "/p.yaml:4: A rule needs allow: (an operation or METHOD /template)",
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerList\n        when: x\n",
      '/p.yaml:5: Unknown key "when" in a rule (valid: allow, query, target, body)',
    ],
    [
      "profiles:\n  - name: a\n    match:\n      source: 10.0.0.1/8\n",
      '/p.yaml:4: Invalid source "10.0.0.1/8": 10.0.0.1/8 has host bits set (the network is 10.0.0.0/8) (want an address or a CIDR such as 172.18.0.0/16 or fd00::/8)',
    ],
    [
      "profiles:\n  - name: a\n    match: { listener: '127.0.0.1:9' }\n",
      '/p.yaml:3: Listener "127.0.0.1:9" is not one the proxy listens on (LISTEN): 0.0.0.0:2375, unix:/run/sp/traefik.sock',
    ],
    [
      "profiles:\n  - name: a\n    match: {}\n",
      "/p.yaml:3: match is empty: leave it out to match every client",
    ],
    [
      "profiles:\n  - name: a\n    match: { address: x }\n",
      '/p.yaml:3: Unknown key "address" in match (valid: listener, source, container)',
    ],
    [
      "profiles:\n  - name: a\n  - name: b\n    match: { source: 10.0.0.1 }\n",
      "/p.yaml:3: Profile b can never be chosen: profile a (line 2) before it matches every client it matches",
    ],
    [
      "profiles:\n  - name: a\n    OWNER: 'a b'\n",
      "/p.yaml:3: Invalid value for OWNER: \"a b\" (want letters, digits, '_', '.' or '-', starting with a letter or digit)",
    ],
    ["profiles: &a\n  - *a\n", "/p.yaml:2: A YAML alias refers to itself"],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerKill\n        query: { signal: [SIGNOPE] }\n        target: { labels: { a: b } }\n",
      '/p.yaml:5: Unknown signal "SIGNOPE"',
    ],
    [
      "profiles:\n  - name: a\n    rules:\n      - allow: ImageList\n        query: { all: false }\n        target: { labels: { a: b } }\n",
      "/p.yaml:6: target: applies to container routes only, and ImageList (GET /images/json) names no container",
    ],
  ];
  for (const [text, message] of cases) {
    await t.step(message, () => {
      assert.throws(() => load(text), (error: Error) => {
        assert.ok(error instanceof PolicyError, String(error));
        assert.equal(error.name, "PolicyError");
        assert.equal(error.file, "/p.yaml");
        assert.equal(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("policy files in every shape the keys allow are read", async (t) => {
  const cases: string[] = [
    "profiles: []\nversion: 1\n",
    "mode: audit\nprofiles: []\n",
    "profiles:\n  - name: a\n    mode: audit\n",
    "profiles:\n  - name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
    "profiles:\n  - name: a.b_c-d\n",
    "profiles:\n  - name: a\n    rules:\n      - allow: ContainerLogs\n        query: { follow: null, stdout: true, tail: ['1', '2'], since: '5' }\n",
    "profiles:\n  - name: a\n    rules:\n      - allow: ContainerRestart\n        target: { labels: { a: 1, b: null, c: true } }\n",
    "profiles:\n  - name: a\n    match: { listener: ['0.0.0.0:2375', 'unix:/run/sp/traefik.sock'] }\n",
    "profiles:\n  - name: a\n    match: { container: { name: /web } }\n",
    "profiles:\n  - name: a\n    match: { container: { labels: [a=b, c] } }\n",
    "profiles:\n  - name: a\n    match: { container: { labels: { a: 1, b: null } } }\n",
    "profiles:\n  - name: a\n    match: { listener: '0.0.0.0:2375' }\n  - name: b\n    match: { listener: ['0.0.0.0:2375', 'unix:/run/sp/traefik.sock'] }\n",
    "profiles:\n  - name: a\n    match: { listener: '0.0.0.0:2375' }\n  - name: b\n    match: { source: 10.0.0.1 }\n",
    "profiles:\n  - name: a\n    match: { source: 10.0.0.1 }\n  - name: b\n    match: { listener: '0.0.0.0:2375' }\n",
    "profiles:\n  - name: a\n    match: { source: [10.0.0.0/8] }\n  - name: b\n    match: { source: [10.1.0.0/16, 11.0.0.1] }\n",
    "profiles:\n  - name: a\n    match: { container: { name: 'app*' } }\n  - name: b\n    match: { container: { name: 'app-*' } }\n",
    "profiles:\n  - name: a\n    match: { container: { name: app1 } }\n  - name: b\n    match: { container: { labels: { x: y } } }\n",
    "profiles:\n  - name: a\n    match: { container: { labels: { x: y } } }\n  - name: b\n    match: { container: { name: app1 } }\n",
    "profiles:\n  - name: a\n    match: { container: { labels: { x: y } } }\n  - name: b\n    match: { container: { labels: [x] } }\n",
    "profiles:\n  - name: a\n    match: { container: { labels: { x: y } } }\n  - name: b\n    match: { container: { labels: { x: z } } }\n",
    "profiles:\n  - name: a\n    match: { source: 10.0.0.1 }\n  - name: b\n",
    "profiles:\n  - name: a\n    match: { source: '::/0' }\n  - name: b\n    match: { source: 10.0.0.1 }\n",
  ];
  for (const text of cases) await t.step(JSON.stringify(text), () => void load(text));
});

const POLICY = `version: 1
mode: audit
profiles:
  - name: web
    match:
      listener: [unix:/run/sp/traefik.sock]
      source: [10.0.0.0/8]
      container: { name: [/web*, api], labels: { role: web, tier: null } }
    mode: enforce
    rules:
      - SystemPing
      - allow: ContainerList
        query: { all: false }
    CONTAINERS: "on"
    ALLOW_RESTARTS: 0
    CONTAINER_NAMES: [/web-1, "", web-2]
    OWNER: " team "
  - name: other
    match: { source: "fd00::/8" }
`;

Deno.test("a loaded policy holds each profile as written", () => {
  const policy = load(POLICY);
  assert.equal(policy.file, "/p.yaml");
  assert.equal(policy.usesContainers, true);
  const [web, other] = policy.profiles;
  assert.equal(web.name, "web");
  assert.equal(web.file, "/p.yaml");
  assert.equal(web.line, 4);
  assert.equal(web.mode, "enforce");
  assert.equal(other.mode, "audit", "the file's mode is the default");
  assert.deepEqual(web.match?.listeners, ["unix:/run/sp/traefik.sock"]);
  assert.deepEqual(web.match?.sources?.map((cidr) => cidr.text), ["10.0.0.0/8"]);
  assert.deepEqual(web.match?.containerNames?.map((glob) => glob.text), ["web*", "api"]);
  assert.deepEqual(web.match?.containerLabels, [{ key: "role", value: "web" }, {
    key: "tier",
    value: null,
  }]);
  assert.deepEqual(web.rules.map((rule) => [rule.index, rule.text, rule.line]), [
    [1, "SystemPing", 11],
    [2, "ContainerList", 12],
  ]);
  assert.equal(web.rules[1].query[0].text, "without all");
  assert.equal(web.switches?.CONTAINERS, true);
  assert.equal(web.switches?.ALLOW_RESTARTS, false);
  assert.equal(web.switches?.EVENTS, true);
  assert.deepEqual(web.scope.containerNames?.map((glob) => glob.text), ["web-1", "web-2"]);
  assert.equal(web.scope.owner, "team");
  assert.equal(web.scope.containerLabels, null);
  assert.equal(web.scope.scrubEnvs, false);
  assert.equal(other.switches, null);
  assert.equal(other.match?.listeners, null);
  assert.equal(other.match?.containerNames, null);
  assert.equal(other.match?.containerLabels, null);
  assert.equal(load(POLICY, { ...OPTIONS, forceAudit: true }).profiles[0].mode, "audit");
  const fallback = policy.fallback;
  assert.deepEqual({ ...fallback, admission: null }, {
    name: "",
    file: "/p.yaml",
    line: null,
    match: null,
    mode: "audit", // the file's mode: a client no profile matches is audited too
    switches: null,
    rules: [],
    admission: null,
    scope: UNSCOPED,
  });
  assert.equal(fallbackProfile("/q.yaml").mode, "enforce");
  assert.equal(load("profiles: []").fallback.mode, "enforce");
  assert.equal(load("profiles: []", { ...OPTIONS, forceAudit: true }).fallback.mode, "audit");
  assert.deepEqual(fallback.admission, parseAdmissionSettings({}, { hostAccess: false }));
  assert.deepEqual(fallbackProfile("/q.yaml").file, "/q.yaml");
});

Deno.test("a policy uses client containers only when a profile matches by them", () => {
  assert.equal(
    load("profiles:\n  - name: a\n    match: { source: 10.0.0.1 }\n").usesContainers,
    false,
  );
  assert.equal(
    load("profiles:\n  - name: a\n    match: { container: { labels: [x] } }\n").usesContainers,
    true,
  );
  assert.equal(
    load("profiles:\n  - name: a\n    match: { container: { name: x } }\n").usesContainers,
    true,
  );
  assert.equal(load("profiles:\n  - name: a\n").usesContainers, false);
});

Deno.test("a setting's error names the setting's own line", () => {
  assert.throws(
    () => load("profiles:\n  - name: a\n    CONTAINERS: 1\n\n    SCRUB_ENVS: maybe\n"),
    {
      message:
        '/p.yaml:5: Invalid value for SCRUB_ENVS: "maybe" (use 1/0, true/false, yes/no or on/off)',
    },
  );
});

Deno.test("clients are matched on every criterion a profile gives", async (t) => {
  const web = load(POLICY).profiles[0];
  const client = (overrides: Record<string, unknown>) => ({
    listener: "unix:/run/sp/traefik.sock",
    address: parseAddress("10.1.1.1"),
    container: { id: "1", name: "web-1", labels: { role: "web", tier: "front" } },
    ...overrides,
  });
  const cases: [string, Record<string, unknown>, boolean][] = [
    ["all of them", {}, true],
    ["another listener", { listener: "0.0.0.0:2375" }, false],
    ["another source", { address: parseAddress("11.0.0.1") }, false],
    ["no address", { address: null }, false],
    [
      "another name",
      { container: { id: "1", name: "db", labels: { role: "web", tier: "x" } } },
      false,
    ],
    [
      "the other name",
      { container: { id: "1", name: "api", labels: { role: "web", tier: "x" } } },
      true,
    ],
    ["a label missing", { container: { id: "1", name: "api", labels: { role: "web" } } }, false],
    [
      "a label's value",
      { container: { id: "1", name: "api", labels: { role: "db", tier: "" } } },
      false,
    ],
    ["no container", { container: null }, false],
    ["an unresolved container", { container: undefined }, false],
  ];
  for (const [name, overrides, expected] of cases) {
    await t.step(
      name,
      () => assert.equal(clientMatches(web.match, client(overrides) as never), expected),
    );
  }
  await t.step("names only, or labels only", () => {
    const names =
      load("profiles:\n  - name: a\n    match: { container: { name: 'a*' } }\n").profiles[0];
    const labels =
      load("profiles:\n  - name: a\n    match: { container: { labels: [x] } }\n").profiles[0];
    const container = { id: "1", name: "ab", labels: { x: "1" } };
    const c = { listener: "", address: null, container };
    assert.equal(clientMatches(names.match, c), true);
    assert.equal(clientMatches(labels.match, c), true);
    assert.equal(
      clientMatches(names.match, { ...c, container: { ...container, name: "b" } }),
      false,
    );
    assert.equal(
      clientMatches(labels.match, { ...c, container: { ...container, labels: {} } }),
      false,
    );
    assert.equal(clientMatches(null, c), true);
  });
  await t.step("the first profile that fits", () => {
    const policy = load(POLICY);
    assert.equal(selectProfile(policy, client({}) as never).name, "web");
    assert.equal(
      selectProfile(policy, { listener: "", address: parseAddress("fd00::1"), container: null })
        .name,
      "other",
    );
    assert.equal(
      selectProfile(policy, { listener: "", address: null, container: null }),
      policy.fallback,
    );
  });
  await t.step("described for logs", () => {
    assert.equal(describeProfile(web), 'profile "web" (line 4)');
    assert.equal(describeProfile(fallbackProfile("/p.yaml")), 'profile ""');
  });
});

Deno.test("shadows() holds only when every client of the later profile fits the earlier", async (t) => {
  const match = (text: string) =>
    load(`profiles:\n  - name: a\n    match: ${text}\n`).profiles[0].match;
  const cases: [string, string | null, string | null, boolean][] = [
    ["anything after a catch-all", null, "{ source: 10.0.0.1 }", true],
    ["a catch-all after anything", "{ source: 10.0.0.1 }", null, false],
    [
      "fewer listeners",
      "{ listener: ['0.0.0.0:2375', 'unix:/run/sp/traefik.sock'] }",
      "{ listener: '0.0.0.0:2375' }",
      true,
    ],
    [
      "more listeners",
      "{ listener: '0.0.0.0:2375' }",
      "{ listener: ['0.0.0.0:2375', 'unix:/run/sp/traefik.sock'] }",
      false,
    ],
    ["no listener after one", "{ listener: '0.0.0.0:2375' }", "{ source: 10.0.0.1 }", false],
    ["a narrower range", "{ source: 10.0.0.0/8 }", "{ source: [10.1.0.0/16, 10.2.0.1] }", true],
    [
      "a range partly outside",
      "{ source: 10.0.0.0/8 }",
      "{ source: [10.1.0.0/16, 11.0.0.1] }",
      false,
    ],
    ["no source after one", "{ source: 10.0.0.0/8 }", "{ listener: '0.0.0.0:2375' }", false],
    ["the same name glob", "{ container: { name: 'a*' } }", "{ container: { name: 'a*' } }", true],
    [
      "a name the glob matches",
      "{ container: { name: 'a*' } }",
      "{ container: { name: [ab, ac] } }",
      true,
    ],
    ["a narrower glob", "{ container: { name: 'a*' } }", "{ container: { name: 'ab*' } }", false],
    [
      "a name it does not match",
      "{ container: { name: 'a*' } }",
      "{ container: { name: [ab, b] } }",
      false,
    ],
    ["no name after one", "{ container: { name: a } }", "{ container: { labels: [x] } }", false],
    [
      "fewer labels",
      "{ container: { labels: [x] } }",
      "{ container: { labels: { x: y, z: w } } }",
      true,
    ],
    [
      "a label with its value",
      "{ container: { labels: { x: y } } }",
      "{ container: { labels: { x: y } } }",
      true,
    ],
    [
      "a label with any value",
      "{ container: { labels: { x: y } } }",
      "{ container: { labels: [x] } }",
      false,
    ],
    [
      "a missing label",
      "{ container: { labels: [x, q] } }",
      "{ container: { labels: [x] } }",
      false,
    ],
    ["no labels after some", "{ container: { labels: [x] } }", "{ container: { name: a } }", false],
    [
      "one of two name globs",
      "{ container: { name: ['a*', 'b*'] } }",
      "{ container: { name: ab } }",
      true,
    ],
    [
      "the same key-only label",
      "{ container: { labels: [x] } }",
      "{ container: { labels: [x] } }",
      true,
    ],
    [
      "listener and source",
      "{ listener: '0.0.0.0:2375', source: 10.0.0.0/8 }",
      "{ listener: '0.0.0.0:2375', source: 10.0.0.1 }",
      true,
    ],
  ];
  for (const [name, earlier, later, expected] of cases) {
    await t.step(name, () => {
      const a = earlier === null ? null : match(earlier);
      const b = later === null ? null : match(later);
      assert.equal(shadows(a, b), expected);
    });
  }
});

Deno.test("profile settings read the environment's words, YAML values and lists", async (t) => {
  await t.step("booleans", () => {
    for (const value of [true, 1, "1", " TRUE ", "yes", "On"]) {
      assert.equal(settingBoolean("X", value), true);
    }
    for (const value of [false, 0, "0", "false", " no", "OFF"]) {
      assert.equal(settingBoolean("X", value), false);
    }
    for (const value of [2, "2", null, [], "", "y"]) {
      assert.throws(() => settingBoolean("SCRUB_ENVS", value), (error: Error) => {
        assert.ok(error instanceof SettingError);
        assert.equal(error.setting, "SCRUB_ENVS");
        assert.equal(
          error.message,
          `Invalid value for SCRUB_ENVS: ${
            JSON.stringify(value)
          } (use 1/0, true/false, yes/no or on/off)`,
        );
        return true;
      });
    }
  });
  await t.step("lists", () => {
    assert.deepEqual(settingList("X", " a, ,b ,"), ["a", "b"]);
    assert.deepEqual(settingList("X", [" a ", "", "b"]), ["a", "b"]);
    assert.deepEqual(settingList("X", []), []);
    for (const value of [3, ["a", 1], null, { a: 1 }]) {
      assert.throws(() => settingList("CONTAINER_NAMES", value), {
        message: `Invalid value for CONTAINER_NAMES: ${
          JSON.stringify(value)
        } (want a comma-separated text or a list)`,
      });
    }
  });
  await t.step("scope", () => {
    const { scope } = parseProfileSettings({
      CONTAINER_LABELS: "a=b, c",
      CONTAINER_NAMES: "/x,y*",
      OWNER: "a".repeat(63),
      SCRUB_ENVS: "1",
    }, true);
    assert.deepEqual(scope.containerLabels, [{ key: "a", value: "b" }, { key: "c", value: null }]);
    assert.deepEqual(scope.containerNames?.map((glob) => glob.text), ["x", "y*"]);
    assert.equal(scope.owner, "a".repeat(63));
    assert.equal(scope.scrubEnvs, true);
    const empty =
      parseProfileSettings({ CONTAINER_LABELS: " , ", CONTAINER_NAMES: "", OWNER: " " }, true)
        .scope;
    assert.deepEqual(empty, UNSCOPED);
    for (const owner of ["a".repeat(64), "-a", "a b", "a/b"]) {
      assert.throws(() => parseProfileSettings({ OWNER: owner }, true), (error: Error) => {
        assert.ok(error instanceof SettingError);
        assert.equal(error.setting, "OWNER");
        assert.equal(
          error.message,
          `Invalid value for OWNER: ${JSON.stringify(owner)} ` +
            "(want letters, digits, '_', '.' or '-', starting with a letter or digit)",
        );
        return true;
      });
    }
    assert.equal(parseProfileSettings({ OWNER: 12 }, true).scope.owner, "12");
    assert.throws(() => parseProfileSettings({ CONTAINER_LABELS: "=x" }, true), (error: Error) => {
      assert.ok(error instanceof SettingError);
      assert.equal(error.setting, "CONTAINER_LABELS");
      return true;
    });
  });
  await t.step("switches: absent in a file unless given, defaulted in the environment", () => {
    assert.equal(parseProfileSettings({}, true).switches, null);
    assert.equal(parseProfileSettings({ OWNER: "x" }, true).switches, null);
    assert.equal(parseProfileSettings({}, false).switches?.PING, true);
    assert.equal(parseProfileSettings({ PING: 0 }, true).switches?.PING, false);
    assert.equal(parseProfileSettings({ POST: "1" }, true).switches?.EVENTS, true);
    assert.equal(parseProfileSettings({}, false).admission.hostAccess, true);
    assert.equal(parseProfileSettings({}, true).admission.hostAccess, false);
  });
});

Deno.test("the environment's policy is one profile for every client", () => {
  const policy = environmentPolicy({ CONTAINERS: "1" }, "audit");
  assert.equal(policy.file, null);
  assert.equal(policy.usesContainers, false);
  assert.equal(policy.profiles.length, 1);
  const [profile] = policy.profiles;
  assert.equal(policy.fallback, profile);
  assert.deepEqual(
    [profile.name, profile.file, profile.line, profile.match, profile.mode, profile.rules],
    ["default", null, null, null, "audit", []],
  );
  assert.equal(profile.switches?.CONTAINERS, true);
  assert.equal(profile.admission.hostAccess, true);
  assert.equal(environmentPolicy({}, "enforce").profiles[0].switches?.PING, true);
});

Deno.test("policy documents keep each value's line", () => {
  const tree = parseDocumentTree("a: 1\nb:\n  - x\n  - true\nc: ~\nd: { e: f }\n");
  assert.deepEqual(tree, {
    kind: "map",
    line: 1,
    entries: [
      { key: "a", line: 1, value: { kind: "scalar", line: 1, value: 1 } },
      {
        key: "b",
        line: 2,
        value: {
          kind: "list",
          line: 3,
          items: [{ kind: "scalar", line: 3, value: "x" }, {
            kind: "scalar",
            line: 4,
            value: true,
          }],
        },
      },
      { key: "c", line: 5, value: { kind: "scalar", line: 5, value: null } },
      {
        key: "d",
        line: 6,
        value: {
          kind: "map",
          line: 6,
          entries: [{ key: "e", line: 6, value: { kind: "scalar", line: 6, value: "f" } }],
        },
      },
    ],
  });
  assert.deepEqual(plainValue(tree), { a: 1, b: ["x", true], c: null, d: { e: "f" } });
  assert.deepEqual(parseDocumentTree(""), { kind: "scalar", line: 0, value: null });
  assert.deepEqual(parseDocumentTree("b:\nc: 1\n"), {
    kind: "map",
    line: 1,
    entries: [
      { key: "b", line: 1, value: { kind: "scalar", line: 1, value: null } },
      { key: "c", line: 2, value: { kind: "scalar", line: 2, value: 1 } },
    ],
  });
  const aliased = parseDocumentTree("a: &x [1]\nb: *x\n");
  assert.deepEqual(plainValue(aliased), { a: [1], b: [1] });
  assert.deepEqual(describeNode({ kind: "map", line: 1, entries: [] }), "a map");
  assert.deepEqual(describeNode({ kind: "list", line: 1, items: [] }), "a list");
  assert.deepEqual(describeNode({ kind: "scalar", line: 1, value: null }), "nothing");
  assert.deepEqual(describeNode({ kind: "scalar", line: 1, value: false }), "boolean false");
  assert.deepEqual(describeNode({ kind: "scalar", line: 1, value: "x" }), 'string "x"');
  assert.throws(() => parseDocumentTree("a: [\n"), (error: Error) => {
    assert.ok(error instanceof DocumentError);
    assert.equal(error.name, "DocumentError");
    assert.equal(error.line, 2);
    assert.match(error.message, /^Invalid YAML: [^\n]+$/);
    return true;
  });
});

Deno.test("names are trimmed, a container name loses only a leading slash, and target labels keep their values", () => {
  const policy = load(
    "profiles:\n  - name: ' a '\n    match: { container: { name: 'x/y' }, source: [10.0.0.1, 10.0.0.2] }\n" +
      "    CONTAINER_NAMES: [/web, a/b]\n    rules:\n      - allow: ContainerRestart\n" +
      "        target: { labels: { a: 1, b: null, c: true } }\n",
  );
  const [profile] = policy.profiles;
  assert.equal(profile.name, "a");
  assert.equal(profile.mode, "enforce", "enforce unless the file says otherwise");
  assert.deepEqual(profile.match?.containerNames?.map((glob) => glob.text), ["x/y"]);
  assert.deepEqual(profile.scope.containerNames?.map((glob) => glob.text), ["web", "a/b"]);
  assert.equal(profile.rules[0].target?.text, "labels a=1, b, c=true");
  const second = { listener: "", address: parseAddress("10.0.0.2"), container: null };
  assert.equal(clientMatches({ ...profile.match!, containerNames: null }, second), true);
});

Deno.test("profile settings name the setting in errors and leave out what is not given", () => {
  assert.deepEqual(parseProfileSettings({}, true).scope, UNSCOPED);
  assert.throws(() => parseProfileSettings({ CONTAINER_NAMES: 3 }, true), {
    message: "Invalid value for CONTAINER_NAMES: 3 (want a comma-separated text or a list)",
  });
});

Deno.test("policy documents refuse keys that are not plain strings and maps that hold themselves", () => {
  for (const text of [": x\n", "1: a\n"]) {
    assert.throws(() => parseDocumentTree(text), { message: "Map keys must be plain strings" });
  }
  assert.throws(() => parseDocumentTree("a: &x\n  b: *x\n"), {
    message: "A YAML alias refers to itself",
  });
});

Deno.test("clients are looked up in the engine when a profile matches containers or audits, only then", async (t) => {
  const cases: [string, string, boolean][] = [
    ["no profile needs it", "profiles:\n  - name: a\n    rules: [SystemPing]\n", false],
    [
      "a profile matches by container name",
      "profiles:\n  - name: a\n    match: { container: { name: traefik } }\n    rules: [SystemPing]\n",
      true,
    ],
    [
      "the second of two profiles audits",
      "profiles:\n  - name: a\n    match: { source: 127.0.0.2 }\n    rules: [SystemPing]\n" +
      "  - name: b\n    mode: audit\n    rules: [SystemPing]\n",
      true,
    ],
    [
      "every profile enforces",
      "profiles:\n  - name: a\n    match: { source: 127.0.0.2 }\n    mode: enforce\n" +
      "    rules: [SystemPing]\n  - name: b\n    rules: [SystemPing]\n",
      false,
    ],
  ];
  for (const [name, text, expected] of cases) {
    await t.step(name, () => assert.equal(identifiesClients(load(text)), expected));
  }
});

Deno.test("a profile's own client limits and PROTECT_SELF are among its settings", () => {
  const settings = parseProfileSettings(
    { MAX_CLIENT_REQUESTS: 3, MAX_CLIENT_STREAMS: 4, PROTECT_SELF: 0 },
    true,
  );
  assert.equal(settings.clientLimits.maxRequests, 3);
  assert.equal(settings.clientLimits.maxStreams, 4);
  assert.equal(settings.protectSelf, false);
});
