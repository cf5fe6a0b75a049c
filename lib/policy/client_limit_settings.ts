/**
 * A profile's per-client limits and self-protection, named as in the
 * environment: `MAX_CLIENT_REQUESTS`, `MAX_CLIENT_STREAMS`, `RATE_LIMIT`,
 * `RATE_BURST` and `PROTECT_SELF`. The same parser reads the environment
 * (strings) and a policy file (YAML values). Pure.
 *
 * The defaults are ones no app notices (README, "Per-client limits"): 128
 * finite requests at the engine per client (and as many waiting), no limit
 * of streams but `MAX_CONNECTIONS` (a log shipper holds one per container),
 * no rate limit, the proxy's own container protected.
 */
import { parseBool, SettingError } from "../admission/admission_settings.ts";
import type { ClientLimits } from "../limits/client_limiter.ts";

export const CLIENT_LIMIT_SETTING_NAMES = [
  "MAX_CLIENT_REQUESTS",
  "MAX_CLIENT_STREAMS",
  "RATE_LIMIT",
  "RATE_BURST",
  "PROTECT_SELF",
] as const;

export const DEFAULT_CLIENT_LIMITS: ClientLimits = Object.freeze({
  maxRequests: 128,
  maxStreams: 0,
  rate: 0,
  burst: 0,
});

export interface ClientLimitSettings {
  limits: ClientLimits;
  /** `PROTECT_SELF`: the proxy's own container is refused to this profile's clients. */
  protectSelf: boolean;
}

/** A whole number >= 0 (a YAML number or a text of digits); `max` bounds it. */
function count(name: string, value: unknown, max: number): number {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value : "";
  if (!/^\s*[0-9]+\s*$/.test(text) || Number(text) > max) {
    throw new SettingError(
      name,
      `Invalid value for ${name}: ${JSON.stringify(value)} (want a whole number from 0, ` +
        `which means no limit, to ${max})`,
    );
  }
  return Number(text);
}

/** A rate in requests per second: a number >= 0, such as 20 or 0.5. */
function rate(name: string, value: unknown): number {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value : "";
  if (!/^\s*[0-9]+(\.[0-9]+)?\s*$/.test(text) || Number(text) > 1e6) {
    throw new SettingError(
      name,
      `Invalid value for ${name}: ${JSON.stringify(value)} (want requests per second, such as ` +
        "20 or 0.5; 0 means no limit)",
    );
  }
  return Number(text);
}

/** Reads the settings; absent ones take the defaults. Throws `SettingError` naming the setting. */
export function parseClientLimitSettings(
  values: Readonly<Record<string, unknown>>,
): ClientLimitSettings {
  const given = (name: string) => values[name] !== undefined && values[name] !== "";
  const maxRequests = given("MAX_CLIENT_REQUESTS")
    ? count("MAX_CLIENT_REQUESTS", values.MAX_CLIENT_REQUESTS, 1_000_000)
    : DEFAULT_CLIENT_LIMITS.maxRequests;
  const maxStreams = given("MAX_CLIENT_STREAMS")
    ? count("MAX_CLIENT_STREAMS", values.MAX_CLIENT_STREAMS, 1_000_000)
    : DEFAULT_CLIENT_LIMITS.maxStreams;
  const perSecond = given("RATE_LIMIT") ? rate("RATE_LIMIT", values.RATE_LIMIT) : 0;
  let burst = 0;
  if (given("RATE_BURST")) {
    burst = count("RATE_BURST", values.RATE_BURST, 1_000_000);
    if (perSecond === 0) {
      throw new SettingError(
        "RATE_BURST",
        `RATE_BURST=${burst} is set but RATE_LIMIT is not: the burst is the size of the rate ` +
          "limit's bucket (set RATE_LIMIT too, or remove RATE_BURST)",
      );
    }
    if (burst < 1) {
      throw new SettingError(
        "RATE_BURST",
        "Invalid value for RATE_BURST: 0 (want at least 1, the requests a client may send at once)",
      );
    }
  } else if (perSecond > 0) {
    burst = Math.max(1, Math.ceil(perSecond));
  }
  const protectSelf = given("PROTECT_SELF") ? parseBool("PROTECT_SELF", values.PROTECT_SELF) : true;
  return { limits: { maxRequests, maxStreams, rate: perSecond, burst }, protectSelf };
}
