import assert from "node:assert/strict";
import { parsePolicy, PolicyError } from "../../../lib/policy/policy_loader.ts";
import { type Client, selectProfile } from "../../../lib/policy/profile.ts";
import { parseAddress } from "../../../lib/policy/cidr.ts";
import { ROUTES } from "../../../lib/routes/engine_routes.ts";

const FILE = "/etc/socket-proxy/policy.yaml";
const OPTIONS = { listeners: ["0.0.0.0:2375", "unix:/run/sp/traefik.sock"], forceAudit: false };

function load(text: string, options = OPTIONS) {
  return parsePolicy(text, FILE, ROUTES, options);
}

const GOOD = `# A policy
mode: enforce
profiles:
  - name: traefik
    match:
      listener: unix:/run/sp/traefik.sock
    rules:
      - SystemPing
      - ContainerList
  - name: autoheal
    match:
      container:
        name: autoheal*
        labels: { role: healer }
    mode: audit
    rules:
      - allow: ContainerRestart
        target:
          labels: { autoheal: "true" }
  - name: lan
    match:
      source: [10.0.0.0/8, "fd00::/8"]
    CONTAINERS: 1
    ALLOW_RESTARTS: yes
    CONTAINER_LABELS: traefik.enable=true
    SCRUB_ENVS: true
`;

function client(overrides: Partial<Client>): Client {
  return {
    listener: "0.0.0.0:2375",
    address: parseAddress("127.0.0.1"),
    container: null,
    ...overrides,
  };
}

Deno.test("parsePolicy() reads profiles with their matches, modes, rules and settings", () => {
  const policy = load(GOOD);
  assert.equal(policy.file, FILE);
  assert.deepEqual(policy.profiles.map((p) => [p.name, p.line, p.mode]), [
    ["traefik", 4, "enforce"],
    ["autoheal", 10, "audit"],
    ["lan", 20, "enforce"],
  ]);
  const [traefik, autoheal, lan] = policy.profiles;
  assert.deepEqual(traefik.match?.listeners, ["unix:/run/sp/traefik.sock"]);
  assert.equal(traefik.switches, null);
  assert.equal(traefik.rules.length, 2);
  assert.equal(traefik.rules[1].line, 9);
  assert.equal(traefik.admission.hostAccess, false);
  assert.equal(autoheal.rules[0].target?.text, "labels autoheal=true");
  assert.equal(lan.switches?.CONTAINERS, true);
  assert.equal(lan.switches?.ALLOW_RESTARTS, true);
  assert.equal(lan.switches?.PING, true, "switches keep the images' defaults");
  assert.equal(lan.switches?.POST, false);
  assert.equal(lan.scope.containerLabels?.[0].key, "traefik.enable");
  assert.equal(lan.scope.scrubEnvs, true);
  assert.equal(policy.usesContainers, true);
  assert.equal(policy.fallback.name, "");
  assert.equal(policy.fallback.rules.length, 0);
});

Deno.test("the first profile that fits a client is chosen; no fit gets the fallback", async (t) => {
  const policy = load(GOOD);
  const cases: [string, Partial<Client>, string][] = [
    ["by listener", { listener: "unix:/run/sp/traefik.sock", address: null }, "traefik"],
    [
      "by container name and labels",
      { container: { id: "1", name: "autoheal-1", labels: { role: "healer" } } },
      "autoheal",
    ],
    [
      "not by a name without the labels",
      { container: { id: "1", name: "autoheal-1", labels: {} } },
      "",
    ],
    ["by CIDR", { address: parseAddress("10.2.3.4") }, "lan"],
    ["by IPv6 CIDR", { address: parseAddress("fd00::5") }, "lan"],
    ["by IPv4-mapped address", { address: parseAddress("::ffff:10.2.3.4") }, "lan"],
    ["nobody else", { address: parseAddress("192.168.1.1") }, ""],
    ["not a unix client by address", { listener: "0.0.0.0:2375", address: null }, ""],
    ["not an unresolved container", { container: undefined }, ""],
  ];
  for (const [name, overrides, expected] of cases) {
    await t.step(name, () => assert.equal(selectProfile(policy, client(overrides)).name, expected));
  }
});

Deno.test("MODE=audit puts every profile in audit mode", () => {
  const policy = load(GOOD, { ...OPTIONS, forceAudit: true });
  assert.deepEqual(policy.profiles.map((p) => p.mode), ["audit", "audit", "audit"]);
});

Deno.test("a policy file in JSON is read too", () => {
  const policy = load(JSON.stringify({ profiles: [{ name: "a", rules: ["SystemPing"] }] }));
  assert.equal(policy.profiles[0].name, "a");
  assert.equal(policy.profiles[0].match, null);
  assert.equal(policy.usesContainers, false);
});

Deno.test("a bad policy file stops the proxy with the file, the line and what is valid", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["not YAML", "profiles: [\n  - {", /:\d+: Invalid YAML/],
    ["duplicate keys", "profiles: []\nprofiles: []", /:2: Invalid YAML: Map keys must be unique/],
    ["no profiles", "mode: audit\n", /:1: The policy needs profiles: a list/],
    ["profiles not a list", "profiles: 3\n", /:1: profiles must be a list/],
    [
      "unknown top key",
      "profile: []\n",
      /:1: Unknown key "profile" in the policy \(did you mean profiles\?\) \(valid: version, mode, profiles\)/,
    ],
    ["bad version", "version: 2\nprofiles: []\n", /:1: version must be 1/],
    ["bad mode", "mode: dry\nprofiles: []\n", /:1: Invalid mode "dry" \(valid: enforce, audit\)/],
    ["no name", "profiles:\n  - rules: []\n", /:2: A profile needs a name/],
    ["bad name", "profiles:\n  - name: 'a b'\n", /:2: Invalid profile name "a b"/],
    [
      "twice",
      "profiles:\n  - name: a\n    match: {source: 10.0.0.1}\n  - name: a\n    match: {source: 10.0.0.2}\n",
      /:4: Profile a is defined twice \(also line 2\)/,
    ],
    [
      "unknown key",
      "profiles:\n  - name: a\n    rule: []\n",
      /:3: Unknown key "rule" in a profile \(did you mean rules\?\)/,
    ],
    [
      "unknown setting",
      "profiles:\n  - name: a\n    CONTAINER: 1\n",
      /:3: Unknown setting CONTAINER \(did you mean CONTAINERS\?\)/,
    ],
    [
      "bad switch",
      "profiles:\n  - name: a\n    POST: maybe\n",
      /:3: Invalid value for POST: "maybe" \(use 1\/0/,
    ],
    [
      "unknown operation",
      "profiles:\n  - name: a\n    rules:\n      - ContainerLst\n",
      /:4: Unknown operation "ContainerLst" \(did you mean ContainerList\?\)/,
    ],
    [
      "glob of nothing",
      "profiles:\n  - name: a\n    rules: [Nope*]\n",
      /:3: Unknown operation "Nope\*"/,
    ],
    [
      "template of no route",
      "profiles:\n  - name: a\n    rules:\n      - GET /containers/{id}/jsn\n",
      /:4: "GET \/containers\/\{id\}\/jsn" matches no Docker Engine API route \(did you mean GET \/containers\/\{name:\.\*\}\/json\?\)/,
    ],
    [
      "neither form",
      "profiles:\n  - name: a\n    rules: [/containers/json]\n",
      /neither an operation .* nor METHOD \/template/,
    ],
    [
      "unknown parameter",
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerKill\n        query:\n          sig: [HUP]\n",
      /:6: ContainerKill has no query parameter "sig" \(it has: signal\)/,
    ],
    [
      "wrong type",
      'profiles:\n  - name: a\n    rules:\n      - allow: ContainerLogs\n        query: { follow: "no" }\n',
      /:5: follow is a boolean parameter: use true or false/,
    ],
    [
      "bad signal",
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerKill\n        query: { signal: [SIGNOPE] }\n",
      /:5: Unknown signal "SIGNOPE"/,
    ],
    [
      "rule without allow",
      "profiles:\n  - name: a\n    rules:\n      - query: {}\n",
      /:4: A rule needs allow:/,
    ],
    [
      "unknown rule key",
      "profiles:\n  - name: a\n    rules:\n      - allow: ContainerList\n        when: x\n",
      /:5: Unknown key "when" in a rule \(valid: allow, query, target, body\)/,
    ],
    [
      "target on no container",
      "profiles:\n  - name: a\n    rules:\n      - allow: ImageList\n        target: { labels: { a: b } }\n",
      /:5: target: applies to container routes only, and ImageList/,
    ],
    [
      "bad CIDR",
      "profiles:\n  - name: a\n    match:\n      source: 10.0.0.1/8\n",
      /:4: Invalid source "10\.0\.0\.1\/8": .*host bits set.* \(want an address or a CIDR/,
    ],
    [
      "unknown listener",
      "profiles:\n  - name: a\n    match: { listener: '127.0.0.1:9' }\n",
      /:3: Listener "127\.0\.0\.1:9" is not one the proxy listens on \(LISTEN\): 0\.0\.0\.0:2375, unix:\/run\/sp\/traefik\.sock/,
    ],
    ["empty match", "profiles:\n  - name: a\n    match: {}\n", /:3: match is empty/],
    [
      "unknown match key",
      "profiles:\n  - name: a\n    match: { address: x }\n",
      /:3: Unknown key "address" in match \(valid: listener, source, container\)/,
    ],
    [
      "shadowed by a catch-all",
      "profiles:\n  - name: a\n  - name: b\n    match: { source: 10.0.0.1 }\n",
      /:3: Profile b can never be chosen: profile a \(line 2\) before it matches every client it matches/,
    ],
    [
      "shadowed by a wider CIDR",
      "profiles:\n  - name: a\n    match: { source: 10.0.0.0/8 }\n  - name: b\n    match: { source: 10.1.0.0/16 }\n",
      /:4: Profile b can never be chosen: profile a/,
    ],
    [
      "shadowed by a container name",
      "profiles:\n  - name: a\n    match: { container: { name: 'app*' } }\n  - name: b\n    match: { container: { name: app1, labels: { x: y } } }\n",
      /:4: Profile b can never be chosen/,
    ],
    [
      "shadowed by fewer labels",
      "profiles:\n  - name: a\n    match: { container: { labels: { x: y } } }\n  - name: b\n    match: { container: { labels: { x: y, z: w } } }\n",
      /:4: Profile b can never be chosen/,
    ],
    [
      "bad admission setting",
      "profiles:\n  - name: a\n    HOST_ACCESS: sometimes\n",
      /:3: Invalid value for HOST_ACCESS/,
    ],
    ["bad owner", "profiles:\n  - name: a\n    OWNER: 'a b'\n", /:3: Invalid value for OWNER/],
    ["self-referring alias", "profiles: &a\n  - *a\n", /./],
  ];
  for (const [name, text, error] of cases) {
    await t.step(name, () => {
      try {
        load(text);
      } catch (e) {
        assert.ok(e instanceof PolicyError, String(e));
        assert.ok(e.message.startsWith(`${FILE}:`), e.message);
        assert.match(e.message, error);
        return;
      }
      assert.fail("loaded");
    });
  }
});

Deno.test("profiles that only overlap are both kept", () => {
  const policy = load(
    "profiles:\n  - name: a\n    match: { source: 10.0.0.0/16 }\n  - name: b\n    match: { source: 10.0.0.0/8 }\n" +
      "  - name: c\n    match: { container: { name: app1 } }\n  - name: d\n    match: { container: { name: 'app*' } }\n" +
      "  - name: e\n    match: { listener: '0.0.0.0:2375', source: 192.168.0.1 }\n",
  );
  assert.deepEqual(policy.profiles.map((p) => p.name), ["a", "b", "c", "d", "e"]);
});

Deno.test("a profile's app names what it was proven against and must be a text", async (t) => {
  await t.step("a text is taken and changes no decision", () => {
    const policy = load(
      "version: 1\nprofiles:\n  - name: a\n    app: Traefik 3.7.9\n    rules: [SystemPing]\n",
    );
    assert.equal(policy.profiles[0].rules.length, 1);
  });
  await t.step("a list is refused with its line", () => {
    assert.throws(
      () => load("version: 1\nprofiles:\n  - name: a\n    app: [x]\n"),
      /:4: app must be a text/,
    );
  });
});

Deno.test("a profile may set its own ENGINE_TIMEOUT, and a bad one is refused at its line", async (t) => {
  const policy = (value: string) =>
    load(`profiles:\n  - name: slow\n    CONTAINERS: 1\n    ENGINE_TIMEOUT: ${value}\n`);
  const cases: [string, number][] = [["30s", 30_000], ["2m", 120_000], ["0", 0], ["45", 45_000], [
    "1.5",
    1500,
  ], ['"1h"', 3_600_000]];
  for (const [value, ms] of cases) {
    await t.step(`ENGINE_TIMEOUT: ${value} is ${ms} ms`, () => {
      assert.equal(policy(value).profiles[0].engineTimeoutMs, ms);
    });
  }
  await t.step("absent: the proxy's", () => {
    assert.equal(
      load("profiles:\n  - name: a\n    CONTAINERS: 1\n").profiles[0].engineTimeoutMs,
      null,
    );
  });
  for (const bad of ["soon", "-1", "true", "[1]"]) {
    await t.step(`refuses ${bad}`, () => {
      assert.throws(() => policy(bad), (error: Error) => {
        assert.ok(error instanceof PolicyError);
        assert.match(
          error.message,
          /policy.yaml:4: Invalid value for ENGINE_TIMEOUT: .* \(use seconds, or 500ms, 10s, 2m, 1h, 1m30s; 0 for none\)/,
        );
        return true;
      });
    });
  }
});
