/**
 * Which optional parts of the pipeline a policy needs: a proxy configured by
 * the environment alone, with the defaults, loads none of them; each setting
 * or rule that uses one loads it, before the policy is put in force.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/config.ts";
import {
  admits,
  loadOptionalModules,
  optional,
  type OptionalNeeds,
  optionalNeeds,
  scopes,
} from "../../../lib/proxy/optional_modules.ts";
import { parsePolicy } from "../../../lib/policy/policy_loader.ts";
import { ROUTES } from "../../../lib/routes/engine_routes.ts";

const NONE: OptionalNeeds = { admission: false, scoping: false, clients: false };

function fromEnv(env: Record<string, string>) {
  return parseConfig(env).config.policy;
}

function fromFile(text: string) {
  return parsePolicy(text, "/etc/sp/policy.yaml", ROUTES, {
    listeners: ["0.0.0.0:2375"],
    forceAudit: false,
  });
}

Deno.test("an env-only configuration needs only what its settings use", async (t) => {
  const cases: [string, Record<string, string>, OptionalNeeds][] = [
    ["the defaults", {}, NONE],
    [
      "switches, and ALLOW_* settings, which HOST_ACCESS=1 leaves unread",
      { CONTAINERS: "1", POST: "1", ALLOW_PRIVILEGED: "1", MAX_BODY_SIZE: "2m" },
      NONE,
    ],
    ["HOST_ACCESS=0", { HOST_ACCESS: "0" }, { ...NONE, admission: true }],
    [
      "HOST_ACCESS=0 with ALLOW_* settings",
      { HOST_ACCESS: "0", ALLOW_BIND_MOUNTS: "/srv" },
      { ...NONE, admission: true },
    ],
    ["CONTAINER_NAMES", { CONTAINER_NAMES: "web" }, { ...NONE, admission: true, scoping: true }],
    ["CONTAINER_LABELS", { CONTAINER_LABELS: "a=b" }, { ...NONE, admission: true, scoping: true }],
    ["OWNER", { OWNER: "ci" }, { ...NONE, admission: true, scoping: true }],
    ["SCRUB_ENVS=1", { SCRUB_ENVS: "1" }, { ...NONE, admission: true, scoping: true }],
    [
      "MODE=audit (its log names client containers, and the commands and images they ask for)",
      { MODE: "audit" },
      { ...NONE, admission: true, clients: true },
    ],
  ];
  for (const [name, env, needs] of cases) {
    await t.step(name, () => assert.deepEqual(optionalNeeds(fromEnv(env)), needs));
  }
});

Deno.test("a policy file needs what any of its profiles use", async (t) => {
  const open = "profiles:\n  - name: a\n    HOST_ACCESS: 1\n    rules: [ContainerList]\n";
  await t.step("admission for the fallback profile, which has HOST_ACCESS=0", () => {
    const policy = fromFile(open);
    assert.equal(admits(policy.profiles[0]), false);
    assert.equal(admits(policy.fallback), true);
    assert.deepEqual(optionalNeeds(policy), { ...NONE, admission: true });
  });
  await t.step("scoping for a rule on target labels", () => {
    const policy = fromFile(
      "profiles:\n  - name: b\n    match: { source: 10.0.0.1 }\n    HOST_ACCESS: 1\n    rules:\n" +
        "      - allow: ContainerRestart\n        target: { labels: { autoheal: 'true' } }\n" +
        open.slice("profiles:\n".length),
    );
    assert.equal(scopes(policy.profiles[0]), true);
    assert.equal(admits(policy.profiles[0]), false, "target labels are checked by the scope stage");
    assert.equal(scopes(policy.profiles[1]), false);
    assert.deepEqual(optionalNeeds(policy), { ...NONE, admission: true, scoping: true });
  });
  await t.step("the client directory for a profile that matches client containers", () => {
    const policy = fromFile(
      "profiles:\n  - name: a\n    match: { container: { name: 'app*' } }\n    rules: [ContainerList]\n",
    );
    assert.deepEqual(optionalNeeds(policy), { ...NONE, admission: true, clients: true });
  });
});

Deno.test("loadOptionalModules() loads what a policy needs, and only that", async () => {
  await loadOptionalModules(fromEnv({}));
  assert.throws(() => optional.scoping, /The scoping stage is used before a policy that needs it/);
  await loadOptionalModules(fromEnv({ HOST_ACCESS: "0" }));
  assert.equal(typeof optional.admission.admitRequest, "function");
  assert.equal(typeof optional.ScopeResolver, "function");
  assert.throws(() => optional.scoping, /before a policy that needs it was loaded/);
  await loadOptionalModules(fromEnv({ OWNER: "ci" }));
  assert.equal(typeof optional.scoping.applyScope, "function");
  assert.equal(typeof optional.scoping.EventFilter, "function");
});
