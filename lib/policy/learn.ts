/**
 * `socket-proxy learn`: the smallest policy that allows exactly what the
 * proxy's JSON access log shows (`LOG_FORMAT=json`, typically of a run in
 * audit mode), per client, in operation names.
 *
 * Each client becomes a profile, matched by its container's name when the
 * log knows it, else by its listener (when there are several), else by its
 * address. Each operation it used becomes a rule, with query constraints
 * where the log shows them: a boolean parameter it never set is constrained
 * off (`follow: false`), a text parameter it always gave with a few values is
 * constrained to those (`signal: [SIGHUP]`). A comment counts the requests.
 *
 * Bodies, from the fields the access log records of them (`cmd`, `image`,
 * `user`, `privileged`; never environment values): an exec becomes a body
 * constraint on the commands it ran, as seen (`Cmd: [[nginx, -s, reload]]`),
 * its users and `Privileged: false`; a create or service the images it used.
 * Nothing is generalized: an argument that changes (a date, an ID) makes
 * one pattern per value seen, for a person to widen with a glob.
 */
import type { RouteSpec } from "../routes/route.ts";
import { goBoolean, isQueryError, parseQuery } from "./query_params.ts";
import { BODY_KINDS } from "./body_kinds.ts";

interface LogRecord {
  msg?: string;
  client?: string;
  container?: string;
  listener?: string;
  method?: string;
  path?: string;
  operation?: string;
  decision?: string;
  /** What an exec or create asked to run (JSON text of an argv), when its body was read. */
  cmd?: string;
  image?: string;
  user?: string;
  privileged?: boolean;
}

interface Usage {
  count: number;
  /** Each request's query. */
  queries: ReadonlyMap<string, readonly string[]>[];
  /** Each request's record, for what it says of the body. */
  records: LogRecord[];
}

interface Learned {
  match: string[];
  operations: Map<string, Usage>;
  requests: number;
}

export interface LearnResult {
  /** The policy, as YAML with comments. */
  text: string;
  clients: number;
  requests: number;
  /** Lines that were not request records of the proxy, or requests it refused. */
  skipped: number;
}

const MAX_VALUES = 5;

function hostOf(client: string): string {
  return client.startsWith("[")
    ? client.slice(1, client.indexOf("]"))
    : client.replace(/:\d+$/, "");
}

function profileName(text: string, taken: Set<string>): string {
  const base = text.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 50) ||
    "client";
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

const yamlText = (text: string) => JSON.stringify(text);

/** The query constraints a set of requests shows, as YAML lines. */
function constraints(route: RouteSpec | undefined, usage: Usage): string[] {
  if (route === undefined) return [];
  const lines: string[] = [];
  for (const [name, type] of Object.entries(route.query)) {
    const given = usage.queries.map((query) => query.get(name));
    if (type === "boolean") {
      const absent = route.trueByDefault?.includes(name) ?? false;
      const values = given.map((value) => value === undefined ? absent : goBoolean(value));
      if (values.every((value) => value === false)) lines.push(`${name}: false`);
      continue;
    }
    if (given.some((values) => values === undefined || values.length !== 1)) continue;
    const distinct = [...new Set(given.map((values) => values![0]))].sort();
    if (distinct.length > MAX_VALUES || distinct.some((value) => value.includes("*"))) continue;
    lines.push(`${name}: [${distinct.map(yamlText).join(", ")}]`);
  }
  return lines;
}

const MAX_BODY_VALUES = 20;

function argvOf(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  try {
    const argv = JSON.parse(text);
    return Array.isArray(argv) && argv.every((arg) => typeof arg === "string") ? argv : null;
  } catch {
    return null;
  }
}

/** The body constraints a set of requests shows, as YAML lines; `[]` when the log cannot say. */
function bodyConstraints(operation: string, usage: Usage): string[] {
  const kind = Object.hasOwn(BODY_KINDS, operation) ? BODY_KINDS[operation] : undefined;
  if (kind === undefined) return [];
  const distinct = <T>(values: T[]) => [...new Map(values.map((v) => [JSON.stringify(v), v]))];
  const users = distinct(usage.records.map((record) => record.user ?? null)).map(([text]) => text)
    .sort();
  const lines: string[] = [];
  if (kind === "exec") {
    const argvs = usage.records.map((record) => argvOf(record.cmd));
    if (argvs.some((argv) => argv === null)) return [];
    const seen = distinct(argvs as string[][]).map(([, argv]) =>
      `[${argv.map((arg) => JSON.stringify(arg)).join(", ")}]`
    ).sort();
    if (seen.length > MAX_BODY_VALUES) return [];
    lines.push(`Cmd: [${seen.join(", ")}] # as seen`);
    lines.push(`User: [${users.join(", ")}]`);
    if (usage.records.every((record) => record.privileged !== true)) {
      lines.push("Privileged: false");
    }
    return lines;
  }
  if (usage.records.some((record) => record.image === undefined)) return [];
  const images = distinct(usage.records.map((record) => record.image!)).map(([text]) => text)
    .sort();
  if (images.length > MAX_BODY_VALUES) return [];
  lines.push(`Image: [${images.join(", ")}] # as sent`);
  if (kind !== "service") lines.push(`User: [${users.join(", ")}]`);
  return lines;
}

/** Learns a policy from the lines of a JSON access log. */
export function learnPolicy(
  lines: Iterable<string>,
  routes: readonly RouteSpec[],
  now = new Date(),
): LearnResult {
  const records: LogRecord[] = [];
  let skipped = 0;
  for (const line of lines) {
    if (line.trim() === "") continue;
    let record: LogRecord;
    try {
      record = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const passed = record.decision === "allowed" || record.decision === "would-deny";
    if (record.msg !== "request" || !passed || !record.operation || !record.path) {
      skipped++;
      continue;
    }
    records.push(record);
  }
  const listeners = new Set(records.map((record) => record.listener ?? ""));
  const clients = new Map<string, Learned>();
  for (const record of records) {
    let key: string;
    let match: string[];
    if (record.container) {
      key = `container ${record.container}`;
      match = [`container: { name: ${yamlText(record.container)} }`];
    } else if (listeners.size > 1 && record.listener) {
      key = `listener ${record.listener}`;
      match = [`listener: ${yamlText(record.listener)}`];
    } else {
      const host = hostOf(record.client ?? "unknown");
      key = host === "unix" ? "unix" : `source ${host}`;
      match = host === "unix" ? [] : [`source: ${yamlText(host)}`];
    }
    let learned = clients.get(key);
    if (learned === undefined) {
      learned = { match, operations: new Map(), requests: 0 };
      clients.set(key, learned);
    }
    learned.requests++;
    const query = parseQuery(
      record.path!.includes("?") ? record.path!.slice(record.path!.indexOf("?")) : "",
    );
    const usage = learned.operations.get(record.operation!) ??
      { count: 0, queries: [], records: [] };
    usage.count++;
    usage.queries.push(isQueryError(query) ? new Map() : query);
    usage.records.push(record);
    learned.operations.set(record.operation!, usage);
  }

  const byOperation = new Map(routes.map((route) => [route.operation, route]));
  const out = [
    `# Learned by socket-proxy learn on ${now.toISOString().slice(0, 10)} from ${records.length} ` +
    `request${records.length === 1 ? "" : "s"}: it allows exactly what the log shows.`,
    "# Review it, run the proxy with it in audit mode (MODE=audit) for a while, then enforce it.",
    "version: 1",
    "profiles:",
  ];
  const taken = new Set<string>();
  // Profiles by container first, then listeners, then addresses; the catch-all (unix) last.
  const order = [...clients.entries()].sort(([a], [b]) =>
    (a === "unix" ? 1 : 0) - (b === "unix" ? 1 : 0) || a.localeCompare(b)
  );
  for (const [key, learned] of order) {
    const count = `${learned.requests} request${learned.requests === 1 ? "" : "s"}`;
    out.push(`  - name: ${profileName(key.replace(/^\w+ /, ""), taken)} # ${count}`);
    if (learned.match.length > 0) out.push(`    match:`, ...learned.match.map((m) => `      ${m}`));
    out.push("    rules:");
    for (
      const [operation, usage] of [...learned.operations].sort(([a], [b]) => a.localeCompare(b))
    ) {
      const query = constraints(byOperation.get(operation), usage);
      const body = bodyConstraints(operation, usage);
      const count = `# ${usage.count} request${usage.count === 1 ? "" : "s"}`;
      if (query.length === 0 && body.length === 0) {
        out.push(`      - ${operation} ${count}`);
        continue;
      }
      out.push(`      - allow: ${operation} ${count}`);
      if (query.length > 0) out.push("        query:", ...query.map((line) => `          ${line}`));
      if (body.length > 0) out.push("        body:", ...body.map((line) => `          ${line}`));
    }
  }
  if (clients.size === 0) out[out.length - 1] = "profiles: []";
  return { text: out.join("\n") + "\n", clients: clients.size, requests: records.length, skipped };
}
