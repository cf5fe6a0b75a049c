/**
 * Recipes by name. `preset: traefik` in a profile, or `PRESET=traefik` in the
 * environment, takes the rules and settings of the recipe the replay tests
 * prove (`examples/traefik/policy.yaml`, see `preset_table.ts`):
 *
 * - settings given beside it win over the preset's, key by key
 *   (`ALLOW_BIND_MOUNTS` stays the user's; `CONTAINER_LABELS: ""` drops the
 *   preset's scope);
 * - rules given beside it are added to the preset's: a preset cannot be
 *   narrowed by rules, only copied from its recipe and edited;
 * - `name`, `match` and `mode` are never the preset's: they are the user's.
 *
 * Imported by the policy file's loader and, with `PRESET`, at start; a proxy
 * configured by the environment alone without `PRESET` never loads the table.
 */
import type { RouteSpec } from "../routes/route.ts";
import { closest } from "../suggest.ts";
import type { Mode, Policy, Profile } from "./profile.ts";
import { parseProfileSettings } from "./profile_settings.ts";
import { type Preset, PRESETS } from "./preset_table.ts";
import { compileRule, type Rule } from "./rule.ts";

export type { Preset };

/** An unknown preset name; the message names the valid ones. */
export class PresetError extends Error {
  override name = "PresetError";
}

/** The names `preset:` and `PRESET` take, sorted. */
export function presetNames(): string[] {
  return PRESETS.map((preset) => preset.name);
}

/** The preset called `name`, if there is one. */
export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((candidate) => candidate.name === name);
}

/** Why `name` is no preset, naming `what` (`preset`, `PRESET`), the closest name and every valid one. */
export function unknownPreset(name: string, what: string): string {
  const names = presetNames();
  return `Unknown ${what} ${JSON.stringify(name)}${closest(name, names)} ` +
    `(valid: ${names.join(", ")}; \`socket-proxy presets\` lists them)`;
}

/** The preset's rules, compiled; each names the preset it comes from. */
export function presetRules(routes: readonly RouteSpec[], preset: Preset): Rule[] {
  return preset.rules.map((rule, i) => ({
    ...compileRule(routes, typeof rule === "string" ? { allow: rule } : rule, i + 1),
    preset: preset.name,
  }));
}

/** The preset's settings with `given` over them, key by key. */
export function presetSettings(
  preset: Preset,
  given: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return { ...preset.settings, ...given };
}

/**
 * `PRESET=name`: one profile for every client, the preset's, with the settings
 * in `values` (from the environment) over its own. Read as a policy file's
 * profile would be: no switch unless given, host access refused unless
 * allowed. Throws `PresetError`, or `SettingError` for a bad value.
 */
export function presetPolicy(
  routes: readonly RouteSpec[],
  name: string,
  values: Readonly<Record<string, unknown>>,
  mode: Mode,
): Policy {
  const preset = findPreset(name);
  if (preset === undefined) throw new PresetError(unknownPreset(name, "PRESET"));
  const where = `PRESET=${preset.name}`;
  const profile: Profile = {
    name: preset.name,
    file: where,
    line: null,
    match: null,
    mode,
    rules: presetRules(routes, preset),
    ...parseProfileSettings(presetSettings(preset, values), true),
    preset: { name: preset.name, app: preset.app },
  };
  return { file: where, profiles: [profile], fallback: profile, usesContainers: false };
}

/** `socket-proxy presets`: each preset with its app and version, its recipe and what it holds. */
export function presetListing(): string[] {
  const width = Math.max(...PRESETS.map((preset) => preset.name.length));
  const lines = [
    "Presets: a profile's `preset: NAME` (or PRESET=NAME) takes the recipe's rules and settings.",
    "Each was proven against the app version shown, by replaying its calls against a real engine.",
    "",
  ];
  for (const preset of PRESETS) {
    const settings = Object.keys(preset.settings);
    lines.push(
      `${preset.name.padEnd(width)}  ${preset.app}`,
      `${" ".repeat(width)}  ${preset.recipe}: ${preset.rules.length} rule(s)` +
        (settings.length === 0 ? "" : `; ${settings.join(", ")}`),
    );
  }
  return lines;
}
