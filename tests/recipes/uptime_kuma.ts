/**
 * Uptime Kuma 2 (plain axios, `server/model/monitor.js` and `server/docker.js`):
 * every heartbeat of a "Docker Container" monitor inspects the container by
 * the name or ID the user typed; the "Test" button of a Docker host lists all
 * containers. Unversioned paths, no ping.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertRefused,
  type Endpoint,
  fixture,
  hostFor,
  json,
  removeAll,
  type Replay,
  uniqueId,
  type Variant,
} from "./replay.ts";

const HEADERS: { headers: [string, string][] } = {
  headers: [
    ["Accept", "application/json, text/plain, */*"],
    ["User-Agent", "Uptime-Kuma/2.5.3"],
  ],
};

export const uptimeKuma: Replay = {
  app: "Uptime Kuma",
  async run(endpoint: Endpoint, _variant: Variant) {
    const id = uniqueId();
    const db = `sp-kuma-db-${id}`;
    try {
      const dbId = await fixture(db, { env: ["POSTGRES_PASSWORD=hunter2"] });
      // tcp://socket-proxy:2375 becomes http://socket-proxy:2375; a socket path, Host localhost.
      const api = new Api(endpoint, hostFor(endpoint, "localhost"));

      // Heartbeats: by name, as typed; then by ID.
      for (const name of [db, db, dbId.slice(0, 12)]) {
        const answer = await api.get(`/containers/${name}/json`, HEADERS);
        assertEngine(answer, 200, `inspect ${name}`);
        const state = json(answer).State;
        assert.equal(state.Running, true);
        assert.equal(state.Status, "running");
        assert.equal(state.Paused, false);
        assert.equal(state.Restarting, false);
        // No health check: running is UP.
        assert.equal(state.Health, undefined);
        assert.ok(json(answer).Config.Env.includes("POSTGRES_PASSWORD=<scrubbed by socket-proxy>"));
      }

      // The "Test" button: an array, with ImageID in its first item.
      const list = await api.get("/containers/json?all=true", HEADERS);
      assertEngine(list, 200, "the container list");
      assert.ok(Array.isArray(json(list)) && "ImageID" in json(list)[0]);

      // What Uptime Kuma never calls is refused.
      assertRefused(await api.get(`/containers/${db}/logs?stdout=1`, HEADERS));
      assertRefused(await api.post(`/containers/${db}/restart`, undefined, HEADERS));
      assertRefused(await api.get("/events", HEADERS));
      assertRefused(await api.get("/_ping", HEADERS));
    } finally {
      await removeAll([db]);
    }
  },
};
