/**
 * How messages name a rule. A module of its own so that the decision
 * (`decide.ts`), the rules (`rule.ts`) and `explain` share it without
 * importing one another: it needs nothing of a rule but its type.
 */
import type { Rule } from "./rule.ts";

/**
 * A rule for messages: `rule 2 (ContainerKill with signal in [SIGHUP], line 14)`,
 * or `rule 5 (ContainerInspect, preset traefik)` for a preset's.
 */
export function describeRule(rule: Rule): string {
  const conditions = [
    ...rule.query.map((constraint) => constraint.text),
    ...(rule.target ? [`on containers with ${rule.target.text}`] : []),
    ...(rule.body ? [`with body ${rule.body.text}`] : []),
  ];
  const where = rule.preset !== undefined
    ? `, preset ${rule.preset}`
    : rule.line === null
    ? ""
    : `, line ${rule.line}`;
  return `rule ${rule.index} (${[rule.text, ...conditions].join(" ")}${where})`;
}
