/**
 * Traefik's swarm provider (`pkg/provider/docker/pswarm.go`), one poll:
 * negotiation, `/version`, the services, `/version` again, the swarm
 * networks, the running tasks of a service, the node of a task.
 *
 * The private engine is no swarm manager (`docker swarm init` would create a
 * `docker_gwbridge` bridge on the host, which outlives the engine), so the
 * swarm calls are answered by the engine's own 503 "not a swarm manager":
 * that answer proves the proxy forwarded them, as Traefik sends them.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertNotSwarmManager,
  assertRefused,
  type Endpoint,
  hostFor,
  json,
  negotiated,
  queryEscape,
  type Replay,
  type Variant,
} from "./replay.ts";

const CLIENT_MAX = "1.54";
const USER_AGENT: [string, string] = ["User-Agent", "Traefik 3.7.9"];
/** IDs as a swarm would give them (none exist: the engine is no manager). */
const SERVICE_ID = "9mnpnzenvg8p8tdbtq4wvbkcz";
const NODE_ID = "fk0h62g59opm54ul1igtombux";

export const traefikSwarm: Replay = {
  app: "Traefik (swarm provider)",
  async run(endpoint: Endpoint, variant: Variant) {
    const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
    const headers = { headers: [USER_AGENT] };

    const ping = await api.request("HEAD", "/_ping", headers);
    assertEngine(ping, 200, "HEAD /_ping");
    const v = `/v${negotiated(ping, CLIENT_MAX)}`;
    assert.ok(json(await api.get(`${v}/version`, headers)).ApiVersion, "/version");

    // One poll (every 15 s).
    assertNotSwarmManager(await api.get(`${v}/services`, headers));
    const version = json(await api.get(`${v}/version`, headers));
    assert.ok(Number(version.ApiVersion) >= 1.29, "API >= 1.29: the scope filter, not overlay");
    const networks = await api.get(
      `${v}/networks?filters=${queryEscape('{"scope":{"swarm":true}}')}`,
      headers,
    );
    assertEngine(networks, 200, "the swarm network list");
    assert.ok(Array.isArray(json(networks)), "a list (ID, Name)");
    // json.Marshal sorts the keys: desired-state before service.
    const tasks = `{"desired-state":{"running":true},"service":{"${SERVICE_ID}":true}}`;
    assertNotSwarmManager(await api.get(`${v}/tasks?filters=${queryEscape(tasks)}`, headers));
    assertNotSwarmManager(await api.get(`${v}/nodes/${NODE_ID}`, headers));

    // What the swarm provider never calls is refused.
    assertRefused(await api.get(`${v}/containers/json?all=1`, headers), /ContainerList/);
    if (variant === "policy") {
      // Service logs (SERVICES=1 would allow them) and network inspect (NETWORKS=1 would).
      assertRefused(await api.get(`${v}/services/${SERVICE_ID}/logs?stdout=1`, headers));
      assertRefused(await api.get(`${v}/networks/ingress`, headers), /NetworkInspect/);
    } else {
      assertRefused(await api.get(`${v}/events`, headers), /EVENTS=1/);
    }
  },
};
