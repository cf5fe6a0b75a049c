/**
 * Traefik's docker provider (v3.6.16+, v3.7, v2.11.45+: moby/client v0.4.0),
 * as `pkg/provider/docker/pdocker.go` and `shared.go` call the engine: an
 * implicit `HEAD /_ping` negotiates the version, then `/version`, the list of
 * every container, an inspect of each, and the container event stream; a
 * start, die or health event lists and inspects again.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertHidden,
  assertRefused,
  docker,
  type Endpoint,
  EVENTS_ACCEPT,
  fixture,
  hostFor,
  json,
  negotiated,
  queryEscape,
  removeAll,
  type Replay,
  uniqueId,
  type Variant,
} from "./replay.ts";

/** moby/client v0.4.0's `MaxAPIVersion`. */
const CLIENT_MAX = "1.54";
const USER_AGENT: [string, string] = ["User-Agent", "Traefik 3.7.9"];
const EVENTS_FILTER = '{"type":{"container":true}}';

export const traefik: Replay = {
  app: "Traefik (docker provider)",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const web = `sp-traefik-web-${id}`;
    const later = `sp-traefik-later-${id}`;
    const db = `sp-traefik-db-${id}`;
    const routed = {
      "traefik.enable": "true",
      "traefik.http.routers.web.rule": "Host(`web.example`)",
    };
    try {
      const webId = await fixture(web, { labels: routed, env: ["API_KEY=hunter2"] });
      // Listed with all=1 although not running; started later, while Traefik watches.
      const laterId = await fixture(later, { labels: routed, created: true });
      // Not routed: the recipe hides it from Traefik.
      const dbId = await fixture(db, { env: ["POSTGRES_PASSWORD=hunter2"] });
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const headers = { headers: [USER_AGENT] };

      // The first call of a new client negotiates: HEAD /_ping, the version from Api-Version.
      const ping = await api.request("HEAD", "/_ping", headers);
      assertEngine(ping, 200, "HEAD /_ping");
      assert.ok(ping.headers.get("api-version"), "HEAD /_ping answers Api-Version");
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;

      const version = json(await api.get(`${v}/version`, headers));
      assert.ok(version.Version && version.ApiVersion, "/version: Version and ApiVersion");

      /** listContainers: the list (for IDs), then an inspect of each. */
      const listAndInspect = async () => {
        const list = await api.get(`${v}/containers/json?all=1`, headers);
        assertEngine(list, 200, "the container list");
        const ids = json(list).map((c: { Id: string }) => c.Id) as string[];
        assert.ok(ids.includes(webId) && ids.includes(laterId), "both routed containers listed");
        assert.ok(!ids.includes(dbId), "the unrouted container is not listed");
        // deno-lint-ignore no-explicit-any
        const inspected = new Map<string, Record<string, any>>();
        for (const cid of ids) {
          const answer = await api.get(`${v}/containers/${cid}/json`, headers);
          assertEngine(answer, 200, `inspect ${cid}`);
          inspected.set(cid, json(answer));
        }
        return inspected;
      };

      const inspected = await listAndInspect();
      const info = inspected.get(webId)!;
      // What Traefik reads (shared.go): ID, Name, State, HostConfig.NetworkMode, Config.Labels,
      // NetworkSettings.Ports and .Networks.
      assert.equal(info.Id, webId);
      assert.equal(info.Name, `/${web}`);
      assert.equal(info.State.Status, "running");
      assert.equal(info.HostConfig.NetworkMode, "none");
      assert.equal(info.Config.Labels["traefik.http.routers.web.rule"], "Host(`web.example`)");
      assert.ok("none" in info.NetworkSettings.Networks, "NetworkSettings.Networks");
      assert.ok("Ports" in info.NetworkSettings, "NetworkSettings.Ports");
      // It never reads the environment: the recipe scrubs the values.
      assert.ok(info.Config.Env.includes("API_KEY=<scrubbed by socket-proxy>"), info.Config.Env);
      assert.equal(inspected.get(laterId)!.State.Status, "created");
      // A container Traefik does not route answers 404, which it logs at debug level only.
      assertHidden(await api.get(`${v}/containers/${dbId}/json`, headers), dbId);

      // The event stream, with Traefik's filter, in map-of-bool form.
      const events = await api.stream(
        "GET",
        `${v}/events?filters=${queryEscape(EVENTS_FILTER)}`,
        { headers: [USER_AGENT, ...EVENTS_ACCEPT] },
      );
      try {
        assert.equal(events.status, 200, events.text);
        await docker("kill", "--signal", "HUP", db); // An event of a hidden container: dropped.
        await docker("start", later);
        await events.until(
          (s) => s.jsonLines.some((e) => e.Action === "start" && e.Actor?.ID === laterId),
          "start event of the routed container",
        );
        assert.ok(events.jsonLines.every((e) => e.Type === "container"), events.text);
        assert.ok(!events.text.includes(dbId), "no event of the hidden container");
      } finally {
        events.close();
      }
      // On a start event, Traefik lists and inspects again.
      assert.equal((await listAndInspect()).get(laterId)!.State.Status, "running");

      // Traefik <= v3.6.0 and v2.11.30 send a fixed /v1.24 with no ping (Docker < 29 only).
      assertEngine(await api.get("/v1.24/containers/json", headers), 200, "/v1.24 list");

      // What Traefik never calls is refused.
      assertRefused(await api.post(`${v}/containers/${webId}/stop`, undefined, headers));
      assertRefused(await api.get(`${v}/containers/${webId}/logs?stdout=1`, headers));
      if (variant === "policy") {
        // Events without Traefik's filter (images, networks, volumes, plugins...).
        assertRefused(await api.get(`${v}/events?until=1`, headers), /SystemEvents/);
        assertRefused(await api.get(`${v}/info`, headers), /SystemInfo/);
      } else {
        assertRefused(await api.get(`${v}/info`, headers), /INFO=1/);
      }
    } finally {
      await removeAll([web, later, db]);
    }
  },
};
