/**
 * Dozzle (moby/client v0.5.1), default settings, as `internal/docker/client.go`
 * and its callers call the engine: an explicit `HEAD /_ping` at start (fatal
 * if refused), `/info` twice, `/version`, the list, the event stream (no
 * filters), an inspect of every container not exited, then what the UI asks
 * for: followed logs with timestamps, stats streams, a range of old logs.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertRefused,
  demultiplex,
  docker,
  type Endpoint,
  EVENTS_ACCEPT,
  fixture,
  hostFor,
  json,
  negotiated,
  removeAll,
  type Replay,
  uniqueId,
  type Variant,
} from "./replay.ts";

const CLIENT_MAX = "1.55";
const USER_AGENT: [string, string] = ["User-Agent", "Docker-Client/Dozzle"];

/** moby's `timestamp.GetTimestamp` output for a time: `seconds.nanoseconds`. */
function goTimestamp(ms: number): string {
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, "0")}`;
}

export const dozzle: Replay = {
  app: "Dozzle",
  async run(endpoint: Endpoint, _variant: Variant) {
    const id = uniqueId();
    const app = `sp-dozzle-app-${id}`;
    const done = `sp-dozzle-done-${id}`;
    try {
      const appId = await fixture(app, { env: ["LOG_LEVEL=debug"] });
      const doneId = await fixture(done, { command: ["true"] });
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const headers = { headers: [USER_AGENT] };

      // NewLocalClient: the explicit ping negotiates; Info (twice), then Version.
      const ping = await api.request("HEAD", "/_ping", headers);
      assertEngine(ping, 200, "HEAD /_ping");
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;
      for (let i = 0; i < 2; i++) {
        const info = json(await api.get(`${v}/info`, headers));
        for (
          const field of ["ID", "NCPU", "MemTotal", "ServerVersion", "OperatingSystem", "Name"]
        ) {
          assert.ok(info[field] !== undefined, `/info ${field}`);
        }
        assert.ok("NodeID" in info.Swarm, "/info Swarm.NodeID");
      }
      const version = json(await api.get(`${v}/version`, headers));
      assert.ok(Array.isArray(version.Components) && version.Platform, "/version for Podman");

      // The store: list, the event stream, list again, inspect what is not exited.
      const list = async () => {
        const answer = await api.get(`${v}/containers/json?all=1`, headers);
        assertEngine(answer, 200, "the container list");
        return json(answer) as { Id: string; State: string; Names: string[] }[];
      };
      assert.ok((await list()).some((c) => c.Id === doneId), "exited containers are listed");
      const events = await api.stream("GET", `${v}/events`, {
        headers: [USER_AGENT, ...EVENTS_ACCEPT],
      });
      try {
        assert.equal(events.status, 200, events.text);
        const containers = await list();
        for (const c of containers.filter((c) => c.State !== "exited")) {
          assertEngine(await api.get(`${v}/containers/${c.Id}/json`, headers), 200, "inspect");
        }
        const info = json(await api.get(`${v}/containers/${appId}/json`, headers));
        // Dozzle shows the environment in its container details: not scrubbed.
        assert.ok(info.Config.Env.includes("LOG_LEVEL=debug"));
        assert.equal(info.Config.Tty, false, "not a TTY: the logs are multiplexed");
        const started = Date.parse(info.State.StartedAt);

        // The log view: followed, with timestamps, the last 100 lines, keys in Go's order.
        const since = goTimestamp(started - 50);
        const logs = await api.stream(
          "GET",
          `${v}/containers/${appId}/logs?follow=1&since=${since}&stderr=1&stdout=1&tail=100&timestamps=1`,
          headers,
        );
        try {
          assert.equal(logs.status, 200, logs.text);
          // Two lines, whichever: under load the engine may record StartedAt after the first
          // tick, which `since` then leaves out, as it would for Dozzle.
          await logs.until(
            (s) => demultiplex(s.bytes).filter((f) => / tick \d+\n$/.test(f.text)).length >= 2,
            "two followed log lines",
          );
          const frame = demultiplex(logs.bytes)[0];
          assert.equal(frame.stream, 1, "stdout");
          assert.match(frame.text, /^\d{4}-\d\d-\d\dT[\d:.]+Z tick \d+\n$/);
        } finally {
          logs.close();
        }

        // The stats collector: one stream per running container.
        const stats = await api.stream(
          "GET",
          `${v}/containers/${appId}/stats?stream=true`,
          headers,
        );
        try {
          assert.equal(stats.status, 200, stats.text);
          await stats.until((s) => s.jsonLines.length >= 1, "a stats sample");
          const sample = stats.jsonLines[0];
          assert.ok(sample.cpu_stats && sample.precpu_stats && sample.memory_stats, stats.text);
          assert.ok("blkio_stats" in sample, "blkio_stats");
        } finally {
          stats.close();
        }

        // An event Dozzle reacts to.
        await docker("kill", "--signal", "HUP", app);
        await events.until(
          (s) => s.jsonLines.some((e) => e.Type === "container" && e.Actor?.ID === appId),
          "an event of the container",
        );
        const event = events.jsonLines.find((e) => e.Actor?.ID === appId);
        assert.equal(event.Action, "kill");
        assert.equal(event.Actor.Attributes.name, app);
      } finally {
        events.close();
      }

      // "Load more" and download: a range of old logs, no follow, no tail.
      const range = await api.get(
        `${v}/containers/${appId}/logs?since=${
          goTimestamp(Date.now() - 60_000)
        }&stderr=1&stdout=1` +
          `&timestamps=1&until=${goTimestamp(Date.now())}`,
        headers,
      );
      assertEngine(range, 200, "old logs");
      assert.ok(demultiplex(range.body).some((f) => f.text.includes("tick 1")), range.text);

      // Actions and the shell are off by default: refused.
      assertRefused(await api.post(`${v}/containers/${appId}/stop`, undefined, headers));
      assertRefused(await api.request("DELETE", `${v}/containers/${appId}`, headers));
      assertRefused(
        await api.post(`${v}/containers/${appId}/exec`, {
          Tty: true,
          AttachStdin: true,
          AttachStdout: true,
          AttachStderr: true,
          Cmd: ["sh"],
        }, headers),
      );
      assertRefused(await api.get(`${v}/containers/${appId}/top`, headers));
    } finally {
      await removeAll([app, done]);
    }
  },
};
