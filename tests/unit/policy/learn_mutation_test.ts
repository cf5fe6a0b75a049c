import assert from "node:assert/strict";
import { learnPolicy } from "../../../lib/policy/learn.ts";
import { parsePolicy } from "../../../lib/policy/policy_loader.ts";
import { ROUTES } from "../../../lib/routes/engine_routes.ts";

const NOW = new Date("2026-11-28T23:59:59Z");
const record = (fields: Record<string, unknown>) =>
  JSON.stringify({ msg: "request", decision: "allowed", ...fields });
const header = (requests: number) => [
  `# Learned by socket-proxy learn on ${NOW.toISOString().slice(0, 10)} from ${requests} ` +
  `request${requests === 1 ? "" : "s"}: it allows exactly what the log shows.`,
  "# Review it, run the proxy with it in audit mode (MODE=audit) for a while, then enforce it.",
  "version: 1",
  "profiles:",
];

Deno.test("learnPolicy() writes a profile per client, a rule per operation, with what the queries show", () => {
  const lines = [
    "",
    "  ",
    "not json",
    JSON.stringify({ msg: "listening" }),
    record({ decision: "denied", client: "10.0.0.9:1", path: "/info", operation: "SystemInfo" }),
    record({ client: "10.0.0.9:1", method: "GET", path: "/info" }),
    record({ client: "10.0.0.9:1", method: "GET", operation: "SystemInfo" }),
    record({
      client: "172.18.0.5:40000",
      container: "traefik",
      path: "/v1.47/containers/json?all=1",
      operation: "ContainerList",
    }),
    record({
      client: "172.18.0.5:40001",
      container: "traefik",
      path: "/v1.47/containers/json?all=0&limit=5",
      operation: "ContainerList",
    }),
    record({
      client: "172.18.0.5:1",
      container: "traefik",
      path: "/_ping",
      operation: "SystemPing",
    }),
    record({
      client: "10.0.0.7:5",
      path: "/containers/x/kill?signal=HUP",
      operation: "ContainerKill",
      decision: "would-deny",
    }),
    record({
      client: "10.0.0.7:6",
      path: "/containers/y/kill?signal=USR1",
      operation: "ContainerKill",
    }),
    record({
      client: "10.0.0.7:6",
      path: "/containers/y/logs?follow=1&tail=10",
      operation: "ContainerLogs",
    }),
    record({
      client: "[fd00::5]:7",
      path: "/containers/y/logs?tail=10;x",
      operation: "ContainerLogs",
    }),
    record({ client: "unix", path: "/version", operation: "SystemVersion" }),
  ];
  const result = learnPolicy(lines, ROUTES, NOW);
  assert.deepEqual({ ...result, text: "" }, { text: "", clients: 4, requests: 8, skipped: 5 });
  assert.equal(
    result.text,
    [
      ...header(8),
      "  - name: traefik # 3 requests",
      "    match:",
      '      container: { name: "traefik" }',
      "    rules:",
      "      - allow: ContainerList # 2 requests",
      "        query:",
      "          size: false",
      "      - SystemPing # 1 request",
      "  - name: 10.0.0.7 # 3 requests",
      "    match:",
      '      source: "10.0.0.7"',
      "    rules:",
      "      - allow: ContainerKill # 2 requests",
      "        query:",
      '          signal: ["HUP", "USR1"]',
      "      - allow: ContainerLogs # 1 request",
      "        query:",
      "          stdout: false",
      "          stderr: false",
      "          timestamps: false",
      '          tail: ["10"]',
      "  - name: fd00-5 # 1 request",
      "    match:",
      '      source: "fd00::5"',
      "    rules:",
      "      - allow: ContainerLogs # 1 request",
      "        query:",
      "          follow: false",
      "          stdout: false",
      "          stderr: false",
      "          timestamps: false",
      "  - name: unix # 1 request",
      "    rules:",
      "      - SystemVersion # 1 request",
      "",
    ].join("\n"),
  );
  const policy = parsePolicy(result.text, "learned.yaml", ROUTES, {
    listeners: [],
    forceAudit: false,
  });
  assert.deepEqual(policy.profiles.map((p) => p.name), ["traefik", "10.0.0.7", "fd00-5", "unix"]);
});

Deno.test("learnPolicy() matches by listener when there are several, and names profiles safely", () => {
  const lines = [
    record({
      client: "unix",
      listener: "unix:/run/a.sock",
      path: "/_ping",
      operation: "SystemPing",
    }),
    record({
      client: "unix",
      listener: "unix:/run/b.sock",
      path: "/containers/x/kill?signal=1&signal=2",
      operation: "ContainerKill",
    }),
    record({ client: "10.1.1.1:5", path: "/images/create?fromImage=a*", operation: "ImageCreate" }),
    ...["1", "1", "2", "3", "4", "5", "6"].map((limit) =>
      record({
        client: "10.1.1.1:5",
        path: `/containers/json?limit=${limit}`,
        operation: "ContainerList",
      })
    ),
    record({ client: "10.1.1.1:5", path: "/nope", operation: "NoSuchOperation" }),
    record({ container: "a b", client: "x", path: "/_ping", operation: "SystemPing" }),
    record({ container: "a-b", client: "x", path: "/_ping", operation: "SystemPing" }),
    record({ container: "--", client: "x", path: "/_ping", operation: "SystemPing" }),
    record({ container: "x".repeat(60), client: "x", path: "/_ping", operation: "SystemPing" }),
  ];
  const result = learnPolicy(lines, ROUTES, NOW);
  assert.deepEqual({ ...result, text: "" }, { text: "", clients: 7, requests: 15, skipped: 0 });
  const ping = ["    rules:", "      - SystemPing # 1 request"];
  assert.equal(
    result.text,
    [
      ...header(15),
      "  - name: client # 1 request",
      "    match:",
      '      container: { name: "--" }',
      ...ping,
      "  - name: a-b # 1 request",
      "    match:",
      '      container: { name: "a b" }',
      ...ping,
      "  - name: a-b-2 # 1 request",
      "    match:",
      '      container: { name: "a-b" }',
      ...ping,
      `  - name: ${"x".repeat(50)} # 1 request`,
      "    match:",
      `      container: { name: "${"x".repeat(60)}" }`,
      ...ping,
      "  - name: unix-run-a.sock # 1 request",
      "    match:",
      '      listener: "unix:/run/a.sock"',
      ...ping,
      "  - name: unix-run-b.sock # 1 request",
      "    match:",
      '      listener: "unix:/run/b.sock"',
      "    rules:",
      "      - ContainerKill # 1 request",
      "  - name: 10.1.1.1 # 9 requests",
      "    match:",
      '      source: "10.1.1.1"',
      "    rules:",
      "      - allow: ContainerList # 7 requests",
      "        query:",
      "          all: false",
      "          size: false",
      "      - ImageCreate # 1 request",
      "      - NoSuchOperation # 1 request",
      "",
    ].join("\n"),
  );
});

Deno.test("learnPolicy() lists up to five values a parameter always had, in order", () => {
  const lines = ["9", "10", "3", "4", "5", "9"].map((limit) =>
    record({
      client: "10.2.2.2:5",
      path: `/containers/json?limit=${limit}&all=`,
      operation: "ContainerList",
    })
  );
  assert.equal(
    learnPolicy(lines, ROUTES, NOW).text,
    [
      ...header(6),
      "  - name: 10.2.2.2 # 6 requests",
      "    match:",
      '      source: "10.2.2.2"',
      "    rules:",
      "      - allow: ContainerList # 6 requests",
      "        query:",
      "          all: false",
      '          limit: ["10", "3", "4", "5", "9"]',
      "          size: false",
      "",
    ].join("\n"),
  );
});

Deno.test("learnPolicy() with no requests writes an empty policy and counts what it skipped", () => {
  const result = learnPolicy(["{}", "[", record({ operation: "SystemPing" })], ROUTES, NOW);
  assert.deepEqual(result, {
    text: [...header(0).slice(0, -1), "profiles: []"].join("\n") + "\n",
    clients: 0,
    requests: 0,
    skipped: 3,
  });
  assert.match(
    learnPolicy([], ROUTES).text,
    /^# Learned by socket-proxy learn on \d{4}-\d\d-\d\d /,
  );
});

Deno.test("learnPolicy() reads an unknown client as one address", () => {
  const text = learnPolicy([record({ path: "/_ping", operation: "SystemPing" })], ROUTES, NOW).text;
  assert.ok(
    text.includes('  - name: unknown # 1 request\n    match:\n      source: "unknown"\n'),
    text,
  );
});

Deno.test("learnPolicy() numbers a third profile of the same name, and reads addresses with long ports", () => {
  const lines = [
    record({ container: "a b", path: "/_ping", operation: "SystemPing" }),
    record({ container: "a-b", path: "/_ping", operation: "SystemPing" }),
    record({ container: "a/b", path: "/_ping", operation: "SystemPing" }),
    record({
      client: "10.3.3.3:40000",
      path: "/images/create?fromImage=a*",
      operation: "ImageCreate",
    }),
    record({
      client: "10.3.3.3:40001",
      path: "/images/create?fromImage=b",
      operation: "ImageCreate",
    }),
    record({
      client: "10.3.3.3:40001",
      path: "/containers/x/restart",
      operation: "ContainerRestart",
    }),
    JSON.stringify({
      msg: "other",
      decision: "allowed",
      client: "9.9.9.9:1",
      path: "/_ping",
      operation: "SystemPing",
    }),
  ];
  const result = learnPolicy(lines, ROUTES, NOW);
  assert.equal(result.skipped, 1, "only request records count");
  const ping = ["    rules:", "      - SystemPing # 1 request"];
  assert.equal(
    result.text,
    [
      ...header(6),
      "  - name: a-b # 1 request",
      "    match:",
      '      container: { name: "a b" }',
      ...ping,
      "  - name: a-b-2 # 1 request",
      "    match:",
      '      container: { name: "a-b" }',
      ...ping,
      "  - name: a-b-3 # 1 request",
      "    match:",
      '      container: { name: "a/b" }',
      ...ping,
      "  - name: 10.3.3.3 # 3 requests",
      "    match:",
      '      source: "10.3.3.3"',
      "    rules:",
      "      - ContainerRestart # 1 request",
      "      - ImageCreate # 2 requests",
      "",
    ].join("\n"),
  );
});

Deno.test("learnPolicy() matches by listener only when the log shows several", () => {
  const ping = (listener: string) =>
    record({ client: "unix", listener, path: "/_ping", operation: "SystemPing" });
  assert.equal(
    learnPolicy([ping("unix:/run/a.sock"), ping("unix:/run/b.sock")], ROUTES, NOW).text,
    [
      ...header(2),
      "  - name: unix-run-a.sock # 1 request",
      "    match:",
      '      listener: "unix:/run/a.sock"',
      "    rules:",
      "      - SystemPing # 1 request",
      "  - name: unix-run-b.sock # 1 request",
      "    match:",
      '      listener: "unix:/run/b.sock"',
      "    rules:",
      "      - SystemPing # 1 request",
      "",
    ].join("\n"),
  );
  assert.equal(
    learnPolicy([ping("unix:/run/a.sock")], ROUTES, NOW).text,
    [...header(1), "  - name: unix # 1 request", "    rules:", "      - SystemPing # 1 request", ""]
      .join("\n"),
  );
});

Deno.test("learnPolicy() reads an absent boolean as the engine does: stats without stream streams", () => {
  const stats = (path: string) =>
    record({ client: "10.0.0.7:1", method: "GET", path, operation: "ContainerStats" });
  const learned = (paths: string[]) =>
    learnPolicy(paths.map(stats), ROUTES, NOW).text.split("\n").filter((line) =>
      line.includes("stream")
    );
  // `stream` is true when absent: a client that never sent it streamed, so no `stream: false`.
  assert.deepEqual(learned(["/containers/a/stats"]), []);
  assert.deepEqual(learned(["/containers/a/stats?stream=0", "/containers/a/stats?stream=false"]), [
    "          stream: false",
  ]);
  assert.deepEqual(learned(["/containers/a/stats?stream=0", "/containers/a/stats"]), []);
});
