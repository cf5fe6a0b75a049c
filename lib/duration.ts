/**
 * Durations as the settings write them: `10` (seconds), `500ms`, `10s`, `1.5s`,
 * `2m`, `1h`, or Go's compound form (`1m30s`). Pure; shared by the environment's
 * settings and a policy file's profiles.
 */

const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/y;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `text` in milliseconds (rounded), or `null` when it is not a duration. */
export function durationMs(text: string): number | null {
  const value = text.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(value)) return Math.round(Number(value) * 1000);
  if (value === "") return null;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < value.length) {
    const match = PART.exec(value);
    if (match === null) return null;
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return Math.round(total);
}

/** How errors say what a duration may be. */
export const DURATION_CHOICES = "use seconds, or 500ms, 10s, 2m, 1h, 1m30s";
