import assert from "node:assert/strict";
import { learnPolicy } from "../../../lib/policy/learn.ts";
import { parsePolicy } from "../../../lib/policy/policy_loader.ts";
import { ROUTES } from "../../../lib/routes/engine_routes.ts";

function record(fields: Record<string, unknown>): string {
  return JSON.stringify({
    time: "2026-11-28T00:00:00Z",
    level: "info",
    msg: "request",
    decision: "allowed",
    status: 200,
    ...fields,
  });
}

const LOG = [
  record({
    client: "172.18.0.5:4000",
    container: "traefik",
    method: "GET",
    path: "/v1.47/containers/json?all=1",
    operation: "ContainerList",
  }),
  record({
    client: "172.18.0.5:4000",
    container: "traefik",
    method: "GET",
    path: "/v1.47/containers/json?all=1",
    operation: "ContainerList",
  }),
  record({
    client: "172.18.0.5:4000",
    container: "traefik",
    method: "GET",
    path: '/v1.47/events?filters={"type":["container"]}',
    operation: "SystemEvents",
    decision: "would-deny",
    level: "warning",
  }),
  record({
    client: "172.18.0.9:5000",
    container: "autoheal",
    method: "POST",
    path: "/containers/abc/kill?signal=HUP",
    operation: "ContainerKill",
  }),
  record({
    client: "172.18.0.9:5000",
    container: "autoheal",
    method: "POST",
    path: "/containers/def/kill?signal=USR1",
    operation: "ContainerKill",
  }),
  record({
    client: "172.18.0.9:5000",
    container: "autoheal",
    method: "GET",
    path: "/containers/abc/logs?stdout=1&tail=10",
    operation: "ContainerLogs",
  }),
  record({ client: "127.0.0.1:6000", method: "GET", path: "/_ping", operation: "SystemPing" }),
  record({ client: "unix", method: "GET", path: "/version", operation: "SystemVersion" }),
  record({
    client: "127.0.0.1:6000",
    method: "GET",
    path: "/info",
    operation: "SystemInfo",
    decision: "denied",
    status: 403,
  }),
  record({ client: "127.0.0.1:6000", method: "GET", path: "/x", decision: "denied", status: 403 }),
  "not json",
  JSON.stringify({ msg: "Policy reloaded" }),
  "",
].join("\n");

Deno.test("learn makes a profile per client with a rule per operation it used", () => {
  const result = learnPolicy(LOG.split("\n"), ROUTES, new Date("2026-11-28T12:00:00Z"));
  assert.equal(result.clients, 4);
  assert.equal(result.requests, 8);
  assert.equal(result.skipped, 4);
  assert.equal(
    result.text,
    `# Learned by socket-proxy learn on 2026-11-28 from 8 requests: it allows exactly what the log shows.
# Review it, run the proxy with it in audit mode (MODE=audit) for a while, then enforce it.
version: 1
profiles:
  - name: autoheal # 3 requests
    match:
      container: { name: "autoheal" }
    rules:
      - allow: ContainerKill # 2 requests
        query:
          signal: ["HUP", "USR1"]
      - allow: ContainerLogs # 1 request
        query:
          follow: false
          stderr: false
          timestamps: false
          tail: ["10"]
  - name: traefik # 3 requests
    match:
      container: { name: "traefik" }
    rules:
      - allow: ContainerList # 2 requests
        query:
          size: false
      - allow: SystemEvents # 1 request
        query:
          filters: ["{\\"type\\":[\\"container\\"]}"]
  - name: 127.0.0.1 # 1 request
    match:
      source: "127.0.0.1"
    rules:
      - SystemPing # 1 request
  - name: unix # 1 request
    rules:
      - SystemVersion # 1 request
`,
  );
});

Deno.test("a learned policy loads, and allows what the log shows", () => {
  const { text } = learnPolicy(LOG.split("\n"), ROUTES);
  const policy = parsePolicy(text, "learned.yaml", ROUTES, { listeners: [], forceAudit: false });
  assert.deepEqual(policy.profiles.map((p) => p.name), [
    "autoheal",
    "traefik",
    "127.0.0.1",
    "unix",
  ]);
  assert.equal(policy.usesContainers, true);
});

Deno.test("learn from an empty log makes an empty policy that loads", () => {
  const result = learnPolicy([], ROUTES);
  assert.equal(result.clients, 0);
  const policy = parsePolicy(result.text, "learned.yaml", ROUTES, {
    listeners: [],
    forceAudit: false,
  });
  assert.equal(policy.profiles.length, 0);
});
