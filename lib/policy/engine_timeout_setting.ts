/**
 * `ENGINE_TIMEOUT` in a profile: the time the engine gets to begin its answer
 * to this profile's finite requests, instead of the proxy's `ENGINE_TIMEOUT`.
 */
import { DURATION_CHOICES, durationMs } from "../duration.ts";
import { SettingError } from "../admission/admission_settings.ts";

export const ENGINE_TIMEOUT = "ENGINE_TIMEOUT";

/**
 * A duration text (`30s`, `2m`; `0`: none) or a number of seconds, in ms;
 * `null` when absent (the proxy's setting holds). Throws `SettingError`.
 */
export function parseEngineTimeout(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  const ms = typeof value === "number"
    ? (Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : null)
    : typeof value === "string"
    ? durationMs(value)
    : null;
  if (ms === null) {
    throw new SettingError(
      ENGINE_TIMEOUT,
      `Invalid value for ${ENGINE_TIMEOUT}: ${JSON.stringify(value)} (${DURATION_CHOICES}; ` +
        "0 for none)",
    );
  }
  return ms;
}
