import assert from "node:assert/strict";
import { ConfigError, parseCommandLine, parseConfig } from "../../../lib/config/config.ts";
import { decide } from "../../../lib/policy/decide.ts";
import { describeProfile, explainRequest } from "../../../lib/policy/explain.ts";
import { parsePolicy, PolicyError } from "../../../lib/policy/policy_loader.ts";
import { PRESETS } from "../../../lib/policy/preset_table.ts";
import {
  findPreset,
  PresetError,
  presetListing,
  presetNames,
  presetPolicy,
} from "../../../lib/policy/presets.ts";
import type { Profile } from "../../../lib/policy/profile.ts";
import { parseRequestTarget } from "../../../lib/http/request_target.ts";
import { routeMatcher, ROUTES } from "../../../lib/routes/engine_routes.ts";

const FILE = "/etc/socket-proxy/policy.yaml";
const OPTIONS = { listeners: ["[::]:2375"], forceAudit: false };
const MATCHER = routeMatcher();
const NAMES = PRESETS.map((preset) => preset.name).join(", ");

function profileOf(lines: string): Profile {
  const text = `profiles:\n  - name: mine\n${lines.replace(/^/gm, "    ")}\n`;
  return parsePolicy(text, FILE, ROUTES, OPTIONS).profiles[0];
}

function loadError(lines: string): string {
  try {
    profileOf(lines);
  } catch (error) {
    if (error instanceof PolicyError) return error.message;
    throw error;
  }
  throw new Error("loaded");
}

/** `allowed`, `denied` or `labels` (allowed on some containers only), and why. */
function decision(profile: Profile, method: string, rawTarget: string) {
  const target = parseRequestTarget(rawTarget);
  if ("error" in target) throw new Error(target.error);
  const result = decide(profile, {
    method,
    segments: target.segments,
    query: target.query,
    upgrade: false,
    route: MATCHER.match(method, target.segments),
  });
  return result.denied ? "denied" : result.targets !== null ? "labels" : "allowed";
}

Deno.test("a profile with preset: takes the recipe's rules and settings, not its name", () => {
  const profile = profileOf("preset: traefik");
  assert.equal(profile.name, "mine");
  assert.deepEqual(profile.preset, { name: "traefik", app: findPreset("traefik")!.app });
  assert.deepEqual(
    profile.rules.map((rule) => [rule.index, rule.text, rule.preset, rule.line]),
    [
      [1, "SystemPingHead", "traefik", null],
      [2, "SystemPing", "traefik", null],
      [3, "SystemVersion", "traefik", null],
      [4, "ContainerList", "traefik", null],
      [5, "ContainerInspect", "traefik", null],
      [6, "SystemEvents", "traefik", null],
    ],
  );
  assert.equal(profile.switches, null);
  assert.equal(profile.admission.hostAccess, false);
  assert.deepEqual(profile.scope.containerLabels?.map((m) => [m.key, m.value]), [
    ["traefik.enable", "true"],
  ]);
  assert.equal(profile.scope.scrubEnvs, true);
  assert.equal(decision(profile, "GET", '/events?filters={"type":{"container":true}}'), "allowed");
  assert.equal(decision(profile, "GET", "/events"), "denied");
  assert.equal(decision(profile, "GET", "/info"), "denied");
});

Deno.test("keys given beside a preset decide over the recipe's", async (t) => {
  const cases: [string, string, (profile: Profile) => unknown, unknown][] = [
    [
      "ALLOW_BIND_MOUNTS replaces the recipe's",
      "preset: watchtower\nALLOW_BIND_MOUNTS: [/data]",
      (p) => p.admission.bindMounts.map((rule) => rule.path),
      ["/data"],
    ],
    [
      "the recipe's ALLOW_BIND_MOUNTS stays when none is given",
      "preset: watchtower",
      (p) => p.admission.bindMounts.map((rule) => rule.path),
      ["/srv/appdata"],
    ],
    [
      "HOST_ACCESS comes from the recipe",
      "preset: watchtower",
      (p) => p.admission.hostAccess,
      false,
    ],
    [
      "HOST_ACCESS given beside it wins",
      "preset: portainer\nHOST_ACCESS: 1",
      (p) => p.admission.hostAccess,
      true,
    ],
    [
      "an empty CONTAINER_LABELS drops the recipe's scope",
      'preset: traefik\nCONTAINER_LABELS: ""',
      (p) => p.scope.containerLabels,
      null,
    ],
    [
      "SCRUB_ENVS: 0 turns the recipe's off",
      "preset: traefik\nSCRUB_ENVS: 0",
      (p) => p.scope.scrubEnvs,
      false,
    ],
    [
      "a switch turns one of the recipe's off",
      "preset: portainer\nVOLUMES: 0",
      (p) => [p.switches?.VOLUMES, p.switches?.CONTAINERS],
      [false, true],
    ],
    ["mode is the profile's", "preset: traefik\nmode: audit", (p) => p.mode, "audit"],
    [
      "rules beside it are added after the recipe's, numbered in their own list",
      "preset: uptime-kuma\nrules: [SystemInfo]",
      (p) => p.rules.map((rule) => `${rule.index} ${rule.text} ${rule.preset ?? rule.line}`),
      ["1 ContainerInspect uptime-kuma", "2 ContainerList uptime-kuma", "1 SystemInfo 4"],
    ],
    [
      "a rule beside it allows what the recipe does not",
      "preset: uptime-kuma\nrules: [SystemInfo]",
      (p) => [decision(p, "GET", "/info"), decision(p, "GET", "/version")],
      ["allowed", "denied"],
    ],
    [
      "a target rule of the recipe keeps its labels",
      "preset: autoheal",
      (p) => [
        decision(p, "POST", "/containers/x/restart"),
        decision(p, "GET", "/containers/json"),
        decision(
          p,
          "GET",
          '/containers/json?filters={"health":["unhealthy"],"label":["autoheal=true"]}',
        ),
      ],
      ["labels", "denied", "allowed"],
    ],
  ];
  for (const [name, lines, read, expected] of cases) {
    await t.step(name, () => assert.deepEqual(read(profileOf(lines)), expected));
  }
});

Deno.test("a preset the proxy does not have is refused with the line and the valid names", async (t) => {
  const cases: [string, string, string][] = [
    [
      "a misspelt name",
      "preset: traefk",
      `${FILE}:3: Unknown preset "traefk" (did you mean traefik?) (valid: ${NAMES}; ` +
      "`socket-proxy presets` lists them)",
    ],
    [
      "a name nothing is close to",
      "preset: kubernetes-dashboard",
      `${FILE}:3: Unknown preset "kubernetes-dashboard" (valid: ${NAMES}; ` +
      "`socket-proxy presets` lists them)",
    ],
    ["a list", "preset: [traefik]", `${FILE}:3: preset must be a text, not a list`],
    ["nothing", "preset:", `${FILE}:3: preset must be a text, not nothing`],
    [
      "a bad setting beside it, at its own line",
      "preset: traefik\nSCRUB_ENVS: maybe",
      `${FILE}:4: Invalid value for SCRUB_ENVS: "maybe" ` +
      "(use 1/0, true/false, yes/no or on/off)",
    ],
  ];
  for (const [name, lines, message] of cases) {
    await t.step(name, () => assert.equal(loadError(lines), message));
  }
});

Deno.test("explain and check name the preset a rule comes from", () => {
  const policy = parsePolicy(
    "profiles:\n  - name: proxy\n    preset: traefik\n    rules: [SystemInfo]\n",
    FILE,
    ROUTES,
    OPTIONS,
  );
  const client = { listener: "[::]:2375", address: null, container: null };
  const list = explainRequest(policy, MATCHER, client, "GET", "/v1.47/containers/json");
  assert.deepEqual(list.lines.slice(3), [
    '  profile:    "proxy" (line 2), for every client, preset traefik',
    "  decision:   allowed by rule 4 (ContainerList, preset traefik)",
  ]);
  const info = explainRequest(policy, MATCHER, client, "GET", "/v1.47/info");
  assert.equal(info.lines.at(-1), "  decision:   allowed by rule 1 (SystemInfo, line 4)");
  const events = explainRequest(policy, MATCHER, client, "GET", "/v1.47/events");
  assert.equal(events.allowed, false);
  assert.match(
    events.lines.at(-1)!,
    /rule 6 \(SystemEvents with filters = \{"type":\{"container":true\}\}, preset traefik\) does not allow it: filters is not given$/,
  );
  const described = describeProfile(policy.profiles[0]);
  assert.ok(described.includes(`  preset:     traefik (${findPreset("traefik")!.app})`));
  assert.ok(described.includes("    rule 5 (ContainerInspect, preset traefik): 1 route(s)"));
  assert.ok(described.includes("    rule 1 (SystemInfo, line 4): 1 route(s)"));
});

Deno.test("PRESET in the environment makes the preset's profile, for every client", async (t) => {
  await t.step("the image's drop-in defaults are not taken for settings", () => {
    const { config } = parseConfig({ PRESET: "traefik", EVENTS: "1", PING: "1", CONTAINERS: "0" });
    assert.deepEqual(config.preset, { name: "traefik", values: {} });
    const policy = presetPolicy(ROUTES, config.preset!.name, config.preset!.values, "enforce");
    assert.equal(policy.file, "PRESET=traefik");
    assert.equal(policy.usesContainers, false);
    assert.equal(policy.profiles.length, 1);
    const [profile] = policy.profiles;
    assert.equal(policy.fallback, profile);
    assert.equal(profile.match, null);
    assert.equal(profile.switches, null);
    assert.deepEqual(profile.preset, { name: "traefik", app: findPreset("traefik")!.app });
    assert.equal(profile.name, "traefik");
    assert.equal(decision(profile, "GET", "/events"), "denied");
    assert.equal(decision(profile, "GET", "/containers/json"), "allowed");
  });
  await t.step("settings that change a default win over the preset's", () => {
    const { config } = parseConfig({
      PRESET: "watchtower",
      ALLOW_BIND_MOUNTS: "/data",
      EVENTS: "0",
      SCRUB_ENVS: "1",
    });
    assert.deepEqual(config.preset, {
      name: "watchtower",
      values: { EVENTS: "0", ALLOW_BIND_MOUNTS: "/data", SCRUB_ENVS: "1" },
    });
    const [profile] = presetPolicy(ROUTES, "watchtower", config.preset!.values, "audit").profiles;
    assert.deepEqual(profile.admission.bindMounts.map((rule) => rule.path), ["/data"]);
    assert.equal(profile.admission.hostAccess, false);
    assert.equal(profile.scope.scrubEnvs, true);
    assert.equal(profile.switches?.EVENTS, false);
    assert.equal(profile.mode, "audit");
  });
  await t.step("--preset wins over PRESET", () => {
    const parsed = parseCommandLine(["--preset", "diun"], { PRESET: "traefik" });
    assert.equal(parsed.config.preset?.name, "diun");
  });
  await t.step("without PRESET there is none", () => {
    assert.equal(parseConfig({}).config.preset, null);
    assert.equal(parseConfig({ PRESET: " " }).config.preset, null);
  });
  await t.step("PRESET and POLICY_FILE exclude each other", () => {
    assert.throws(
      () => parseConfig({ PRESET: "traefik", POLICY_FILE: "/etc/socket-proxy/policy.yaml" }),
      new ConfigError(
        "PRESET=traefik and POLICY_FILE exclude each other: in a policy file, write " +
          "preset: traefik in a profile",
      ),
    );
  });
  await t.step("an unknown PRESET names PRESET and the valid names", () => {
    assert.equal(new PresetError("").name, "PresetError");
    assert.throws(
      () => presetPolicy(ROUTES, "dozle", {}, "enforce"),
      new PresetError(
        `Unknown PRESET "dozle" (did you mean dozzle?) (valid: ${NAMES}; ` +
          "`socket-proxy presets` lists them)",
      ),
    );
  });
  await t.step("a misspelt PRESET is warned of", () => {
    const { warnings } = parseConfig({ PRESTE: "traefik" });
    assert.ok(warnings.some((warning) => warning.includes("PRESET")), warnings.join("\n"));
  });
});

Deno.test("socket-proxy presets lists every preset with its app and its recipe", () => {
  assert.equal(parseCommandLine(["presets"], {}).command, "presets");
  const lines = presetListing();
  assert.deepEqual(lines.slice(0, 3), [
    "Presets: a profile's `preset: NAME` (or PRESET=NAME) takes the recipe's rules and settings.",
    "Each was proven against the app version shown, by replaying its calls against a real engine.",
    "",
  ]);
  assert.equal(lines.length, 3 + 2 * PRESETS.length);
  // The apps in one column, two spaces after the longest name.
  const column = Math.max(...PRESETS.map((preset) => preset.name.length)) + 2;
  for (const [i, preset] of PRESETS.entries()) {
    assert.equal(lines[3 + 2 * i], preset.name.padEnd(column) + preset.app);
    const settings = Object.keys(preset.settings);
    assert.equal(
      lines[4 + 2 * i],
      " ".repeat(column) + `${preset.recipe}: ${preset.rules.length} rule(s)` +
        (settings.length === 0 ? "" : `; ${settings.join(", ")}`),
    );
  }
  assert.ok(lines.includes(" ".repeat(column) + "examples/autoheal/policy.yaml: 2 rule(s)"));
  const text = lines.join("\n");
  for (const preset of PRESETS) {
    assert.match(text, new RegExp(`^${preset.name} +${RegExp.escape(preset.app)}$`, "m"));
    assert.ok(text.includes(`${preset.recipe}: ${preset.rules.length} rule(s)`), preset.name);
  }
  assert.deepEqual(presetNames(), [...presetNames()].sort(), "sorted");
});
