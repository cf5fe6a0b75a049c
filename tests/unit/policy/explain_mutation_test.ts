/**
 * `check` and `explain` in words: what users read to see what a profile
 * allows and why a request was decided as it was.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config/config.ts";
import { describePolicy, explainRequest, hostAccessWarnings } from "../../../lib/policy/explain.ts";
import { parseAddress } from "../../../lib/policy/cidr.ts";
import { parsePolicy } from "../../../lib/policy/policy_loader.ts";
import type { ClientContainer } from "../../../lib/policy/profile.ts";
import { routeMatcher, ROUTES } from "../../../lib/routes/engine_routes.ts";

const POLICY = `mode: enforce
profiles:
  - name: traefik
    match: { listener: "unix:/run/sp/traefik.sock" }
    rules: [SystemPing, ContainerList]
  - name: healer
    match:
      source: [10.0.0.0/8, "fd00::/8"]
      container: { name: [autoheal, "heal*"], labels: { role: healer, tier: null } }
    mode: audit
    rules:
      - allow: ContainerRestart
        target: { labels: { autoheal: "true" } }
      - allow: ContainerKill
        query: { signal: [SIGHUP] }
      - allow: ContainerAttachWebsocket
        query: { stdin: false }
  - name: lan
    match: { source: 192.168.0.0/16 }
    CONTAINERS: 1
    POST: 1
    HOST_ACCESS: 1
    CONTAINER_LABELS: [a=b, c]
    CONTAINER_NAMES: web*
    OWNER: team
    SCRUB_ENVS: 1
  - name: none
    match: { source: 172.16.0.0/12 }
  - name: defaults
    match: { source: 127.0.0.2 }
    PING: 1
`;
const policy = parsePolicy(POLICY, "/etc/sp/policy.yaml", ROUTES, {
  listeners: ["0.0.0.0:2375", "unix:/run/sp/traefik.sock"],
  forceAudit: false,
});
const env = parseConfig({ CONTAINERS: "1", POST: "1" }).config.policy;
const HEALER: ClientContainer = { id: "1", name: "heal-1", labels: { role: "healer", tier: "x" } };
const HOST_WARNING = "may create containers, and HOST_ACCESS=1 lets them ask for anything: a " +
  "privileged container or a bind mount of / makes them root on the host. Set HOST_ACCESS=0 to " +
  "refuse host access in what they create (see the README's Admission section)";

Deno.test("describePolicy() shows each profile's clients, mode, switches, rules, host access and scope", () => {
  assert.deepEqual(describePolicy(policy), [
    "policy: /etc/sp/policy.yaml, 5 profile(s), first match wins",
    'profile "traefik" (line 3)',
    "  clients:    listener unix:/run/sp/traefik.sock",
    "  mode:       enforce",
    "  rules:      2",
    "    rule 1 (SystemPing, line 5): 1 route(s)",
    "    rule 2 (ContainerList, line 5): 1 route(s)",
    "  host:       HOST_ACCESS=0: creates may not reach the host unless allowed",
    "  sees:       every container",
    'profile "healer" (line 6)',
    "  clients:    source 10.0.0.0/8 or fd00::/8, container named autoheal or heal*, container labelled role=healer and tier",
    "  mode:       audit",
    "  rules:      3",
    "    rule 1 (ContainerRestart on containers with labels autoheal=true, line 12): 1 route(s)",
    "    rule 2 (ContainerKill with signal in [SIGHUP], line 14): 1 route(s)",
    "    rule 3 (ContainerAttachWebsocket without stdin, line 16): 1 route(s)",
    "  host:       HOST_ACCESS=0: creates may not reach the host unless allowed",
    "  sees:       every container",
    'profile "lan" (line 18)',
    "  clients:    source 192.168.0.0/16",
    "  mode:       enforce",
    "  switches:   POST CONTAINERS EVENTS PING VERSION LIBPOD_PING LIBPOD_VERSION",
    "  host:       HOST_ACCESS=1: creates are not checked",
    "  sees:       containers labelled a=b or c; containers named web*; objects owned by team; environment values scrubbed",
    'profile "none" (line 27)',
    "  clients:    source 172.16.0.0/12",
    "  mode:       enforce",
    "  rules:      none: it allows nothing",
    "  host:       HOST_ACCESS=0: creates may not reach the host unless allowed",
    "  sees:       every container",
    'profile "defaults" (line 29)',
    "  clients:    source 127.0.0.2",
    "  mode:       enforce",
    "  switches:   EVENTS PING VERSION LIBPOD_PING LIBPOD_VERSION (the defaults)",
    "  host:       HOST_ACCESS=0: creates may not reach the host unless allowed",
    "  sees:       every container",
    "any other client: nothing is allowed",
  ]);
});

Deno.test("describePolicy() of the environment shows one profile, and says when it has the defaults", () => {
  assert.deepEqual(describePolicy(env), [
    "policy: from the environment, one profile for every client",
    'profile "default"',
    "  clients:    every client",
    "  mode:       enforce",
    "  switches:   POST CONTAINERS EVENTS PING VERSION LIBPOD_PING LIBPOD_VERSION",
    "  host:       HOST_ACCESS=1: creates are not checked",
    "  sees:       every container",
  ]);
  assert.deepEqual(describePolicy(parseConfig({ HOST_ACCESS: "0" }).config.policy).slice(4), [
    "  switches:   EVENTS PING VERSION LIBPOD_PING LIBPOD_VERSION (the defaults)",
    "  host:       HOST_ACCESS=0: creates may not reach the host unless allowed",
    "  sees:       every container",
  ]);
});

Deno.test("explainRequest() shows the route, the profile and the decision with its reason", async (t) => {
  const cases: [
    string,
    "file" | "env",
    string | null,
    string,
    ClientContainer | null,
    string,
    string,
    boolean,
    string[],
  ][] = [
    [
      "a rule allows it",
      "file",
      null,
      "unix:/run/sp/traefik.sock",
      null,
      "GET",
      "/v1.47/containers/json?all=1",
      true,
      [
        "  canonical:  /v1.47/containers/json?all=1",
        "  route:      GET /containers/json (ContainerList, Docker Engine API)",
        '  profile:    "traefik" (line 3), for listener unix:/run/sp/traefik.sock',
        "  decision:   allowed by rule 2 (ContainerList, line 5)",
      ],
    ],
    ["no rule allows it", "file", null, "unix:/run/sp/traefik.sock", null, "GET", "/info", false, [
      "  canonical:  /info",
      "  route:      GET /info (SystemInfo, Docker Engine API)",
      '  profile:    "traefik" (line 3), for listener unix:/run/sp/traefik.sock',
      '  decision:   denied (403): Forbidden by socket-proxy: GET /info (SystemInfo) is not allowed for profile "traefik": no rule allows SystemInfo (add SystemInfo to its rules)',
    ]],
    [
      "the target is refused",
      "file",
      null,
      "unix:/run/sp/traefik.sock",
      null,
      "GET",
      "/containers//json",
      false,
      ["  decision:   refused (400): Empty path segment (// or a trailing /)"],
    ],
    ["no such route", "file", null, "unix:/run/sp/traefik.sock", null, "GET", "/nothing", false, [
      "  canonical:  /nothing",
      "  route:      none: the engine serves no such route",
      '  profile:    "traefik" (line 3), for listener unix:/run/sp/traefik.sock',
      "  decision:   denied (403): Forbidden by socket-proxy: GET /nothing is no Docker Engine API route",
    ]],
    [
      "a rule on the target's labels",
      "file",
      "10.1.2.3",
      "0.0.0.0:2375",
      HEALER,
      "POST",
      "/containers/x/restart",
      true,
      [
        "  canonical:  /containers/x/restart",
        "  route:      POST /containers/{name:.*}/restart (ContainerRestart, Docker Engine API)",
        '  profile:    "healer" (line 6), for source 10.0.0.0/8 or fd00::/8, container named autoheal or heal*, container labelled role=healer and tier',
        "  decision:   allowed only on containers with labels autoheal=true",
      ],
    ],
    [
      "audit mode",
      "file",
      "10.1.2.3",
      "0.0.0.0:2375",
      HEALER,
      "POST",
      "/containers/x/kill?signal=KILL",
      true,
      [
        "  canonical:  /containers/x/kill?signal=KILL",
        "  route:      POST /containers/{name:.*}/kill (ContainerKill, Docker Engine API)",
        '  profile:    "healer" (line 6), for source 10.0.0.0/8 or fd00::/8, container named autoheal or heal*, container labelled role=healer and tier',
        '  decision:   would be denied (audit mode forwards it): is not allowed for profile "healer": rule 2 (ContainerKill with signal in [SIGHUP], line 14) does not allow it: signal="KILL"',
      ],
    ],
    [
      "an ambiguous query",
      "file",
      "10.1.2.3",
      "0.0.0.0:2375",
      HEALER,
      "POST",
      "/containers/x/kill?signal=HUP;x",
      false,
      [
        "  canonical:  /containers/x/kill?signal=HUP;x",
        "  route:      POST /containers/{name:.*}/kill (ContainerKill, Docker Engine API)",
        '  profile:    "healer" (line 6), for source 10.0.0.0/8 or fd00::/8, container named autoheal or heal*, container labelled role=healer and tier',
        "  decision:   denied (400): Refused by socket-proxy: POST /containers/x/kill (ContainerKill): Query holds a ';', which engines read differently: use '&'",
      ],
    ],
    [
      "a one-way tunnel",
      "file",
      "10.1.2.3",
      "0.0.0.0:2375",
      HEALER,
      "GET",
      "/containers/x/attach/ws?stdout=1",
      true,
      [
        "  canonical:  /containers/x/attach/ws?stdout=1",
        "  route:      GET /containers/{name:.*}/attach/ws (ContainerAttachWebsocket, Docker Engine API)",
        '  profile:    "healer" (line 6), for source 10.0.0.0/8 or fd00::/8, container named autoheal or heal*, container labelled role=healer and tier',
        "  decision:   allowed by rule 3 (ContainerAttachWebsocket without stdin, line 16)",
        "  tunnel:     nothing the client sends reaches the engine",
      ],
    ],
    [
      "switches deny a libpod route",
      "file",
      "192.168.1.1",
      "0.0.0.0:2375",
      null,
      "GET",
      "/libpod/containers/json",
      false,
      [
        "  canonical:  /libpod/containers/json",
        "  route:      GET /libpod/containers/json (LibpodContainerList, Podman's libpod API)",
        '  profile:    "lan" (line 18), for source 192.168.0.0/16',
        '  decision:   denied (403): Forbidden by socket-proxy: GET /libpod/containers/json (LibpodContainerList) is not allowed for profile "lan": no rule allows LibpodContainerList (add LibpodContainerList to its rules); its switches would need LIBPOD_CONTAINERS=1',
      ],
    ],
    [
      "switches allow it",
      "file",
      "192.168.1.1",
      "0.0.0.0:2375",
      null,
      "GET",
      "/containers/json",
      true,
      [
        "  canonical:  /containers/json",
        "  route:      GET /containers/json (ContainerList, Docker Engine API)",
        '  profile:    "lan" (line 18), for source 192.168.0.0/16',
        "  decision:   allowed by CONTAINERS=1",
      ],
    ],
    ["no profile matches", "file", "8.8.8.8", "0.0.0.0:2375", null, "GET", "/_ping", false, [
      "  canonical:  /_ping",
      "  route:      GET /_ping (SystemPing, Docker Engine API)",
      "  profile:    none matches this client",
      "  decision:   denied (403): Forbidden by socket-proxy: GET /_ping (SystemPing) is not allowed: no profile in /etc/sp/policy.yaml matches this client",
    ]],
    [
      "the environment denies",
      "env",
      "8.8.8.8",
      "0.0.0.0:2375",
      null,
      "GET",
      "/images/json",
      false,
      [
        "  canonical:  /images/json",
        "  route:      GET /images/json (ImageList, Docker Engine API)",
        "  profile:    the environment's",
        "  decision:   denied (403): Forbidden by socket-proxy: GET /images/json (ImageList) needs IMAGES=1",
      ],
    ],
    [
      "the environment allows",
      "env",
      "8.8.8.8",
      "0.0.0.0:2375",
      null,
      "GET",
      "/containers/json",
      true,
      [
        "  canonical:  /containers/json",
        "  route:      GET /containers/json (ContainerList, Docker Engine API)",
        "  profile:    the environment's",
        "  decision:   allowed by CONTAINERS=1",
      ],
    ],
  ];
  for (const [name, which, address, listener, container, method, target, allowed, lines] of cases) {
    await t.step(name, () => {
      const client = {
        listener,
        address: address === null ? null : parseAddress(address),
        container,
      };
      const result = explainRequest(
        which === "env" ? env : policy,
        routeMatcher(),
        client,
        method,
        target,
      );
      assert.deepEqual(result, { allowed, lines: [`${method} ${target}`, ...lines] });
    });
  }
});

Deno.test("hostAccessWarnings() names the profiles that may create containers with HOST_ACCESS=1", () => {
  assert.deepEqual(hostAccessWarnings(policy, routeMatcher()), [
    `Clients of profile "lan" ${HOST_WARNING}`,
  ]);
  assert.deepEqual(hostAccessWarnings(env, routeMatcher()), [`Clients ${HOST_WARNING}`]);
  const libpod = parseConfig({ LIBPOD_CONTAINERS: "1", POST: "1" }).config.policy;
  assert.deepEqual(hostAccessWarnings(libpod, routeMatcher()), [`Clients ${HOST_WARNING}`]);
  assert.deepEqual(hostAccessWarnings(parseConfig({}).config.policy, routeMatcher()), []);
  const closed = parseConfig({ CONTAINERS: "1", POST: "1", HOST_ACCESS: "0" }).config.policy;
  assert.deepEqual(hostAccessWarnings(closed, routeMatcher()), []);
});

Deno.test("describePolicy() joins several listeners and names, and shows each part of a scope alone", () => {
  const small = parsePolicy(
    `profiles:
  - name: two
    match: { listener: ["0.0.0.0:2375", "unix:/run/sp/a.sock"] }
    CONTAINER_NAMES: [web, api]
    EVENTS: 0
    PING: 0
    VERSION: 0
    LIBPOD_PING: 0
    LIBPOD_VERSION: 0
  - name: owner
    match: { source: 10.0.0.1 }
    OWNER: team
  - name: scrub
    match: { source: 10.0.0.2 }
    SCRUB_ENVS: 1
    rules:
      - allow: ContainerRestart
        target: { labels: { a: b } }
      - allow: ContainerRestart
        target: { labels: { c: null } }
`,
    "/p.yaml",
    ROUTES,
    { listeners: ["0.0.0.0:2375", "unix:/run/sp/a.sock"], forceAudit: false },
  );
  const host = "  host:       HOST_ACCESS=0: creates may not reach the host unless allowed";
  assert.deepEqual(describePolicy(small), [
    "policy: /p.yaml, 3 profile(s), first match wins",
    'profile "two" (line 2)',
    "  clients:    listener 0.0.0.0:2375 or unix:/run/sp/a.sock",
    "  mode:       enforce",
    "  switches:   none",
    host,
    "  sees:       containers named web or api",
    'profile "owner" (line 10)',
    "  clients:    source 10.0.0.1",
    "  mode:       enforce",
    "  rules:      none: it allows nothing",
    host,
    "  sees:       objects owned by team",
    'profile "scrub" (line 13)',
    "  clients:    source 10.0.0.2",
    "  mode:       enforce",
    "  rules:      2",
    "    rule 1 (ContainerRestart on containers with labels a=b, line 17): 1 route(s)",
    "    rule 2 (ContainerRestart on containers with labels c, line 19): 1 route(s)",
    host,
    "  sees:       environment values scrubbed",
    "any other client: nothing is allowed",
  ]);
  const client = { listener: "x", address: parseAddress("10.0.0.2"), container: null };
  assert.equal(
    explainRequest(small, routeMatcher(), client, "POST", "/containers/x/restart").lines.at(-1),
    "  decision:   allowed only on containers with labels a=b, or labels c",
  );
});

Deno.test("check shows a profile's own ENGINE_TIMEOUT, and nothing for one without", async (t) => {
  const { describeProfile } = await import("../../../lib/policy/explain.ts");
  const load = (text: string) =>
    parsePolicy(text, "/etc/sp/policy.yaml", ROUTES, { listeners: [], forceAudit: false });
  const own = (value: string) =>
    describeProfile(
      load(`profiles:\n  - name: a\n    CONTAINERS: 1\n    ENGINE_TIMEOUT: ${value}\n`).profiles[0],
    ).filter((line) => line.startsWith("  engine:"));
  await t.step("90s", () => assert.deepEqual(own("90s"), ["  engine:     ENGINE_TIMEOUT=90s"]));
  await t.step("0", () => assert.deepEqual(own("0"), ["  engine:     ENGINE_TIMEOUT=0 (none)"]));
  await t.step("none given (null)", () => {
    const profile = load("profiles:\n  - name: a\n    CONTAINERS: 1\n").profiles[0];
    assert.equal(profile.engineTimeoutMs, null);
    assert.ok(!describeProfile(profile).some((line) => line.includes("engine:")));
  });
  await t.step("none given (absent)", () => {
    const policy = load("profiles:\n  - name: a\n    CONTAINERS: 1\n");
    assert.equal(policy.fallback.engineTimeoutMs, undefined);
    assert.ok(!describeProfile(policy.fallback).some((line) => line.includes("engine:")));
  });
});

Deno.test("check and explain name the preset a profile takes its rules from", async () => {
  const { findPreset } = await import("../../../lib/policy/presets.ts");
  const withPreset = parsePolicy(
    "profiles:\n  - name: proxy\n    match: { source: 10.0.0.3 }\n    preset: traefik\n",
    "/etc/sp/policy.yaml",
    ROUTES,
    { listeners: [], forceAudit: false },
  );
  assert.ok(
    describePolicy(withPreset).includes(`  preset:     traefik (${findPreset("traefik")!.app})`),
  );
  const client = { listener: "x", address: parseAddress("10.0.0.3"), container: null };
  const explained = explainRequest(withPreset, routeMatcher(), client, "GET", "/_ping").lines;
  assert.ok(
    explained.includes('  profile:    "proxy" (line 2), for source 10.0.0.3, preset traefik'),
    explained.join("\n"),
  );
});

Deno.test("check shows a profile's per-client limits and PROTECT_SELF when they are not the defaults", async (t) => {
  const { describeProfile } = await import("../../../lib/policy/explain.ts");
  const load = (text: string) =>
    parsePolicy(text, "/etc/sp/policy.yaml", ROUTES, { listeners: [], forceAudit: false });
  const lines = (settings: string) =>
    describeProfile(load(`profiles:\n  - name: a\n    CONTAINERS: 1\n${settings}`).profiles[0])
      .filter((line) => line.startsWith("  per client:") || line.startsWith("  self:"));
  const cases: [string, string, string[]][] = [
    ["the defaults: nothing", "", []],
    ["the defaults given: nothing", "    MAX_CLIENT_REQUESTS: 128\n    PROTECT_SELF: 1\n", []],
    [
      "a rate and fewer requests",
      "    MAX_CLIENT_REQUESTS: 10\n    RATE_LIMIT: 5\n    RATE_BURST: 20\n",
      ["  per client: MAX_CLIENT_REQUESTS=10, MAX_CLIENT_STREAMS=0 (no limit), RATE_LIMIT=5/s, RATE_BURST=20"],
    ],
    [
      "no request limit, a stream limit",
      "    MAX_CLIENT_REQUESTS: 0\n    MAX_CLIENT_STREAMS: 4\n",
      ["  per client: MAX_CLIENT_REQUESTS=0 (no limit, no fair share), MAX_CLIENT_STREAMS=4, RATE_LIMIT off"],
    ],
    [
      "only the rate differs, its burst one second's worth",
      "    RATE_LIMIT: 2\n",
      ["  per client: MAX_CLIENT_REQUESTS=128, MAX_CLIENT_STREAMS=0 (no limit), RATE_LIMIT=2/s, RATE_BURST=2"],
    ],
    [
      "only the requests differ",
      "    MAX_CLIENT_REQUESTS: 64\n",
      ["  per client: MAX_CLIENT_REQUESTS=64, MAX_CLIENT_STREAMS=0 (no limit), RATE_LIMIT off"],
    ],
    [
      "only the streams differ",
      "    MAX_CLIENT_STREAMS: 8\n",
      ["  per client: MAX_CLIENT_REQUESTS=128, MAX_CLIENT_STREAMS=8, RATE_LIMIT off"],
    ],
    [
      "PROTECT_SELF off",
      "    PROTECT_SELF: 0\n",
      ["  self:       PROTECT_SELF=0: may stop, change or exec into the proxy's own container"],
    ],
  ];
  for (const [name, settings, expected] of cases) {
    await t.step(name, () => assert.deepEqual(lines(settings), expected));
  }
});
