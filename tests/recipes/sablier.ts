/**
 * Sablier 1.16.2 (docker provider; moby/client v0.5.0, which negotiates up to
 * API 1.55), as `pkg/provider/docker/*.go` calls the engine: the implicit
 * `HEAD /_ping`, `/version`, the groups (the labelled containers, with and
 * without `all=1`), a `die` event stream, then a session: inspect by name,
 * start; at its end inspect, stop, wait for not-running (the `die` event
 * arrives); with the pause strategy pause, inspect, unpause.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertHidden,
  assertRefused,
  type Endpoint,
  EVENTS_ACCEPT,
  fixture,
  hostFor,
  json,
  negotiated,
  queryEscape,
  removeAll,
  type Replay,
  testImage,
  uniqueId,
  type Variant,
} from "./replay.ts";
import { mobyAgent } from "./replay_extra_b.ts";

/** moby/client v0.5.0's `MaxAPIVersion`. */
const CLIENT_MAX = "1.55";
const AGENT = mobyAgent("v0.5.0");
const GROUPS_FILTER = '{"label":{"sablier.enable=true":true}}';
const DIE_FILTER = '{"event":{"die":true},"type":{"container":true}}';
const GROUP_WATCH_FILTER = '{"event":{"create":true,"destroy":true},"type":{"container":true}}';

export const sablier: Replay = {
  app: "Sablier",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const web = `sp-sablier-web-${id}`;
    const paused = `sp-sablier-paused-${id}`;
    const db = `sp-sablier-db-${id}`;
    try {
      // Managed and stopped: started on the first request.
      await fixture(web, {
        labels: { "sablier.enable": "true", "sablier.group": "web" },
        env: ["SECRET=hunter2"],
        args: ["--restart", "unless-stopped"],
        created: true,
      });
      // Managed and running: paused and unpaused with the pause strategy.
      await fixture(paused, { labels: { "sablier.enable": "true", "sablier.group": "batch" } });
      // Not managed.
      const dbId = await fixture(db);
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const headers = { headers: [AGENT] };

      const ping = await api.request("HEAD", "/_ping", headers);
      assertEngine(ping, 200, "HEAD /_ping");
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;
      const get = (path: string) => api.get(`${v}${path}`, headers);
      const post = (path: string) => api.request("POST", `${v}${path}`, headers);

      const version = json(await get("/version"));
      assert.ok(version.Version && version.ApiVersion, "/version: Version and APIVersion");

      // InstanceGroups (all=1) and StopAllUnregisteredInstances (running ones only).
      const groups = await get(`/containers/json?all=1&filters=${queryEscape(GROUPS_FILTER)}`);
      assertEngine(groups, 200, "the groups");
      const listed = json(groups) as { Names: string[]; Labels: Record<string, string> }[];
      const byName = new Map(listed.map((c) => [c.Names[0].slice(1), c.Labels]));
      assert.equal(byName.get(web)?.["sablier.group"], "web", "Names[0] and Labels");
      assert.equal(byName.get(paused)?.["sablier.group"], "batch");
      assert.ok(!byName.has(db), "an unmanaged container is not a group member");
      const running = json(await get(`/containers/json?filters=${queryEscape(GROUPS_FILTER)}`));
      assert.ok(running.every((c: { State: string }) => c.State === "running"));

      // The group watch and the stopped-instance watch, each a filtered container event stream.
      const watch = await api.stream(
        "GET",
        `${v}/events?filters=${queryEscape(GROUP_WATCH_FILTER)}`,
        {
          headers: [AGENT, ...EVENTS_ACCEPT],
        },
      );
      watch.close();
      assert.equal(watch.status, 200, watch.text);
      const events = await api.stream("GET", `${v}/events?filters=${queryEscape(DIE_FILTER)}`, {
        headers: [AGENT, ...EVENTS_ACCEPT],
      });
      try {
        assert.equal(events.status, 200, events.text);

        // A request for web: inspect by name (created: starting), start, inspect (running).
        const before = json(await get(`/containers/${web}/json`));
        assert.equal(before.State.Status, "created");
        assert.equal(before.State.Running, false);
        assert.equal(before.Config.Labels["sablier.enable"], "true");
        assert.equal(before.Config.Image, testImage());
        assert.equal(before.HostConfig.RestartPolicy.Name, "unless-stopped");
        assert.ok(!before.Config.Env.includes("SECRET=hunter2"), "the environment is scrubbed");
        assertEngine(await post(`/containers/${web}/start`), 204, "start");
        const started = json(await get(`/containers/${web}/json`));
        assert.equal(started.State.Status, "running");
        assert.equal(started.State.Health, undefined, "no health check: ready once running");

        // The session expired: inspect, stop, wait until not running.
        assert.equal(json(await get(`/containers/${web}/json`)).State.Paused, false);
        assertEngine(await post(`/containers/${web}/stop`), 204, "stop");
        const waited = await post(`/containers/${web}/wait?condition=not-running`);
        assertEngine(waited, 200, "wait");
        assert.equal(typeof json(waited).StatusCode, "number");
        await events.until(
          (s) => s.jsonLines.some((e) => e.Action === "die" && e.Actor?.Attributes?.name === web),
          "the die event, named",
        );
        const stopped = json(await get(`/containers/${web}/json`));
        assert.equal(stopped.State.Status, "exited");
        assert.equal(typeof stopped.State.ExitCode, "number");
      } finally {
        events.close();
      }

      // The pause strategy: pause; later inspect (Paused), unpause.
      assertEngine(await post(`/containers/${paused}/pause`), 204, "pause");
      assert.equal(json(await get(`/containers/${paused}/json`)).State.Paused, true);
      assertEngine(await post(`/containers/${paused}/unpause`), 204, "unpause");

      // A depends_on look-up: no container of that compose project and service.
      const compose = '{"label":{"com.docker.compose.project=demo":true,' +
        '"com.docker.compose.service=db":true}}';
      assertEngine(
        await get(`/containers/json?all=1&filters=${queryEscape(compose)}`),
        200,
        "the depends_on look-up",
      );

      // What Sablier may not do: act on a container it does not manage, anything else.
      if (variant === "policy") {
        assertRefused(
          await post(`/containers/${db}/start`),
          /only on containers with labels sablier\.enable=true/,
        );
        assertRefused(await post(`/containers/${db}/stop`), /sablier\.enable=true/);
        assertRefused(await get("/containers/json?all=1"), /filters/);
        assertRefused(await get("/events"), /SystemEvents/);
      } else {
        assertHidden(await post(`/containers/${db}/stop`), db);
        assertHidden(await get(`/containers/${dbId}/json`), dbId);
      }
      assertRefused(
        await api.post(`${v}/containers/${paused}/exec`, { Cmd: ["sh"] }, headers),
      );
      assertRefused(await get("/images/json"));
      assertRefused(await get(`/containers/${paused}/logs?stdout=1`));
    } finally {
      await removeAll([web, paused, db]);
    }
  },
};
