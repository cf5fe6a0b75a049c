/**
 * The recipes in examples/: every policy file loads (as the proxy loads it)
 * and fits the JSON Schema, the combined file holds exactly the apps'
 * profiles, every env recipe is a valid configuration, and every compose file
 * is YAML that runs this proxy with a policy file that exists.
 *
 * Pure, but not in tests/unit/: the image build runs those without examples/.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseConfig } from "../lib/config/config.ts";
import { parsePolicy } from "../lib/policy/policy_loader.ts";
import { PRESETS } from "../lib/policy/preset_table.ts";
import { presetPolicy } from "../lib/policy/presets.ts";
import { ROUTES } from "../lib/routes/engine_routes.ts";
import { validate } from "./helpers/json_schema.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const EXAMPLES = `${ROOT}examples/`;
const SCHEMA = JSON.parse(await Deno.readTextFile(`${ROOT}policy.schema.json`));

/** The recipes, by directory (also the name of each one's profile). */
const APPS = [
  "traefik",
  "traefik-swarm",
  "homepage",
  "dozzle",
  "watchtower",
  "uptime-kuma",
  "autoheal",
  "diun",
  "portainer",
  "nginx-proxy",
  "acme-companion",
  "caddy-docker-proxy",
  "alloy",
  "promtail",
  "beszel-agent",
  "wud",
  "homarr",
  "sablier",
  "crowdsec",
  "ofelia",
  "docker-volume-backup",
  "glance",
  "netdata",
  "gitlab-runner",
];

/** Where each app's profile listens in the combined file. */
const socketOf = (app: string) => `unix:/run/socket-proxy/${app}/docker.sock`;

/** What the proxy listens on: the image's default, or one socket per app for the combined file. */
function listenersFor(file: string): string[] {
  return file === "policy.yaml" ? APPS.map(socketOf) : ["[::]:2375"];
}

/** Files below examples/, relative to it. */
function filesBelow(dir = ""): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(EXAMPLES + dir)) {
    const path = dir + entry.name;
    if (entry.isDirectory) files.push(...filesBelow(`${path}/`));
    else files.push(path);
  }
  return files.sort();
}

const FILES = filesBelow();
const POLICIES = FILES.filter((file) => /(^|\/)policy[.\w]*\.yaml$/.test(file));
const ENVS = FILES.filter((file) => /(^|\/)socket-proxy[.\w]*\.env$/.test(file));
const COMPOSES = FILES.filter((file) => /(^|\/)compose[.\w]*\.yaml$/.test(file));

// deno-lint-ignore no-explicit-any
type Yaml = any;

Deno.test("every app has a compose file, a policy file, an env recipe and a README", () => {
  for (const app of APPS) {
    for (const file of ["README.md", "compose.yaml", "policy.yaml", "socket-proxy.env"]) {
      assert.ok(FILES.includes(`${app}/${file}`), `examples/${app}/${file}`);
    }
  }
  assert.deepEqual(
    [...new Set(FILES.filter((f) => f.includes("/")).map((f) => f.split("/")[0]))]
      .filter((dir) => dir !== "grafana") // the metrics dashboard, not an app
      .sort(),
    [...APPS].sort(),
    "no other directories",
  );
  assert.ok(POLICIES.length > APPS.length && ENVS.length >= APPS.length);
});

Deno.test("every policy file loads as the proxy loads it, and fits the JSON Schema", async (t) => {
  for (const file of POLICIES) {
    await t.step(file, async () => {
      const text = await Deno.readTextFile(EXAMPLES + file);
      const policy = parsePolicy(text, file, ROUTES, {
        listeners: listenersFor(file),
        forceAudit: false,
      });
      assert.ok(policy.profiles.length >= 1);
      assert.ok(policy.profiles.every((p) => p.mode === "enforce"), "enforced, not audited");
      assert.deepEqual(validate(SCHEMA, parse(text)), []);
    });
  }
});

Deno.test("the combined policy holds each app's profile, on the app's own socket", async () => {
  const combined = parse(await Deno.readTextFile(`${EXAMPLES}policy.yaml`)) as Yaml;
  assert.deepEqual(combined.profiles.map((p: Yaml) => p.name), APPS);
  for (const profile of combined.profiles) {
    const own = parse(await Deno.readTextFile(`${EXAMPLES}${profile.name}/policy.yaml`)) as Yaml;
    assert.equal(own.profiles.length, 1, `${profile.name}/policy.yaml: one profile`);
    assert.equal(own.profiles[0].match, undefined, `${profile.name}: every client of its proxy`);
    const { match, ...rest } = profile;
    assert.deepEqual(match, { listener: socketOf(profile.name) });
    if (rest.preset !== undefined) {
      // By name: the preset built from ${profile.name}/policy.yaml, nothing beside it.
      assert.deepEqual(rest, { name: profile.name, preset: profile.name });
      continue;
    }
    assert.deepEqual(rest, own.profiles[0], `${profile.name}: as in ${profile.name}/policy.yaml`);
  }
  const header = (await Deno.readTextFile(`${EXAMPLES}policy.yaml`)).match(/LISTEN=(\S+)/);
  assert.equal(header?.[1], APPS.map(socketOf).join(","), "the LISTEN its comment gives");
});

Deno.test("every env recipe is a valid configuration, with no warning", async (t) => {
  for (const file of ENVS) {
    await t.step(file, async () => {
      const env: Record<string, string> = {};
      for (const line of (await Deno.readTextFile(EXAMPLES + file)).split("\n")) {
        if (line.trim() === "" || line.startsWith("#")) continue;
        const equals = line.indexOf("=");
        assert.ok(equals > 0, `${file}: not KEY=VALUE: ${line}`);
        env[line.slice(0, equals)] = line.slice(equals + 1);
      }
      const { warnings } = parseConfig(env);
      assert.deepEqual(warnings, []);
    });
  }
});

Deno.test("every compose file runs this proxy with a recipe that exists, by file or by name", async (t) => {
  for (const file of COMPOSES) {
    await t.step(file, async () => {
      const dir = file.slice(0, file.lastIndexOf("/") + 1);
      const compose = parse(await Deno.readTextFile(EXAMPLES + file)) as Yaml;
      assert.equal(typeof compose.services, "object", "services");
      const proxies = Object.values(compose.services as Record<string, Yaml>)
        .filter((service) => service.image === "socket-proxy:latest");
      assert.equal(proxies.length, 1, "one service with image: socket-proxy:latest");
      const [proxy] = proxies;
      assert.ok(
        (proxy.volumes as string[]).includes("/var/run/docker.sock:/var/run/docker.sock:ro"),
        "the engine socket, read-only",
      );
      if (proxy.environment.PRESET !== undefined) {
        // A preset: one of this directory's recipes, and an environment the proxy accepts.
        const preset = PRESETS.find((p) => p.name === proxy.environment.PRESET);
        assert.ok(preset !== undefined, `PRESET=${proxy.environment.PRESET} is a preset`);
        assert.ok(preset.recipe.startsWith(`examples/${dir}`), `${preset.recipe} is in ${dir}`);
        const env = Object.fromEntries(
          Object.entries(proxy.environment).map(([key, value]) => [key, String(value)]),
        );
        const { config, warnings } = parseConfig(env);
        assert.deepEqual(warnings, []);
        presetPolicy(ROUTES, config.preset!.name, config.preset!.values, config.mode);
        assert.equal(proxy.configs, undefined, "no policy file");
        return;
      }
      const policyFile = proxy.environment.POLICY_FILE as string;
      assert.match(policyFile, /^\/etc\/socket-proxy\/policy[.\w]*\.yaml$/);
      // The policy file reaches the container: a bind mount, or a swarm config.
      const sources = [
        ...(proxy.volumes ?? []).map((volume: string) => volume.split(":"))
          .filter(([, target]: string[]) => target === policyFile)
          .map(([source]: string[]) => source),
        ...(proxy.configs ?? []).filter((c: Yaml) => c.target === policyFile)
          .map((c: Yaml) => compose.configs[c.source].file),
      ];
      assert.equal(sources.length, 1, `${policyFile} is mounted`);
      assert.ok(FILES.includes(dir + sources[0].replace(/^\.\//, "")), sources[0]);
    });
  }
});
