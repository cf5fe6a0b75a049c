import assert from "node:assert/strict";
import { ProxyMetrics } from "../../../lib/metrics/proxy_metrics.ts";

const DASHBOARD = new URL("../../../examples/grafana/socket-proxy-dashboard.json", import.meta.url);

/** Every PromQL expression in the dashboard: panel targets and template queries. */
function expressions(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => expressions(item, out));
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (
        (key === "expr" || key === "query" || key === "definition") && typeof value === "string"
      ) {
        out.push(value);
      } else expressions(value, out);
    }
  }
  return out;
}

Deno.test("the example Grafana dashboard queries only metrics the proxy exports", async () => {
  const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD));
  const exported = new Set(
    new ProxyMetrics({ version: "0", runtime: "0", startedAt: 0, residentMemory: () => 0 })
      .registry.names,
  );
  const exprs = expressions(dashboard.panels).concat(expressions(dashboard.templating));
  assert.ok(exprs.length >= 10, `${exprs.length} expressions`);
  const used = new Set<string>();
  for (const expr of exprs.filter((e) => e !== "prometheus")) {
    const names = [...expr.matchAll(/\b(?:socket_proxy|process)_[a-z_]+\b/g)].map((m) => m[0]);
    assert.ok(names.length > 0, `names no metric: ${expr}`);
    for (const name of names) {
      assert.ok(exported.has(name), `${name} is not exported (in ${expr})`);
      used.add(name);
    }
  }
  for (const name of exported) {
    if (/_(sum|count)$/.test(name) || name === "socket_proxy_request_duration_seconds") continue;
    assert.ok(used.has(name), `no panel shows ${name}`);
  }
  for (const panel of dashboard.panels) {
    assert.ok(panel.title && panel.gridPos && panel.targets?.length > 0, JSON.stringify(panel));
  }
});
