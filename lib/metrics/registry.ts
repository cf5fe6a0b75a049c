/**
 * Counters, gauges and histograms with labels, written in Prometheus' text
 * exposition format (version 0.0.4). Pure: the proxy updates them, the metrics
 * listener asks for the text.
 *
 * Label values are kept bounded by the callers (operation names from the route
 * table, profile names from the policy, status codes); as a last guard, a
 * metric holds at most `MAX_SERIES` label combinations, and any further one is
 * counted under every label `"other"`.
 *
 * `lib/metrics/`: the registry and the proxy's metrics, pure. Imports only `lib/`'s root.
 */

export const MAX_SERIES = 2000;
const OTHER = "other";

/** `\`, `"` and newlines escaped, as label values need. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : "\\" + c);
}

/** `\` and newlines escaped, as HELP text needs. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

/** A sample value as the format writes it. */
export function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type Kind = "counter" | "gauge" | "histogram";

/** What a registry needs of a metric. */
interface Exposed {
  readonly name: string;
  readonly kind: Kind;
  render(out: string[]): void;
}

abstract class Metric<T> implements Exposed {
  readonly series = new Map<string, { labels: readonly string[]; value: T }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly kind: Kind,
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`Invalid metric name: ${name}`);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith("__") || label === "le") {
        throw new Error(`Invalid label name for ${name}: ${label}`);
      }
    }
  }

  protected abstract initial(): T;

  /** The series for `labels` (one value per label name), created on first use. */
  protected at(labels: readonly string[]): { labels: readonly string[]; value: T } {
    if (labels.length !== this.labelNames.length) {
      throw new Error(
        `${this.name} takes ${this.labelNames.length} label values (${
          this.labelNames.join(", ")
        }), got ${labels.length}`,
      );
    }
    let key = labels.length === 1 ? labels[0] : labels.join("\u0000");
    let entry = this.series.get(key);
    if (entry === undefined) {
      if (this.series.size >= MAX_SERIES) {
        labels = labels.map(() => OTHER);
        key = labels.join("\u0000");
        entry = this.series.get(key);
        if (entry !== undefined) return entry;
      }
      entry = { labels: [...labels], value: this.initial() };
      this.series.set(key, entry);
    }
    return entry;
  }

  /** The sample lines, without HELP and TYPE. */
  abstract samples(out: string[]): void;

  /** HELP, TYPE and the samples. */
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`);
    out.push(`# TYPE ${this.name} ${this.kind}`);
    this.samples(out);
  }

  protected labelText(labels: readonly string[], extra = ""): string {
    const parts = labels.map((value, i) => `${this.labelNames[i]}="${escapeLabelValue(value)}"`);
    if (extra !== "") parts.push(extra);
    return parts.length === 0 ? "" : `{${parts.join(",")}}`;
  }
}

/** A value that only goes up. Its name ends in `_total`. */
export class Counter extends Metric<{ n: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, "counter");
    if (!name.endsWith("_total")) throw new Error(`A counter's name ends in _total: ${name}`);
    if (labelNames.length === 0) this.at([]);
  }

  protected initial() {
    return { n: 0 };
  }

  inc(labels: readonly string[] = [], by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name} only goes up: inc(${by})`);
    this.at(labels).value.n += by;
  }

  /** Sets a count kept elsewhere (which only goes up, such as the policy reloads). */
  set(labels: readonly string[], value: number): void {
    this.at(labels).value.n = value;
  }

  get(labels: readonly string[] = []): number {
    return this.at(labels).value.n;
  }

  samples(out: string[]): void {
    for (const { labels, value } of this.series.values()) {
      out.push(`${this.name}${this.labelText(labels)} ${formatValue(value.n)}`);
    }
  }
}

/** A value that goes up and down. */
export class Gauge extends Metric<{ n: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, "gauge");
    if (labelNames.length === 0) this.at([]);
  }

  protected initial() {
    return { n: 0 };
  }

  set(labels: readonly string[], value: number): void {
    this.at(labels).value.n = value;
  }

  get(labels: readonly string[] = []): number {
    return this.at(labels).value.n;
  }

  samples(out: string[]): void {
    for (const { labels, value } of this.series.values()) {
      out.push(`${this.name}${this.labelText(labels)} ${formatValue(value.n)}`);
    }
  }
}

interface HistogramValue {
  /** Per bucket, observations at most its bound (not cumulative; summed when written). */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** Observations counted into buckets by upper bound, with their sum and count. */
export class Histogram extends Metric<HistogramValue> {
  readonly bounds: readonly number[];

  constructor(
    name: string,
    help: string,
    bounds: readonly number[],
    labelNames: readonly string[] = [],
  ) {
    super(name, help, labelNames, "histogram");
    for (let i = 0; i < bounds.length; i++) {
      if (!Number.isFinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
        throw new Error(`${name}: bucket bounds must be finite and increasing`);
      }
    }
    this.bounds = bounds;
    if (labelNames.length === 0) this.at([]);
  }

  protected initial(): HistogramValue {
    return { buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 };
  }

  observe(labels: readonly string[], value: number): void {
    const entry = this.at(labels).value;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        entry.buckets[i]++;
        break;
      }
    }
    entry.sum += value;
    entry.count++;
  }

  samples(out: string[]): void {
    for (const { labels, value } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += value.buckets[i];
        out.push(
          `${this.name}_bucket${this.labelText(labels, `le="${formatValue(this.bounds[i])}"`)} ` +
            formatValue(cumulative),
        );
      }
      out.push(`${this.name}_bucket${this.labelText(labels, 'le="+Inf"')} ${value.count}`);
      out.push(`${this.name}_sum${this.labelText(labels)} ${formatValue(value.sum)}`);
      out.push(`${this.name}_count${this.labelText(labels)} ${value.count}`);
    }
  }
}

/** The metrics one exposition holds, written in the order they were registered. */
export class Registry {
  readonly #metrics: Exposed[] = [];
  readonly #collectors: (() => void)[] = [];

  register<M extends Exposed>(metric: M): M {
    if (this.#metrics.some((m) => m.name === metric.name)) {
      throw new Error(`Metric registered twice: ${metric.name}`);
    }
    this.#metrics.push(metric);
    return metric;
  }

  /** `collect` runs before every exposition, to set values read from elsewhere (gauges). */
  onCollect(collect: () => void): void {
    this.#collectors.push(collect);
  }

  /** Names of the metrics as exposed (histograms with their `_bucket`, `_sum` and `_count`). */
  get names(): string[] {
    return this.#metrics.flatMap((m) =>
      m.kind === "histogram"
        ? [m.name, `${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`]
        : [m.name]
    );
  }

  /** The exposition text. */
  render(): string {
    for (const collect of this.#collectors) collect();
    const out: string[] = [];
    for (const metric of this.#metrics) metric.render(out);
    return out.join("\n") + "\n";
  }
}

/** The content type of `Registry.render()`. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
