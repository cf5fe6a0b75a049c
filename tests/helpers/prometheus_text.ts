/**
 * A strict parser for Prometheus' text exposition format (version 0.0.4), as
 * the proxy's metrics listener must write it: every metric family has one
 * HELP and one TYPE line before its samples, which are contiguous; label values
 * are escaped; every series appears once; histograms have cumulative buckets
 * in increasing order ending in `+Inf`, equal to `_count`, and a `_sum`.
 * Anything else throws, naming the line.
 */

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, ...). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text: string, where: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(text)) {
    throw new Error(`${where}: not a number: ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** Reads `{a="x",b="y"}` starting at `text[at]`; returns the labels and where they end. */
function parseLabels(
  text: string,
  at: number,
  where: string,
): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let pos = at + 1;
  if (text[pos] === "}") return { labels, end: pos + 1 };
  for (;;) {
    const equals = text.indexOf("=", pos);
    if (equals < 0) throw new Error(`${where}: label without a value`);
    const name = text.slice(pos, equals);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: invalid label name ${name}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (text[equals + 1] !== '"') throw new Error(`${where}: label ${name} is not quoted`);
    let value = "";
    pos = equals + 2;
    for (;;) {
      const c = text[pos];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === "\\") {
        const next = text[pos + 1];
        if (next === "\\") value += "\\";
        else if (next === '"') value += '"';
        else if (next === "n") value += "\n";
        else throw new Error(`${where}: invalid escape \\${next} in label ${name}`);
        pos += 2;
        continue;
      }
      value += c;
      pos++;
    }
    labels[name] = value;
    pos++;
    if (text[pos] === "}") return { labels, end: pos + 1 };
    if (text[pos] !== ",") throw new Error(`${where}: expected , or } after label ${name}`);
    pos++;
  }
}

function unescapeHelp(text: string, where: string): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new Error(`${where}: invalid escape \\${c} in HELP`);
  });
}

/** The family a sample name belongs to, given the families declared so far. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct !== undefined) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, -suffix.length));
    if (family?.type === "histogram" || (family?.type === "summary" && suffix !== "_bucket")) {
      return family;
    }
  }
  return undefined;
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>();
  const key = (labels: Record<string, string>) =>
    JSON.stringify(Object.entries(labels).filter(([k]) => k !== "le").sort());
  for (const sample of family.samples) {
    const group = groups.get(key(sample.labels)) ?? [];
    group.push(sample);
    groups.set(key(sample.labels), group);
  }
  for (const [labels, samples] of groups) {
    const where = `histogram ${family.name}${labels}`;
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const sum = samples.filter((s) => s.name === `${family.name}_sum`);
    const count = samples.filter((s) => s.name === `${family.name}_count`);
    if (buckets.length === 0) throw new Error(`${where}: no buckets`);
    if (sum.length !== 1 || count.length !== 1) {
      throw new Error(`${where}: needs one _sum, one _count`);
    }
    let bound = -Infinity;
    let previous = 0;
    for (const bucket of buckets) {
      if (bucket.labels.le === undefined) throw new Error(`${where}: a bucket without le`);
      const le = parseValue(bucket.labels.le, where);
      if (!(le > bound)) {
        throw new Error(`${where}: buckets out of order at le=${bucket.labels.le}`);
      }
      if (bucket.value < previous) {
        throw new Error(`${where}: buckets not cumulative at le=${bucket.labels.le}`);
      }
      bound = le;
      previous = bucket.value;
    }
    if (bound !== Infinity) throw new Error(`${where}: the last bucket is not le="+Inf"`);
    if (previous !== count[0].value) throw new Error(`${where}: +Inf bucket differs from _count`);
  }
}

/** Parses an exposition; throws naming the line on anything the format does not allow. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (text !== "" && !text.endsWith("\n")) throw new Error("The exposition must end in a newline");
  const families = new Map<string, Family>();
  const series = new Set<string>();
  const finished = new Set<string>();
  const typed = new Set<string>();
  let current: Family | null = null;
  const lines = text.split("\n");
  lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const match = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(line);
      if (match === null) return; // a comment
      const [, keyword, name, rest] = match;
      if (!NAME.test(name)) throw new Error(`${where}: invalid metric name ${name}`);
      let family = families.get(name);
      if (family === undefined) {
        family = { name, help: "", type: "untyped", samples: [] };
        families.set(name, family);
      }
      if (family.samples.length > 0) {
        throw new Error(`${where}: ${keyword} after samples of ${name}`);
      }
      if (keyword === "HELP") {
        if (family.help !== "") throw new Error(`${where}: second HELP for ${name}`);
        family.help = unescapeHelp(rest, where);
        if (family.help === "") throw new Error(`${where}: empty HELP for ${name}`);
      } else {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        if (typed.has(name)) throw new Error(`${where}: second TYPE for ${name}`);
        typed.add(name);
        family.type = rest as MetricType;
      }
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`${where}: not a sample: ${line}`);
    const name = line.slice(0, nameEnd);
    if (!NAME.test(name)) throw new Error(`${where}: invalid metric name ${name}`);
    let labels: Record<string, string> = {};
    let pos = nameEnd;
    if (line[pos] === "{") ({ labels, end: pos } = parseLabels(line, pos, where));
    if (line[pos] !== " ") throw new Error(`${where}: expected a space before the value`);
    const [valueText, timestamp, ...extra] = line.slice(pos + 1).split(" ");
    if (extra.length > 0 || (timestamp !== undefined && !/^-?[0-9]+$/.test(timestamp))) {
      throw new Error(`${where}: unexpected text after the value`);
    }
    const value = parseValue(valueText, where);
    const family = familyOf(name, families);
    if (family === undefined || !typed.has(family.name)) {
      throw new Error(`${where}: sample ${name} before its TYPE line`);
    }
    if (family.help === "") throw new Error(`${where}: sample ${name} without a HELP line`);
    if (family.type === "histogram" && name === family.name) {
      throw new Error(`${where}: a histogram's samples are _bucket, _sum and _count: ${name}`);
    }
    if (family.type === "histogram" && name === `${family.name}_bucket`) {
      if (labels.le === undefined) throw new Error(`${where}: a bucket without le`);
    } else if (labels.le !== undefined && family.type === "histogram") {
      throw new Error(`${where}: le on ${name}`);
    }
    if (family.type === "counter" && (value < 0 || Number.isNaN(value))) {
      throw new Error(`${where}: a counter below zero`);
    }
    if (current !== family) {
      if (finished.has(family.name)) {
        throw new Error(`${where}: samples of ${family.name} not together`);
      }
      if (current !== null) finished.add(current.name);
      current = family;
    }
    const id = name + JSON.stringify(Object.entries(labels).sort());
    if (series.has(id)) throw new Error(`${where}: series ${id} twice`);
    series.add(id);
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) {
    if (family.type === "histogram") checkHistogram(family);
  }
  return families;
}

/** The value of the sample `name` whose labels include `labels`; summed over the rest. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let total = 0;
  let found = false;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).some(([k, v]) => sample.labels[k] !== v)) continue;
      total += sample.value;
      found = true;
    }
  }
  if (!found) throw new Error(`No sample ${name} with ${JSON.stringify(labels)}`);
  return total;
}
