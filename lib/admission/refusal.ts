/**
 * How a check refuses: it throws a `Refusal`, which `admit` turns into the
 * verdict. The first problem found decides; checks never collect.
 */

export type AdmissionVerdict =
  | { allowed: true }
  | { allowed: false; status: 400 | 403; reason: string; field?: string; needs?: string };

export class Refusal extends Error {
  override name = "Refusal";
  constructor(
    readonly status: 400 | 403,
    readonly reason: string,
    readonly field?: string,
    readonly needs?: string,
  ) {
    super(reason);
  }

  toVerdict(): AdmissionVerdict {
    const verdict: AdmissionVerdict = { allowed: false, status: this.status, reason: this.reason };
    if (this.field !== undefined) verdict.field = this.field;
    if (this.needs !== undefined) verdict.needs = this.needs;
    return verdict;
  }
}

/** A body or query the engine would read differently, or not at all: 400. */
export function malformed(reason: string, field?: string): never {
  throw new Refusal(400, reason, field);
}

/**
 * A request for host access the settings do not allow: 403. `what` names the
 * field and its value, `needs` the setting that would allow it
 * (`ALLOW_PRIVILEGED=1`), `how` overrides the "needs ..." wording.
 */
export function forbid(field: string, what: string, needs: string, how?: string): never {
  throw new Refusal(403, `${what} ${how ?? `needs ${needs}`}`, field, needs);
}

/** The JSON string of a value for messages, shortened when long. */
export function quote(value: string, max = 80): string {
  const text = JSON.stringify(value);
  return text.length <= max ? text : text.slice(0, max - 4) + '..."';
}
