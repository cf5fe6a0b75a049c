/**
 * The access log: one line per request, in text or JSON, naming the client
 * (and its container), the request and its operation, what was decided, the
 * answer, and the profile. Header values are never logged.
 */
import type { Logger, LogLevel } from "../log/log.ts";
import type { Profile } from "../policy/profile.ts";
import type { BodyFacts } from "../policy/body_fields.ts";

/** How a stage asks for the access line of the request in flight. */
export type LogRequest = (
  level: LogLevel,
  method: string,
  target: string,
  decision: string,
  status: number,
  bytes: number,
  started: number,
  reason?: string,
) => void;

export interface AccessRecord {
  peer: string;
  container: string | undefined;
  listener: string;
  profile: Profile | null;
  operation: string | null;
  method: string;
  target: string;
  decision: string;
  status: number;
  bytes: number;
  ms: number;
  reason: string | undefined;
  /** What an exec or create asked to run, when its body was read. */
  body?: BodyFacts | null;
}

/**
 * What `learn` needs of a body: the command, image and user — never the
 * environment's values nor labels (they may hold secrets).
 */
function bodyFields(facts: BodyFacts | null | undefined): Record<string, string | boolean> {
  if (facts === null || facts === undefined) return {};
  const fields: Record<string, string | boolean> = {};
  // Argument lists as JSON text: the log's fields are flat.
  if (facts.cmd !== null) fields.cmd = JSON.stringify(facts.cmd);
  if (facts.entrypoint !== null) fields.entrypoint = JSON.stringify(facts.entrypoint);
  if (facts.image !== null) fields.image = facts.image;
  if (facts.user !== null) fields.user = facts.user;
  if (facts.privileged) fields.privileged = true;
  return fields;
}

/** Writes `record` at `level`, when the logger logs that level. */
export function writeAccessLine(logger: Logger, level: LogLevel, record: AccessRecord): void {
  if (!logger.enabled(level)) return;
  const { container, operation, reason } = record;
  // The environment's single profile goes unnamed.
  const profile = record.profile === null || record.profile.file === null
    ? undefined
    : record.profile.name || undefined;
  if (logger.format === "json") {
    logger.log(level, "request", {
      client: record.peer,
      container,
      listener: record.listener || undefined,
      profile,
      method: record.method,
      path: record.target,
      operation: operation ?? undefined,
      decision: record.decision,
      status: record.status,
      bytes: record.bytes,
      ms: record.ms,
      reason: reason || undefined,
      ...bodyFields(record.body),
    });
    return;
  }
  logger.log(
    level,
    `${record.peer}${container ? ` (${container})` : ""} ${record.method} ${record.target}` +
      `${operation ? ` (${operation})` : ""} ${record.decision} ${record.status} ` +
      `${record.bytes}B ${record.ms}ms` + (profile ? ` profile=${profile}` : "") +
      (reason ? " " + reason : ""),
  );
}
