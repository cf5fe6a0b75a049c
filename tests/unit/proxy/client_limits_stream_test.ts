/**
 * What the per-client limits count as a stream (`MAX_CLIENT_STREAMS`) rather
 * than a finite request (`MAX_CLIENT_REQUESTS`, the fair share): what
 * `ENGINE_TIMEOUT` exempts, read from the same route and query.
 */
import assert from "node:assert/strict";
import { engineDeadline } from "../../../lib/proxy/engine_deadline.ts";
import { ROUTES } from "../../../lib/routes/engine_routes.ts";

/** Whether the pipeline hands the limits stage a stream for this request. */
function isStreamRequest(operation: string | null, query: string, upgrade: boolean): boolean {
  const route = operation === null ? null : ROUTES.find((r) => r.operation === operation);
  assert.ok(route !== undefined, `${operation} is an operation of the route table`);
  return engineDeadline(route, query, upgrade).kind === "exempt";
}

Deno.test("a request is a stream when its route and query say it will stay open", async (t) => {
  const cases: [string, string | null, string, boolean, boolean][] = [
    ["an upgrade is a tunnel whatever the route", "ContainerList", "", true, true],
    ["events always stream", "SystemEvents", "", false, true],
    ["libpod events always stream", "LibpodSystemEvents", "?stream=false", false, true],
    ["a pull streams its progress", "ImageCreate", "?fromImage=busybox", false, true],
    ["wait holds the connection", "ContainerWait", "", false, true],
    ["exec start streams", "ExecStart", "", false, true],
    ["an export streams", "ContainerExport", "", false, true],
    ["logs without follow are finite", "ContainerLogs", "?stdout=1", false, false],
    ["logs with follow=1 stream", "ContainerLogs", "?stdout=1&follow=1", false, true],
    ["logs with follow=true stream", "LibpodContainerLogs", "?follow=true", false, true],
    ["logs with follow=0 are finite", "ContainerLogs", "?follow=0", false, false],
    ["logs with follow=no are finite", "ContainerLogs", "?follow=no", false, false],
    ["logs with follow=none are finite", "ServiceLogs", "?follow=none", false, false],
    ["logs with an empty follow are finite", "TaskLogs", "?follow=", false, false],
    ["follow as a bare key is finite (empty value)", "ContainerLogs", "?follow", false, false],
    ["the first follow counts, as Go reads it", "ContainerLogs", "?follow=1&follow=0", false, true],
    ["a percent-encoded key counts", "ContainerLogs", "?%66ollow=1", false, true],
    ["a malformed escape is read as written", "ContainerLogs", "?follow=%zz", false, true],
    ["stats stream by default", "ContainerStats", "", false, true],
    ["stats with stream=false are finite", "ContainerStats", "?stream=false", false, false],
    ["stats with stream=0 are finite", "LibpodContainerStats", "?stream=0", false, false],
    ["stats with stream=1 stream", "ContainerStats", "?stream=1", false, true],
    [
      "stats with stream=+false+ (spaces) are finite",
      "ContainerStats",
      "?stream=+false+",
      false,
      false,
    ],
    ["a list is finite", "ContainerList", "?all=1", false, false],
    ["no route is finite", null, "", false, false],
  ];
  for (const [name, operation, query, upgrade, stream] of cases) {
    await t.step(name, () => assert.equal(isStreamRequest(operation, query, upgrade), stream));
  }
});

Deno.test("every operation that streams is known as one", async (t) => {
  const always = [
    "SystemEvents",
    "LibpodSystemEvents",
    "ContainerAttach",
    "ContainerAttachWebsocket",
    "LibpodContainerAttach",
    "ExecStart",
    "LibpodExecStart",
    "Session",
    "ContainerWait",
    "LibpodContainerWait",
    "ImageCreate",
    "LibpodImagePull",
    "ImagePush",
    "LibpodImagePush",
    "ImageBuild",
    "LibpodImageBuild",
    "LibpodLocalBuild",
    "ImageLoad",
    "LibpodImageLoad",
    "LibpodImageImport",
    "ImageGet",
    "ImageGetAll",
    "LibpodImageGet",
    "LibpodImageExport",
    "ContainerExport",
    "LibpodContainerExport",
    "PluginPull",
    "PluginPush",
    "LibpodManifestPush",
    "LibpodArtifactPull",
    "LibpodArtifactPush",
  ];
  for (const operation of always) {
    await t.step(
      `${operation} always`,
      () => assert.equal(isStreamRequest(operation, "", false), true),
    );
  }
  for (const operation of ["ContainerLogs", "LibpodContainerLogs", "ServiceLogs", "TaskLogs"]) {
    await t.step(`${operation} with follow=1`, () => {
      assert.equal(isStreamRequest(operation, "?follow=1", false), true);
      assert.equal(isStreamRequest(operation, "", false), false);
    });
  }
  for (
    const operation of [
      "ContainerStats",
      "LibpodContainerStats",
      "LibpodContainersStatsAll",
    ]
  ) {
    await t.step(`${operation} unless stream=0`, () => {
      assert.equal(isStreamRequest(operation, "", false), true);
      assert.equal(isStreamRequest(operation, "?stream=0", false), false);
    });
  }
  await t.step(
    "LibpodPodStatsAll only with stream=1 (false when absent, as the route table says)",
    () => {
      assert.equal(isStreamRequest("LibpodPodStatsAll", "", false), false);
      assert.equal(isStreamRequest("LibpodPodStatsAll", "?stream=1", false), true);
    },
  );
});
