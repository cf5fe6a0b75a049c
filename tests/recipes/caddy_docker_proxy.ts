/**
 * caddy-docker-proxy 2.13.1 (`github.com/moby/moby/client` v0.5.0), as
 * `loader.go` and `generator/` call the engine: an explicit `HEAD /_ping`
 * negotiates at start (fatal if refused), the event stream with its filter,
 * then every update (at once, on events, and every 30 s): its own container's
 * networks (inspect, then each network) or, with `CADDY_INGRESS_NETWORKS`, the
 * network list; `/info` (is swarm active?); the running containers. With swarm
 * active it also reads configs (a Caddyfile in each labelled one), services,
 * and the running tasks of each service.
 *
 * The private engine is no swarm manager: the swarm calls are answered by the
 * engine's own 503, which proves the proxy forwarded them.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertNotSwarmManager,
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

/** moby/client v0.5.0's `MaxAPIVersion`. */
const CLIENT_MAX = "1.55";
const USER_AGENT: [string, string] = ["User-Agent", "Go-http-client/1.1"];
/** `client.Filters` marshalled: keys sorted, values as maps of true. */
const EVENTS_FILTER =
  '{"scope":{"local":true,"swarm":true},"type":{"config":true,"container":true,"network":true,"service":true}}';
/** IDs as a swarm would give them (none exist: the engine is no manager). */
const SERVICE_ID = "9mnpnzenvg8p8tdbtq4wvbkcz";
const CONFIG_ID = "x2yfpnnv5mqljm1j3o6ywxyaf";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The calls both recipes serve: start-up, events, updates. */
async function standalone(api: Api, swarm: boolean, variant: Variant): Promise<void> {
  const id = uniqueId();
  const caddy = `sp-caddy-self-${id}`;
  const web = `sp-caddy-web-${id}`;
  const later = `sp-caddy-later-${id}`;
  const headers = { headers: [USER_AGENT] };
  try {
    // Stands in for Caddy's own container (GetCurrentContainerID reads /proc).
    const caddyId = await fixture(caddy);
    const webId = await fixture(web, {
      labels: { caddy: "web.example", "caddy.reverse_proxy": "{{upstreams 80}}" },
      env: ["API_KEY=hunter2"],
    });
    const laterId = await fixture(later, { labels: { caddy: "later.example" }, created: true });

    const ping = await api.request("HEAD", "/_ping", headers);
    assertEngine(ping, 200, "HEAD /_ping");
    const v = `/v${negotiated(ping, CLIENT_MAX)}`;

    const events = await api.stream("GET", `${v}/events?filters=${queryEscape(EVENTS_FILTER)}`, {
      headers: [USER_AGENT, ...EVENTS_ACCEPT],
    });
    try {
      assert.equal(events.status, 200, events.text);

      /** `GenerateCaddyfile`: ingress networks, swarm availability, containers (and swarm). */
      const update = async (): Promise<Json[]> => {
        const self = await api.get(`${v}/containers/${caddyId}/json`, headers);
        assertEngine(self, 200, "its own container");
        for (const endpoint of Object.values(json(self).NetworkSettings.Networks) as Json[]) {
          const network = await api.get(`${v}/networks/${endpoint.NetworkID}`, headers);
          assertEngine(network, 200, "network inspect");
          const { Id, Name, Ingress } = json(network);
          assert.ok(Id && Name && Ingress === false, "Id, Name, Ingress");
        }
        // CADDY_INGRESS_NETWORKS: the network list instead.
        const networks = await api.get(`${v}/networks`, headers);
        assertEngine(networks, 200, "the network list");
        assert.ok(json(networks).every((n: Json) => n.Id && n.Name && "Ingress" in n));
        const info = json(await api.get(`${v}/info`, headers));
        assert.equal(info.Swarm.LocalNodeState, "inactive", "Swarm.LocalNodeState");
        if (swarm) {
          // As on a manager (LocalNodeState "active"): configs, then services and their tasks.
          assertNotSwarmManager(await api.get(`${v}/configs`, headers));
          assertNotSwarmManager(await api.get(`${v}/configs/${CONFIG_ID}`, headers));
        }
        const list = await api.get(`${v}/containers/json`, headers);
        assertEngine(list, 200, "the container list");
        if (swarm) {
          assertNotSwarmManager(await api.get(`${v}/services`, headers));
          const tasks = `{"desired-state":{"running":true},"service":{"${SERVICE_ID}":true}}`;
          assertNotSwarmManager(await api.get(`${v}/tasks?filters=${queryEscape(tasks)}`, headers));
        }
        return json(list);
      };

      const first = await update();
      const found = first.find((c) => c.Id === webId);
      assert.ok(found, "the labelled container is listed");
      assert.equal(found.Labels["caddy.reverse_proxy"], "{{upstreams 80}}");
      assert.ok("none" in found.NetworkSettings.Networks, "NetworkSettings.Networks");
      assert.ok("NetworkID" in found.NetworkSettings.Networks.none && found.Names[0] === `/${web}`);
      assert.ok(!first.some((c) => c.Id === laterId), "running ones only");

      // A start event: another update.
      await docker("start", later);
      await events.until(
        (s) =>
          s.jsonLines.some((e) =>
            e.Type === "container" && e.Action === "start" && e.Actor?.ID === laterId
          ),
        "the start event",
      );
      assert.ok((await update()).some((c) => c.Id === laterId), "the started container");
    } finally {
      events.close();
    }

    // What it never calls is refused.
    assertRefused(await api.post(`${v}/containers/${webId}/stop`, undefined, headers));
    assertRefused(await api.get(`${v}/containers/${webId}/logs?stdout=1`, headers));
    assertRefused(await api.get(`${v}/version`, headers));
    if (variant === "policy") {
      // Events without its filter, and (standalone) nothing of swarm.
      assertRefused(await api.get(`${v}/events`, headers), /SystemEvents/);
      if (!swarm) assertRefused(await api.get(`${v}/configs`, headers), /ConfigList/);
      assertRefused(await api.get(`${v}/secrets`, headers), /SecretList/);
    } else {
      if (!swarm) assertRefused(await api.get(`${v}/configs`, headers), /CONFIGS=1/);
      assertRefused(await api.get(`${v}/secrets`, headers), /SECRETS=1/);
    }
  } finally {
    await removeAll([caddy, web, later]);
  }
}

export const caddyDockerProxy: Replay = {
  app: "caddy-docker-proxy",
  run(endpoint: Endpoint, variant: Variant) {
    return standalone(new Api(endpoint, hostFor(endpoint, "api.moby.localhost")), false, variant);
  },
};

export const caddyDockerProxySwarm: Replay = {
  app: "caddy-docker-proxy (swarm)",
  run(endpoint: Endpoint, variant: Variant) {
    return standalone(new Api(endpoint, hostFor(endpoint, "api.moby.localhost")), true, variant);
  },
};
