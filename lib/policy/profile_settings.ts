/**
 * A profile's settings, named as in the environment: linuxserver's switches
 * (`CONTAINERS`, `ALLOW_RESTARTS`, ...), admission (`HOST_ACCESS`,
 * `ALLOW_BIND_MOUNTS`, ...) and scoping (`CONTAINER_LABELS`, `OWNER`, ...).
 * The same parser reads them from the environment (strings) and from a policy
 * file (YAML values), so an env-only configuration and a profile mean the same.
 */
import {
  ADMISSION_SETTING_NAMES,
  type AdmissionSettings,
  parseAdmissionSettings,
  parseBool,
  parseList,
  SettingError,
} from "../admission/admission_settings.ts";
import type { Scope } from "./scope.ts";
import type { ClientLimits } from "../limits/client_limiter.ts";
import { CLIENT_LIMIT_SETTING_NAMES, parseClientLimitSettings } from "./client_limit_settings.ts";
import { FLAG_NAMES, type Flags, makeFlags } from "./flags.ts";
import { compileGlob } from "./glob.ts";
import { type LabelMatcher, parseLabelMatcher } from "./labels.ts";
import { ENGINE_TIMEOUT, parseEngineTimeout } from "./engine_timeout_setting.ts";

export { SettingError };

export const SCOPE_SETTING_NAMES = [
  "CONTAINER_LABELS",
  "CONTAINER_NAMES",
  "OWNER",
  "SCRUB_ENVS",
] as const;

/** Every setting a profile may hold. */
export const PROFILE_SETTING_NAMES: readonly string[] = [
  ...FLAG_NAMES,
  ...ADMISSION_SETTING_NAMES,
  ...SCOPE_SETTING_NAMES,
  ENGINE_TIMEOUT,
  ...CLIENT_LIMIT_SETTING_NAMES,
];

export interface ProfileSettings {
  /** `null` when no switch is given (a policy-file profile written with rules only). */
  switches: Flags | null;
  admission: AdmissionSettings;
  scope: Scope;
  /** `ENGINE_TIMEOUT` in ms; `null`: the proxy's. */
  engineTimeoutMs: number | null;
  /** `MAX_CLIENT_REQUESTS`, `MAX_CLIENT_STREAMS`, `RATE_LIMIT`, `RATE_BURST`. */
  clientLimits: ClientLimits;
  /** `PROTECT_SELF`. */
  protectSelf: boolean;
}

/** `1/0`, `true/false`, `yes/no`, `on/off` (any case), a YAML boolean, or the numbers 1 and 0. */
export const settingBoolean = parseBool;

/** A comma-separated text or a list of texts; empty items are dropped. */
export function settingList(name: string, value: unknown): string[] {
  return parseList(name, value, "want a comma-separated text or a list");
}

const OWNER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function parseScope(values: Readonly<Record<string, unknown>>): Scope {
  let containerLabels: LabelMatcher[] | null = null;
  if (values.CONTAINER_LABELS !== undefined) {
    const items = settingList("CONTAINER_LABELS", values.CONTAINER_LABELS);
    try {
      containerLabels = items.map(parseLabelMatcher);
    } catch (error) {
      throw new SettingError(
        "CONTAINER_LABELS",
        `Invalid value for CONTAINER_LABELS: ${(error as Error).message}`,
      );
    }
    if (containerLabels.length === 0) containerLabels = null;
  }
  let containerNames = null;
  if (values.CONTAINER_NAMES !== undefined) {
    const names = settingList("CONTAINER_NAMES", values.CONTAINER_NAMES)
      .map((name) => name.replace(/^\//, ""));
    containerNames = names.length === 0 ? null : names.map(compileGlob);
  }
  let owner: string | null = null;
  if (values.OWNER !== undefined) {
    owner = String(values.OWNER).trim();
    if (owner === "") owner = null;
    else if (!OWNER_NAME.test(owner)) {
      throw new SettingError(
        "OWNER",
        `Invalid value for OWNER: ${JSON.stringify(values.OWNER)} ` +
          "(want letters, digits, '_', '.' or '-', starting with a letter or digit)",
      );
    }
  }
  const scrubEnvs = values.SCRUB_ENVS === undefined
    ? false
    : settingBoolean("SCRUB_ENVS", values.SCRUB_ENVS);
  return { containerLabels, containerNames, owner, scrubEnvs };
}

function ops(
  settings: ReturnType<typeof parseClientLimitSettings>,
): Pick<ProfileSettings, "clientLimits" | "protectSelf"> {
  return { clientLimits: settings.limits, protectSelf: settings.protectSelf };
}

/**
 * Reads a profile's settings. `inFile`: from a policy file, where switches
 * are absent unless given and host access is refused unless allowed; from the
 * environment, switches and `HOST_ACCESS` have the drop-in images' defaults.
 * Throws `SettingError` naming the setting.
 */
export function parseProfileSettings(
  values: Readonly<Record<string, unknown>>,
  inFile: boolean,
): ProfileSettings {
  const switchValues: Record<string, boolean> = {};
  let anySwitch = false;
  for (const name of FLAG_NAMES) {
    if (values[name] === undefined) continue;
    anySwitch = true;
    switchValues[name] = settingBoolean(name, values[name]);
  }
  return {
    switches: anySwitch || !inFile ? makeFlags(switchValues) : null,
    admission: parseAdmissionSettings(values, { hostAccess: !inFile }),
    scope: parseScope(values),
    engineTimeoutMs: parseEngineTimeout(values[ENGINE_TIMEOUT]),
    ...ops(parseClientLimitSettings(values)),
  };
}
