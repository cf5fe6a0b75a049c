import assert from "node:assert/strict";
import { ProxyMetrics } from "../../../lib/metrics/proxy_metrics.ts";
import { Counter, Gauge, Histogram, MAX_SERIES, Registry } from "../../../lib/metrics/registry.ts";
import { parsePrometheusText, sampleValue } from "../../helpers/prometheus_text.ts";

Deno.test("Registry writes counters, gauges and histograms that a strict parser reads back", () => {
  const registry = new Registry();
  const counter = registry.register(new Counter("t_requests_total", "Requests", ["code"]));
  const gauge = registry.register(new Gauge("t_open", "Open now\nwith a \\ in the help"));
  const histogram = registry.register(
    new Histogram("t_seconds", "Durations", [0.1, 1, 10], ["kind"]),
  );
  counter.inc(["200"]);
  counter.inc(["200"], 2);
  counter.inc(["403"]);
  gauge.set([], 7);
  for (const value of [0.05, 0.5, 0.5, 5, 50]) histogram.observe(["a"], value);
  histogram.observe(["b"], 0.1);
  const families = parsePrometheusText(registry.render());
  assert.equal(sampleValue(families, "t_requests_total", { code: "200" }), 3);
  assert.equal(sampleValue(families, "t_requests_total", { code: "403" }), 1);
  assert.equal(families.get("t_open")?.help, "Open now\nwith a \\ in the help");
  assert.equal(sampleValue(families, "t_open"), 7);
  const buckets = families.get("t_seconds")!.samples
    .filter((s) => s.name === "t_seconds_bucket" && s.labels.kind === "a")
    .map((s) => [s.labels.le, s.value]);
  assert.deepEqual(buckets, [["0.1", 1], ["1", 3], ["10", 4], ["+Inf", 5]]);
  assert.equal(sampleValue(families, "t_seconds_sum", { kind: "a" }), 56.05);
  assert.equal(sampleValue(families, "t_seconds_count", { kind: "b" }), 1);
  assert.equal(sampleValue(families, "t_seconds_bucket", { kind: "b", le: "0.1" }), 1);
});

Deno.test("Registry escapes label values so they read back exactly", async (t) => {
  for (const value of ['a"b', "a\\b", "a\nb", 'end\\"', '{x="y"}', "日本"]) {
    await t.step(JSON.stringify(value), () => {
      const registry = new Registry();
      registry.register(new Counter("t_total", "T", ["v"])).inc([value]);
      const families = parsePrometheusText(registry.render());
      assert.deepEqual(families.get("t_total")!.samples[0].labels, { v: value });
    });
  }
});

Deno.test("Registry folds label combinations past its limit into other", () => {
  const registry = new Registry();
  const counter = registry.register(new Counter("t_total", "T", ["id"]));
  for (let i = 0; i < MAX_SERIES + 50; i++) counter.inc([`id-${i}`]);
  const families = parsePrometheusText(registry.render());
  assert.equal(families.get("t_total")!.samples.length, MAX_SERIES + 1);
  assert.equal(sampleValue(families, "t_total", { id: "other" }), 50);
});

Deno.test("Registry refuses names the format does not allow", async (t) => {
  const cases: [string, () => unknown][] = [
    ["a counter not ending in _total", () => new Counter("t_requests", "T")],
    ["a metric name with a dash", () => new Gauge("t-open", "T")],
    ["a label named le", () => new Histogram("t_seconds", "T", [1], ["le"])],
    ["a reserved label name", () => new Gauge("t_open", "T", ["__name"])],
    ["buckets out of order", () => new Histogram("t_seconds", "T", [1, 0.5])],
    ["a counter going down", () => new Counter("t_total", "T").inc([], -1)],
    ["the wrong number of label values", () => new Counter("t_total", "T", ["a"]).inc([])],
  ];
  for (const [name, make] of cases) await t.step(name, () => assert.throws(make));
});

Deno.test("the test parser refuses what the text format does not allow", async (t) => {
  const H = "# HELP x X\n# TYPE x counter\n";
  const HIST = "# HELP h H\n# TYPE h histogram\n";
  const cases: [string, string][] = [
    ["no trailing newline", `${H}x 1`],
    ["a sample before its TYPE", "# HELP x X\nx 1\n"],
    ["a sample without HELP", "# TYPE x counter\nx 1\n"],
    ["a second TYPE", `${H}# TYPE x counter\nx 1\n`],
    ["an unknown type", "# HELP x X\n# TYPE x meter\nx 1\n"],
    ["an unquoted label", `${H}x{a=b} 1\n`],
    ["an invalid escape", `${H}x{a="\\t"} 1\n`],
    ["a label twice", `${H}x{a="1",a="2"} 1\n`],
    ["the same series twice", `${H}x{a="1"} 1\nx{a="1"} 2\n`],
    ["not a number", `${H}x one\n`],
    ["a negative counter", `${H}x -1\n`],
    [
      "samples of a family apart",
      `${H}x{a="1"} 1\n# HELP y Y\n# TYPE y gauge\ny 1\nx{a="2"} 1\n`,
    ],
    [
      "buckets not cumulative",
      `${HIST}h_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n`,
    ],
    ["no +Inf bucket", `${HIST}h_bucket{le="1"} 1\nh_sum 1\nh_count 1\n`],
    ["a count unlike +Inf", `${HIST}h_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n`],
    ["no _sum", `${HIST}h_bucket{le="+Inf"} 1\nh_count 1\n`],
    [
      "buckets out of order",
      `${HIST}h_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n`,
    ],
    ["a bucket without le", `${HIST}h_bucket 1\nh_sum 1\nh_count 1\n`],
  ];
  for (const [name, text] of cases) {
    await t.step(name, () => assert.throws(() => parsePrometheusText(text)));
  }
});

Deno.test("ProxyMetrics keeps every label value bounded", () => {
  const metrics = new ProxyMetrics({
    version: "1.2.3",
    runtime: "2.9.6",
    startedAt: 1_700_000_000_500,
  });
  metrics.request("allowed", 200, "default", "SystemPing", 0.002);
  metrics.request("allowed", 200, "default", "SystemPing", 0.004);
  metrics.request("rejected", 400, "default", null, 0);
  metrics.request("something new", 999, "default", null, 0);
  metrics.engineError("connect");
  const families = parsePrometheusText(metrics.render());
  const requests = (labels: Record<string, string>) =>
    sampleValue(families, "socket_proxy_requests_total", labels);
  assert.equal(requests({ decision: "allowed", status: "200", operation: "SystemPing" }), 2);
  assert.equal(requests({ decision: "rejected", operation: "none" }), 1);
  assert.equal(requests({ decision: "other", status: "other" }), 1);
  assert.equal(sampleValue(families, "socket_proxy_engine_errors_total", { kind: "connect" }), 1);
  assert.equal(sampleValue(families, "socket_proxy_engine_errors_total", { kind: "response" }), 0);
  assert.equal(
    sampleValue(families, "socket_proxy_request_duration_seconds_count", { decision: "allowed" }),
    2,
  );
  assert.equal(
    sampleValue(families, "socket_proxy_build_info", { version: "1.2.3", deno: "2.9.6" }),
    1,
  );
  assert.equal(sampleValue(families, "process_start_time_seconds"), 1_700_000_000);
  assert.equal(sampleValue(families, "socket_proxy_policy_reloads_total", { result: "ok" }), 0);
});

Deno.test("ProxyMetrics reads live figures and reload counts when rendered", () => {
  const metrics = new ProxyMetrics({ version: "1", runtime: "2", startedAt: 0 });
  const figures = { connections: 3, streams: 1, tunnels: 2, engineOpen: 5, engineIdle: 4 };
  const reloads = { loaded: 2, failed: 1 };
  metrics.watchServer(() => figures);
  metrics.watchReloads(reloads);
  let families = parsePrometheusText(metrics.render());
  assert.equal(sampleValue(families, "socket_proxy_connections_open"), 3);
  assert.equal(sampleValue(families, "socket_proxy_streams_open"), 1);
  assert.equal(sampleValue(families, "socket_proxy_tunnels_open"), 2);
  assert.equal(sampleValue(families, "socket_proxy_engine_connections", { state: "busy" }), 1);
  assert.equal(sampleValue(families, "socket_proxy_policy_reloads_total", { result: "error" }), 1);
  figures.tunnels = 0;
  reloads.loaded = 3;
  families = parsePrometheusText(metrics.render());
  assert.equal(sampleValue(families, "socket_proxy_tunnels_open"), 0);
  assert.equal(sampleValue(families, "socket_proxy_policy_reloads_total", { result: "ok" }), 3);
});
