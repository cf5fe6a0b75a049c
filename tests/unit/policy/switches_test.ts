import assert from "node:assert/strict";
import { makeFlags } from "../../../lib/policy/flags.ts";
import { evaluatePolicy, explainDenial } from "../../../lib/policy/switches.ts";
import { isTargetError, parseRequestTarget } from "../../../lib/http/request_target.ts";

type Case = [
  name: string,
  method: string,
  path: string,
  flags: Record<string, boolean>,
  allowed: boolean,
  upgrade?: boolean,
];

function decide(method: string, path: string, flags: Record<string, boolean>, upgrade = false) {
  const target = parseRequestTarget(path);
  if (isTargetError(target)) throw new Error(`Bad test path ${path}: ${target.error}`);
  const all = makeFlags(flags);
  const decision = evaluatePolicy(all, { method, segments: target.segments, upgrade });
  return { decision, reason: explainDenial(all, decision) };
}

const ID = "3f4e5d6c7b8a";

// Every rule of linuxserver's haproxy.cfg, in its order, plus the near misses.
const CASES: Case[] = [
  // Defaults: EVENTS, PING, VERSION on; everything else off.
  ["defaults allow GET /_ping", "GET", "/_ping", {}, true],
  ["defaults allow HEAD /_ping", "HEAD", "/_ping", {}, true],
  ["defaults allow GET /version", "GET", "/v1.41/version", {}, true],
  ["defaults allow GET /events", "GET", "/v1.47/events", {}, true],
  ["defaults deny GET /containers/json", "GET", "/containers/json", {}, false],
  ["defaults deny GET /info", "GET", "/info", {}, false],
  ["defaults deny GET / (no section)", "GET", "/", {}, false],
  ["PING=0 denies /_ping", "GET", "/_ping", { PING: false }, false],
  ["VERSION=0 denies /version", "GET", "/version", { VERSION: false }, false],

  // Sections match whole segments, case-sensitively like the engine's router.
  [
    "CONTAINERS=1 allows GET /containers/json",
    "GET",
    "/containers/json",
    { CONTAINERS: true },
    true,
  ],
  [
    "CONTAINERS=1 does not allow /containersXYZ",
    "GET",
    "/containersXYZ/json",
    { CONTAINERS: true },
    false,
  ],
  [
    "CONTAINERS=1 does not allow /CONTAINERS/json",
    "GET",
    "/CONTAINERS/json",
    { CONTAINERS: true },
    false,
  ],
  ["IMAGES=1 does not allow /containers", "GET", "/containers/json", { IMAGES: true }, false],
  ["IMAGES=1 allows image names with slashes", "GET", "/images/library/busybox:latest/json", {
    IMAGES: true,
  }, true],
  ["NETWORKS=1 allows GET /networks", "GET", "/networks", { NETWORKS: true }, true],
  ["INFO=1 allows GET /info", "GET", "/v1.41/info", { INFO: true }, true],
  ["SYSTEM=1 allows GET /system/df", "GET", "/system/df", { SYSTEM: true }, true],
  ["DISTRIBUTION=1 allows GET /distribution/x/json", "GET", "/distribution/busybox/json", {
    DISTRIBUTION: true,
  }, true],

  // The POST gate: with POST=0 only GET and HEAD.
  [
    "POST=0 denies POST /containers/create",
    "POST",
    "/containers/create",
    { CONTAINERS: true },
    false,
  ],
  [
    "POST=0 denies DELETE /containers/{id}",
    "DELETE",
    `/containers/${ID}`,
    { CONTAINERS: true },
    false,
  ],
  ["POST=0 denies PUT /containers/{id}/archive", "PUT", `/containers/${ID}/archive`, {
    CONTAINERS: true,
    ALLOW_ARCHIVE: true,
  }, false],
  ["POST=0 denies OPTIONS", "OPTIONS", "/_ping", {}, false],
  ["POST=1 allows POST /containers/create", "POST", "/containers/create", {
    POST: true,
    CONTAINERS: true,
  }, true],
  ["POST=1 allows DELETE /volumes/x", "DELETE", "/volumes/x", { POST: true, VOLUMES: true }, true],
  ["POST=1 alone does not open a section", "POST", "/containers/create", { POST: true }, false],
  ["POST=1 allows POST /build", "POST", "/build", { POST: true, BUILD: true }, true],

  // ALLOW_START and friends pass POST /containers/{id}/<action> without POST or CONTAINERS.
  ["ALLOW_START allows POST start with POST=0", "POST", `/v1.41/containers/${ID}/start`, {
    ALLOW_START: true,
  }, true],
  ["ALLOW_STOP allows POST stop", "POST", `/containers/${ID}/stop`, { ALLOW_STOP: true }, true],
  [
    "ALLOW_RESTARTS allows POST stop",
    "POST",
    `/containers/${ID}/stop`,
    { ALLOW_RESTARTS: true },
    true,
  ],
  ["ALLOW_RESTARTS allows POST restart", "POST", `/containers/${ID}/restart`, {
    ALLOW_RESTARTS: true,
  }, true],
  ["ALLOW_RESTARTS allows POST kill", "POST", `/containers/${ID}/kill?signal=HUP`, {
    ALLOW_RESTARTS: true,
  }, true],
  ["ALLOW_PAUSE allows POST pause", "POST", `/containers/${ID}/pause`, { ALLOW_PAUSE: true }, true],
  ["ALLOW_UNPAUSE allows POST unpause", "POST", `/containers/${ID}/unpause`, {
    ALLOW_UNPAUSE: true,
  }, true],
  [
    "ALLOW_START does not allow stop",
    "POST",
    `/containers/${ID}/stop`,
    { ALLOW_START: true },
    false,
  ],
  [
    "ALLOW_STOP does not allow restart",
    "POST",
    `/containers/${ID}/restart`,
    { ALLOW_STOP: true },
    false,
  ],
  [
    "ALLOW_PAUSE does not allow unpause",
    "POST",
    `/containers/${ID}/unpause`,
    { ALLOW_PAUSE: true },
    false,
  ],
  ["ALLOW_START does not allow /start/extra", "POST", `/containers/${ID}/start/extra`, {
    ALLOW_START: true,
  }, false],
  [
    "ALLOW_START does not allow /startx",
    "POST",
    `/containers/${ID}/startx`,
    { ALLOW_START: true },
    false,
  ],
  [
    "ALLOW_START does not allow DELETE",
    "DELETE",
    `/containers/${ID}/start`,
    { ALLOW_START: true },
    false,
  ],
  ["ALLOW_START does not allow POST /containers/create", "POST", "/containers/create", {
    ALLOW_START: true,
  }, false],
  [
    "ALLOW_START does not allow images",
    "POST",
    `/images/${ID}/start`,
    { ALLOW_START: true },
    false,
  ],

  // ALLOW_ARCHIVE and friends deny even with CONTAINERS=1.
  ["CONTAINERS=1 without ALLOW_LOGS denies logs", "GET", `/containers/${ID}/logs`, {
    CONTAINERS: true,
  }, false],
  ["ALLOW_LOGS=1 with CONTAINERS=1 allows logs", "GET", `/containers/${ID}/logs?follow=1`, {
    CONTAINERS: true,
    ALLOW_LOGS: true,
  }, true],
  [
    "ALLOW_LOGS=1 alone does not allow logs",
    "GET",
    `/containers/${ID}/logs`,
    { ALLOW_LOGS: true },
    false,
  ],
  ["CONTAINERS=1 without ALLOW_ARCHIVE denies archive", "GET", `/containers/${ID}/archive?path=/`, {
    CONTAINERS: true,
  }, false],
  [
    "CONTAINERS=1 without ALLOW_ARCHIVE denies HEAD archive",
    "HEAD",
    `/containers/${ID}/archive?path=/`,
    { CONTAINERS: true },
    false,
  ],
  ["ALLOW_ARCHIVE allows GET archive", "GET", `/containers/${ID}/archive?path=/`, {
    CONTAINERS: true,
    ALLOW_ARCHIVE: true,
  }, true],
  ["ALLOW_ARCHIVE and POST allow PUT archive", "PUT", `/containers/${ID}/archive?path=/`, {
    POST: true,
    CONTAINERS: true,
    ALLOW_ARCHIVE: true,
  }, true],
  ["CONTAINERS=1 without ALLOW_EXPORT denies export", "GET", `/containers/${ID}/export`, {
    CONTAINERS: true,
  }, false],
  ["CONTAINERS=1 without ALLOW_CHANGES denies changes", "GET", `/containers/${ID}/changes`, {
    CONTAINERS: true,
  }, false],
  ["CONTAINERS=1 without ALLOW_TOP denies top", "GET", `/containers/${ID}/top`, {
    CONTAINERS: true,
  }, false],
  [
    "ALLOW_TOP allows top",
    "GET",
    `/containers/${ID}/top`,
    { CONTAINERS: true, ALLOW_TOP: true },
    true,
  ],
  [
    "guards compare case-insensitively",
    "GET",
    `/containers/${ID}/LOGS`,
    { CONTAINERS: true },
    false,
  ],
  ["guards cover deeper paths", "GET", `/containers/${ID}/logs/x`, { CONTAINERS: true }, false],
  [
    "guards do not touch other actions",
    "GET",
    `/containers/${ID}/json`,
    { CONTAINERS: true },
    true,
  ],
  ["guards do not touch images", "GET", `/images/${ID}/logs`, { IMAGES: true }, true],

  // Read-only means read-only: a GET that opens a channel is a write.
  ["POST=0 denies GET attach/ws", "GET", `/containers/${ID}/attach/ws?stdin=1`, {
    CONTAINERS: true,
  }, false],
  ["POST=0 denies GET attach/ws in any case", "GET", `/containers/${ID}/ATTACH/WS`, {
    CONTAINERS: true,
  }, false],
  ["POST=1 allows GET attach/ws", "GET", `/containers/${ID}/attach/ws`, {
    POST: true,
    CONTAINERS: true,
  }, true],
  [
    "POST=0 denies a GET asking for an upgrade",
    "GET",
    "/containers/json",
    { CONTAINERS: true },
    false,
    true,
  ],
  [
    "POST=1 allows a GET asking for an upgrade",
    "GET",
    "/containers/json",
    { POST: true, CONTAINERS: true },
    true,
    true,
  ],

  // Exec needs EXEC=1, creating one too.
  ["CONTAINERS=1 and POST=1 without EXEC deny exec create", "POST", `/containers/${ID}/exec`, {
    POST: true,
    CONTAINERS: true,
  }, false],
  ["EXEC=1 and POST=1 allow exec create", "POST", `/containers/${ID}/exec`, {
    POST: true,
    EXEC: true,
  }, true],
  ["EXEC=1 without POST denies exec create", "POST", `/containers/${ID}/exec`, {
    EXEC: true,
    CONTAINERS: true,
  }, false],
  [
    "EXEC=1 and POST=1 allow exec start",
    "POST",
    `/exec/${ID}/start`,
    { POST: true, EXEC: true },
    true,
    true,
  ],
  ["EXEC=1 allows GET exec json", "GET", `/exec/${ID}/json`, { EXEC: true }, true],
  ["CONTAINERS=1 does not allow /exec", "GET", `/exec/${ID}/json`, { CONTAINERS: true }, false],

  // Hijacked and h2c endpoints.
  [
    "POST attach needs CONTAINERS and POST",
    "POST",
    `/containers/${ID}/attach?stream=1`,
    { POST: true, CONTAINERS: true },
    true,
    true,
  ],
  [
    "POST attach denied with POST=0",
    "POST",
    `/containers/${ID}/attach?stream=1`,
    { CONTAINERS: true },
    false,
    true,
  ],
  [
    "SESSION=1 and POST=1 allow /session",
    "POST",
    "/session",
    { POST: true, SESSION: true },
    true,
    true,
  ],
  ["GRPC=1 and POST=1 allow /grpc", "POST", "/grpc", { POST: true, GRPC: true }, true, true],
  ["SESSION=0 denies /session", "POST", "/session", { POST: true }, false, true],

  // libpod, independent of the Docker switches.
  ["LIBPOD_CONTAINERS=1 allows libpod containers", "GET", "/v4.0.0/libpod/containers/json", {
    LIBPOD_CONTAINERS: true,
  }, true],
  ["CONTAINERS=1 does not allow libpod containers", "GET", "/v4.0.0/libpod/containers/json", {
    CONTAINERS: true,
  }, false],
  ["LIBPOD_CONTAINERS=1 does not allow docker containers", "GET", "/containers/json", {
    LIBPOD_CONTAINERS: true,
  }, false],
  ["LIBPOD_PING is on by default", "GET", "/v5.4.2/libpod/_ping", {}, true],
  ["LIBPOD_VERSION is on by default", "GET", "/libpod/version", {}, true],
  ["LIBPOD_INFO is off by default", "GET", "/libpod/info", {}, false],
  ["LIBPOD_PODS=1 allows pods", "GET", "/libpod/pods/json", { LIBPOD_PODS: true }, true],
  ["ALLOW_START applies to libpod containers", "POST", `/v5.0.0/libpod/containers/${ID}/start`, {
    ALLOW_START: true,
  }, true],
  ["LIBPOD_ALLOW_START applies to libpod containers", "POST", `/libpod/containers/${ID}/start`, {
    LIBPOD_ALLOW_START: true,
  }, true],
  ["LIBPOD_ALLOW_START does not apply to docker containers", "POST", `/containers/${ID}/start`, {
    LIBPOD_ALLOW_START: true,
  }, false],
  ["ALLOW_RESTARTS applies to libpod pods", "POST", `/libpod/pods/${ID}/restart`, {
    ALLOW_RESTARTS: true,
  }, true],
  ["LIBPOD_ALLOW_POD_STOP applies to pods", "POST", `/libpod/pods/${ID}/stop`, {
    LIBPOD_ALLOW_POD_STOP: true,
  }, true],
  ["LIBPOD_ALLOW_POD_STOP does not apply to containers", "POST", `/libpod/containers/${ID}/stop`, {
    LIBPOD_ALLOW_POD_STOP: true,
  }, false],
  ["ALLOW_LOGS guards libpod logs", "GET", `/libpod/containers/${ID}/logs`, {
    LIBPOD_CONTAINERS: true,
  }, false],
  ["ALLOW_LOGS opens libpod logs", "GET", `/libpod/containers/${ID}/logs`, {
    LIBPOD_CONTAINERS: true,
    ALLOW_LOGS: true,
  }, true],
  [
    "ALLOW_TOP guards libpod pod top",
    "GET",
    `/libpod/pods/${ID}/top`,
    { LIBPOD_PODS: true },
    false,
  ],
  ["libpod exec create needs LIBPOD_EXEC", "POST", `/libpod/containers/${ID}/exec`, {
    POST: true,
    LIBPOD_CONTAINERS: true,
  }, false],
  ["libpod exec create with LIBPOD_EXEC", "POST", `/libpod/containers/${ID}/exec`, {
    POST: true,
    LIBPOD_EXEC: true,
  }, true],
  ["/libpod alone is no section", "GET", "/libpod", { LIBPOD_CONTAINERS: true }, false],
  ["/libpod/libpod is no section", "GET", "/libpod/libpod/containers/json", {
    LIBPOD_CONTAINERS: true,
  }, false],
];

Deno.test("evaluatePolicy() follows linuxserver's rules on canonical paths", async (t) => {
  for (const [name, method, path, flags, allowed, upgrade] of CASES) {
    await t.step(`${name} (${method} ${path})`, () => {
      const { decision } = decide(method, path, flags, upgrade);
      assert.equal(decision.allowed, allowed);
    });
  }
});

Deno.test("evaluatePolicy() denies POST /containers/create when POST=0", () => {
  const { decision, reason } = decide("POST", "/v1.41/containers/create", { CONTAINERS: true });
  assert.equal(decision.allowed, false);
  assert.equal(reason, "needs POST=1");
});

Deno.test("explainDenial() names every switch a refused request needs", async (t) => {
  const cases: [string, string, Record<string, boolean>, string, boolean?][] = [
    ["GET", "/containers/json", {}, "needs CONTAINERS=1"],
    ["POST", "/containers/create", {}, "needs POST=1 and CONTAINERS=1"],
    ["GET", `/containers/${ID}/logs`, { CONTAINERS: true }, "needs ALLOW_LOGS=1"],
    ["GET", `/containers/${ID}/logs`, {}, "needs ALLOW_LOGS=1 and CONTAINERS=1"],
    [
      "POST",
      `/containers/${ID}/stop`,
      {},
      "needs ALLOW_STOP=1, or ALLOW_RESTARTS=1, or POST=1 and CONTAINERS=1",
    ],
    ["POST", `/containers/${ID}/exec`, { CONTAINERS: true }, "needs POST=1 and EXEC=1"],
    [
      "GET",
      `/containers/${ID}/attach/ws`,
      { CONTAINERS: true },
      "needs POST=1 (attach/ws writes to the container)",
    ],
    ["GET", "/nothing/here", {}, "matches no API section this proxy can allow"],
  ];
  for (const [method, path, flags, expected] of cases) {
    await t.step(`${method} ${path} ${expected}`, () => {
      assert.equal(decide(method, path, flags).reason, expected);
    });
  }
});

Deno.test("evaluatePolicy() ignores inherited object keys as sections", () => {
  for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    const { decision } = decide("GET", `/${name}`, {});
    assert.equal(decision.allowed, false, name);
    assert.deepEqual(decision.requires, [], name);
  }
});
