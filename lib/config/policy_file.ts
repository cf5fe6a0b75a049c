/**
 * Reading the policy file. The YAML parser is loaded only here, on first use,
 * so a proxy configured by the environment alone never pays for it.
 */
import type { LoadOptions } from "../policy/policy_loader.ts";
import type { Policy } from "../policy/profile.ts";
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
