/**
 * Label selectors, written as docker-proxy-filter and `docker ps --filter
 * label=` write them: `key=value` needs that value, a bare `key` any value.
 */

export interface LabelMatcher {
  readonly key: string;
  /** `null`: any value. */
  readonly value: string | null;
}

export type Labels = Readonly<Record<string, string>>;

/** Parses `traefik.enable=true` or `com.example.app`; throws `Error` when empty. */
export function parseLabelMatcher(text: string): LabelMatcher {
  const trimmed = text.trim();
  const equals = trimmed.indexOf("=");
  const key = equals < 0 ? trimmed : trimmed.slice(0, equals);
  if (key === "") {
    throw new Error(`Invalid label selector ${JSON.stringify(text)} (want key or key=value)`);
  }
  return { key, value: equals < 0 ? null : trimmed.slice(equals + 1) };
}

export function formatLabelMatcher(matcher: LabelMatcher): string {
  return matcher.value === null ? matcher.key : `${matcher.key}=${matcher.value}`;
}

export function labelMatches(matcher: LabelMatcher, labels: Labels | null | undefined): boolean {
  if (labels === null || labels === undefined || !Object.hasOwn(labels, matcher.key)) return false;
  return matcher.value === null || labels[matcher.key] === matcher.value;
}
