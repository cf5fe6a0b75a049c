/**
 * The presets are the recipes of examples/: the committed table is what
 * scripts/generate_presets.ts writes from them, and a profile with
 * `preset: <name>` decides every Engine API route as the recipe's own profile
 * does, with the same admission and scope.
 *
 * Pure, but not in tests/unit/: the image build runs those without examples/.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseRequestTarget } from "../lib/http/request_target.ts";
import { decide } from "../lib/policy/decide.ts";
import { formatLabelMatcher } from "../lib/policy/labels.ts";
import { parsePolicy } from "../lib/policy/policy_loader.ts";
import { PRESETS } from "../lib/policy/preset_table.ts";
import type { Profile } from "../lib/policy/profile.ts";
import type { RuleSpec } from "../lib/policy/rule.ts";
import { routeMatcher, ROUTES } from "../lib/routes/engine_routes.ts";
import { presetTable, recipeFiles } from "../scripts/generate_presets.ts";

const ROOT = new URL("../", import.meta.url);
const MATCHER = routeMatcher();

Deno.test("the committed presets are what scripts/generate_presets.ts writes from examples/", () => {
  // On failure: scripts/deno run -A scripts/generate_presets.ts
  assert.deepEqual(PRESETS, presetTable());
});

Deno.test("every recipe file is a preset source, and every preset names one", () => {
  const files = recipeFiles();
  assert.ok(files.includes("examples/traefik/policy.yaml"));
  assert.ok(files.includes("examples/diun/policy.swarm.yaml"));
  assert.ok(!files.includes("examples/policy.yaml"), "the combined file repeats the others");
  assert.deepEqual([...new Set(PRESETS.map((preset) => preset.recipe))].sort(), files);
});

/** Queries that pass a rule's constraints: each listed value in turn, every constraint at once. */
function queriesOf(spec: string | RuleSpec): string[] {
  if (typeof spec === "string" || spec.query === undefined) return [];
  const entries = Object.entries(spec.query);
  const longest = Math.max(
    ...entries.map(([, value]) => Array.isArray(value) ? value.length : 1),
  );
  const queries: string[] = [];
  for (let i = 0; i < longest; i++) {
    const params = new URLSearchParams();
    for (const [name, value] of entries) {
      const one = Array.isArray(value) ? value[Math.min(i, value.length - 1)] : value;
      if (one === null) continue;
      params.set(name, one === true ? "1" : one === false ? "0" : one);
    }
    queries.push(`?${params}`);
  }
  return queries;
}

/** What a decision comes to, without the reason's wording (lines and rule numbers differ). */
function outcome(profile: Profile, method: string, rawTarget: string) {
  const target = parseRequestTarget(rawTarget);
  if ("error" in target) throw new Error(target.error);
  const decision = decide(profile, {
    method,
    segments: target.segments,
    query: target.query,
    upgrade: false,
    route: MATCHER.match(method, target.segments),
  });
  return {
    forward: decision.forward,
    denied: decision.denied,
    status: decision.status,
    targets: decision.targets?.map((selector) => selector.text) ?? null,
    oneWay: decision.oneWay,
  };
}

/** What the profile lets through besides the decision: admission, and what it sees. */
function settingsOf(profile: Profile) {
  const { containerLabels, containerNames, owner, scrubEnvs } = profile.scope;
  return {
    mode: profile.mode,
    switches: profile.switches,
    admission: profile.admission,
    scope: {
      containerLabels: containerLabels?.map(formatLabelMatcher) ?? null,
      containerNames: containerNames?.map((glob) => glob.text) ?? null,
      owner,
      scrubEnvs,
    },
  };
}

Deno.test("a profile with preset: <name> decides as the recipe's own profile", async (t) => {
  for (const preset of PRESETS) {
    await t.step(`${preset.name} (${preset.recipe})`, () => {
      const text = Deno.readTextFileSync(new URL(preset.recipe, ROOT));
      // The recipe's own profile, without the clients it matches (a deployment's choice).
      // deno-lint-ignore no-explicit-any
      const document = parse(text) as any;
      const own = document.profiles.find((p: { name: string }) => p.name === preset.name);
      delete own.match;
      const recipe = parsePolicy(JSON.stringify({ profiles: [own] }), "recipe", ROUTES, {
        listeners: [],
        forceAudit: false,
      }).profiles[0];
      const byName = parsePolicy(
        `profiles:\n  - name: mine\n    preset: ${preset.name}\n`,
        "preset",
        ROUTES,
        { listeners: [], forceAudit: false },
      ).profiles[0];
      assert.deepEqual(settingsOf(byName), settingsOf(recipe));
      assert.equal(byName.rules.length, recipe.rules.length);
      const queries = ["", ...preset.rules.flatMap(queriesOf)];
      let allowed = 0;
      for (const route of ROUTES) {
        // (`GET /networks/` is served, but a trailing slash is refused before any decision.)
        const path = route.template.replace(/\{[^}]*\}/g, "abc").replace(/(.)\/$/, "$1");
        for (const query of queries) {
          const expected = outcome(recipe, route.method, path + query);
          assert.deepEqual(
            outcome(byName, route.method, path + query),
            expected,
            `${route.method} ${path}${query}`,
          );
          if (!expected.denied) allowed++;
        }
      }
      assert.ok(allowed > 0, "the recipe allows something");
    });
  }
});
