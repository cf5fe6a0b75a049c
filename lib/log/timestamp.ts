/**
 * ISO 8601 timestamps in a named time zone, without tzdata on disk.
 *
 * V8 ships its own ICU time zone data, so `Intl` knows `Europe/Berlin` even in a
 * `FROM scratch` image. Asking `Intl` for every log line would be slow, so the
 * zone's UTC offset is computed once per minute (offsets only change on whole
 * minutes) and the rest is plain arithmetic.
 */

// Names of UTC that need no time zone data. Loading `Intl`'s zone data costs
// about 7 MiB of resident memory, so the default (UTC) never touches it.
const UTC_NAMES = new Set([
  "UTC",
  "Etc/UTC",
  "GMT",
  "Etc/GMT",
  "Etc/GMT0",
  "GMT0",
  "UCT",
  "Etc/UCT",
  "Universal",
  "Etc/Universal",
  "Zulu",
  "Etc/Zulu",
  "Greenwich",
  "Etc/Greenwich",
]);

/** Returns whether `timeZone` is UTC under one of its names. */
export function isUtc(timeZone: string): boolean {
  return UTC_NAMES.has(timeZone);
}

/** Returns whether `timeZone` is an IANA zone name that `Intl` knows. */
export function isValidTimeZone(timeZone: string): boolean {
  if (isUtc(timeZone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The zone used without `TZ`: UTC, as in the images this proxy replaces. */
export const DEFAULT_TIME_ZONE = "UTC";

function pad2(n: number): string {
  return n < 10 ? "0" + n : "" + n;
}

function pad3(n: number): string {
  return n < 10 ? "00" + n : n < 100 ? "0" + n : "" + n;
}

/** Formats epoch milliseconds as `2026-11-28T17:06:41.123+01:00` in one zone. */
export class TimestampFormatter {
  readonly timeZone: string;
  #parts: Intl.DateTimeFormat | null;
  #minute = Number.NaN;
  #offsetMinutes = 0;
  #offsetText = "Z";
  #second = Number.NaN;
  #secondText = "";

  constructor(timeZone: string) {
    this.timeZone = timeZone;
    this.#parts = isUtc(timeZone) ? null : new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  }

  /** The zone's offset from UTC at `epochMs`, in minutes. */
  offsetMinutes(epochMs: number): number {
    if (this.#parts === null) return 0;
    const parts: Record<string, number> = {};
    for (const part of this.#parts.formatToParts(new Date(epochMs))) {
      if (part.type !== "literal") parts[part.type] = Number(part.value);
    }
    const asUtc = Date.UTC(
      parts.year,
      parts.month - 1,
      parts.day,
      parts.hour,
      parts.minute,
      parts.second,
    );
    return Math.round((asUtc - (epochMs - (epochMs % 1000 + 1000) % 1000)) / 60000);
  }

  format(epochMs: number): string {
    const minute = Math.floor(epochMs / 60000);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#offsetMinutes = this.offsetMinutes(epochMs);
      const abs = Math.abs(this.#offsetMinutes);
      this.#offsetText = this.#offsetMinutes === 0
        ? "Z"
        : (this.#offsetMinutes < 0 ? "-" : "+") + pad2(Math.floor(abs / 60)) + ":" + pad2(abs % 60);
      this.#second = Number.NaN;
    }
    const second = Math.floor(epochMs / 1000);
    if (second !== this.#second) {
      this.#second = second;
      const d = new Date(second * 1000 + this.#offsetMinutes * 60000);
      this.#secondText = d.getUTCFullYear() + "-" + pad2(d.getUTCMonth() + 1) + "-" +
        pad2(d.getUTCDate()) + "T" + pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) +
        ":" + pad2(d.getUTCSeconds());
    }
    return this.#secondText + "." + pad3(epochMs - second * 1000) + this.#offsetText;
  }
}
