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
 */
import type { RouteSpec } from "../routes/route.ts";
import { goBoolean, isQueryError, parseQuery } from "./query_params.ts";

interface LogRecord {
  msg?: string;
  client?: string;
  container?: string;
  listener?: string;
  method?: string;
  path?: string;
  operation?: string;
  decision?: string;
}

interface Usage {
  count: number;
  /** Each request's query. */
  queries: ReadonlyMap<string, readonly string[]>[];
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
    const usage = learned.operations.get(record.operation!) ?? { count: 0, queries: [] };
    usage.count++;
    usage.queries.push(isQueryError(query) ? new Map() : query);
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
      const count = `# ${usage.count} request${usage.count === 1 ? "" : "s"}`;
      if (query.length === 0) {
        out.push(`      - ${operation} ${count}`);
      } else {
        out.push(`      - allow: ${operation} ${count}`, "        query:");
        out.push(...query.map((line) => `          ${line}`));
      }
    }
  }
  if (clients.size === 0) out[out.length - 1] = "profiles: []";
  return { text: out.join("\n") + "\n", clients: clients.size, requests: records.length, skipped };
}
