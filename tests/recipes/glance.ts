/**
 * Glance v0.8.5's docker-containers widget
 * (`internal/glance/widget-docker-containers.go`): Go's `net/http`, no Docker
 * client, one unversioned `GET /containers/json?all=true` per refresh
 * (`all=false` with `running-only: true`), reading `Names[0]`, `Image`,
 * `State`, `Status` and the `glance.*` labels.
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
  testImage,
  uniqueId,
  type Variant,
} from "./replay.ts";

const HEADERS: { headers: [string, string][] } = {
  headers: [["User-Agent", "Go-http-client/1.1"], ["Accept-Encoding", "gzip"]],
};

interface Summary {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  Status: string;
  Labels: Record<string, string>;
}

export const glance: Replay = {
  app: "Glance",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const web = `sp-glance-web-${id}`;
    const idle = `sp-glance-idle-${id}`;
    try {
      const webId = await fixture(web, {
        labels: {
          "glance.name": "Web",
          "glance.url": "https://web.example",
          "glance.icon": "si:nginx",
          "glance.id": "web",
        },
      });
      const idleId = await fixture(idle, { labels: { "glance.parent": "web" }, created: true });
      // sock-path: tcp://socket-proxy:2375 (the port given), or a socket path (Host: docker).
      const api = new Api(endpoint, hostFor(endpoint, "docker"));

      const all = await api.get("/containers/json?all=true", HEADERS);
      assertEngine(all, 200, "the list");
      const containers = json(all) as Summary[];
      const shown = containers.find((c) => c.Id === webId)!;
      assert.equal(shown.Names[0], `/${web}`);
      assert.equal(shown.Image, testImage());
      assert.equal(shown.State, "running");
      assert.match(shown.Status, /^Up /);
      assert.equal(shown.Labels["glance.name"], "Web");
      assert.equal(shown.Labels["glance.url"], "https://web.example");
      const child = containers.find((c) => c.Id === idleId)!;
      assert.equal(child.State, "created", "all=true lists stopped containers");
      assert.equal(child.Labels["glance.parent"], "web");

      // running-only: true.
      const runningOnly = json(await api.get("/containers/json?all=false", HEADERS)) as Summary[];
      assert.ok(runningOnly.some((c) => c.Id === webId));
      assert.ok(!runningOnly.some((c) => c.Id === idleId), "all=false: running ones only");

      // Nothing else.
      assertRefused(await api.get("/_ping", HEADERS));
      assertRefused(await api.get("/version", HEADERS));
      assertRefused(await api.get("/events", HEADERS));
      assertRefused(await api.get(`/containers/${webId}/logs?stdout=1`, HEADERS));
      if (variant === "policy") {
        assertRefused(await api.get(`/containers/${webId}/json`, HEADERS), /ContainerInspect/);
        assertRefused(
          await api.get('/containers/json?filters={"name":["db"]}', HEADERS),
          /filters/,
        );
      } else {
        const inspected = json(await api.get(`/containers/${webId}/json`, HEADERS));
        assert.ok(
          inspected.Config.Env.every((e: string) => e.endsWith("<scrubbed by socket-proxy>")),
        );
        assertRefused(await api.request("POST", `/containers/${webId}/stop`, HEADERS), /POST=1/);
      }
    } finally {
      await removeAll([web, idle]);
    }
  },
};
