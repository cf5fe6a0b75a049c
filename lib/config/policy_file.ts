/**
 * Reading the policy file, or the preset `PRESET` names. The YAML parser and
 * the presets are loaded only here, on first use, so a proxy configured by
 * the environment alone never pays for them.
 */
import type { LoadOptions } from "../policy/policy_loader.ts";
import type { Mode, Policy } from "../policy/profile.ts";
import { ROUTES } from "../routes/engine_routes.ts";

/** Thrown for a policy file that cannot be read or used; the message names the file. */
export class PolicyFileError extends Error {
  override name = "PolicyFileError";
}

/** Reads and checks the policy in `file`; throws `PolicyFileError`. */
export async function loadPolicyFile(file: string, options: LoadOptions): Promise<Policy> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new PolicyFileError(`Cannot read the policy file ${file}: ${(error as Error).message}`);
  }
  return await policyFromText(text, file, options);
}

/** Checks the policy `text` read from `file`; throws `PolicyFileError`. */
export async function policyFromText(
  text: string,
  file: string,
  options: LoadOptions,
): Promise<Policy> {
  const { parsePolicy, PolicyError } = await import("../policy/policy_loader.ts");
  try {
    return parsePolicy(text, file, ROUTES, options);
  } catch (error) {
    if (error instanceof PolicyError) throw new PolicyFileError(error.message);
    throw error;
  }
}

/**
 * The policy `PRESET` makes: the preset's profile for every client, with the
 * environment's `values` over its settings. Throws `PolicyFileError` naming
 * `PRESET` (and the valid names, for an unknown one).
 */
export async function presetPolicy(
  preset: { name: string; values: Readonly<Record<string, string>> },
  mode: Mode,
): Promise<Policy> {
  const { presetPolicy, PresetError } = await import("../policy/presets.ts");
  const { SettingError } = await import("../policy/profile_settings.ts");
  try {
    return presetPolicy(ROUTES, preset.name, preset.values, mode);
  } catch (error) {
    if (error instanceof PresetError) throw new PolicyFileError(error.message);
    if (error instanceof SettingError) {
      throw new PolicyFileError(`${error.message} (with PRESET=${preset.name})`);
    }
    throw error;
  }
}
