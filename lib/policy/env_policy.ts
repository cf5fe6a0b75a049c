/**
 * The env-only configuration as a policy: one profile, for every client, with
 * the drop-in images' switches and defaults. Kept apart from the policy file's
 * loader so that a proxy without a policy file never loads the YAML parser.
 */
import { makeFlags } from "./flags.ts";
import type { Mode, Policy, Profile } from "./profile.ts";
import { parseProfileSettings } from "./profile_settings.ts";

/** Throws `SettingError` naming a setting with an invalid value. */
export function environmentPolicy(
  values: Readonly<Record<string, unknown>>,
  mode: Mode,
): Policy {
  const settings = parseProfileSettings(values, false);
  const profile: Profile = {
    name: "default",
    file: null,
    line: null,
    match: null,
    mode,
    rules: [],
    ...settings,
    switches: settings.switches ?? makeFlags(),
  };
  return { file: null, profiles: [profile], fallback: profile, usesContainers: false };
}
