/**
 * diun's docker provider (moby/client v0.4.1; `internal/provider/docker`),
 * one scan: a new client, so an implicit `HEAD /_ping` and `/version`, the
 * running containers (map-of-bool filter), then an inspect of each one's
 * image by the reference the list gave (slashes and a colon in the path).
 * diun never inspects containers. The swarm provider lists services.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertNotSwarmManager,
  assertRefused,
  docker,
  type Endpoint,
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

const CLIENT_MAX = "1.54";
const USER_AGENT: [string, string] = ["User-Agent", "diun/4.33.0 go/1.26 Linux"];

async function negotiate(api: Api): Promise<string> {
  const ping = await api.request("HEAD", "/_ping", { headers: [USER_AGENT] });
  assertEngine(ping, 200, "HEAD /_ping");
  const v = `/v${negotiated(ping, CLIENT_MAX)}`;
  assert.ok(json(await api.get(`${v}/version`, { headers: [USER_AGENT] })).Version, "/version");
  return v;
}

export const diun: Replay = {
  app: "diun (docker provider)",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const watched = `sp-diun-app-${id}`;
    const ignored = `sp-diun-db-${id}`;
    const reference = `ghcr.io/sp-recipes/app-${id}:1.2`;
    try {
      await docker("tag", testImage(), reference);
      const watchedId = await fixture(watched, {
        image: reference,
        labels: { "diun.enable": "true" },
      });
      const ignoredId = await fixture(ignored, {});
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const headers = { headers: [USER_AGENT] };

      const v = await negotiate(api);
      const list = await api.get(
        `${v}/containers/json?filters=${queryEscape('{"status":{"running":true}}')}`,
        headers,
      );
      assertEngine(list, 200, "the container list");
      const containers = json(list) as { Id: string; Image: string; Labels: object }[];
      assert.ok(
        !containers.some((c) => c.Id === ignoredId),
        "only containers labelled diun.enable",
      );
      const container = containers.find((c) => c.Id === watchedId);
      assert.ok(container, "the labelled container is listed");
      assert.equal(container.Image, reference);
      for (const c of containers) {
        const image = await api.get(`${v}/images/${c.Image}/json`, headers);
        assertEngine(image, 200, `inspect ${c.Image}`);
        // What diun reads: RepoTags and RepoDigests.
        assert.ok(Array.isArray(json(image).RepoTags) && Array.isArray(json(image).RepoDigests));
      }

      // What diun never calls is refused.
      assertRefused(await api.get(`${v}/events`, headers));
      assertRefused(await api.get(`${v}/info`, headers));
      if (variant === "policy") {
        assertRefused(
          await api.get(`${v}/containers/${watchedId}/json`, headers),
          /ContainerInspect/,
        );
        assertRefused(await api.get(`${v}/images/json`, headers), /ImageList/);
      }
    } finally {
      await removeAll([watched, ignored], [reference]);
    }
  },
};

/** The swarm provider: ping, version, services (the engine is no swarm manager). */
export const diunSwarm: Replay = {
  app: "diun (swarm provider)",
  async run(endpoint: Endpoint, _variant: Variant) {
    const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
    const v = await negotiate(api);
    assertNotSwarmManager(await api.get(`${v}/services`, { headers: [USER_AGENT] }));
    assertRefused(await api.get(`${v}/containers/json`, { headers: [USER_AGENT] }));
    assertRefused(await api.get(`${v}/tasks`, { headers: [USER_AGENT] }));
  },
};
