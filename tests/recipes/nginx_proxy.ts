/**
 * nginx-proxy 1.11.6 (docker-gen 0.17.2, `github.com/fsouza/go-dockerclient`
 * v1.13.2: unversioned paths, no negotiation), as
 * `internal/generator/generator.go` calls the engine with nginx-proxy's
 * Procfile (`-watch -wait 100ms:500ms -event-filter event=connect
 * -event-filter event=disconnect -notify "nginx -s reload"`): `/version` at
 * start, the event stream (on a connection of its own, with an empty `Host`),
 * then each generation: `/info`, the running containers, the networks, an
 * inspect of each (`/containers/{id}/json?`, the `?` of an empty query kept);
 * a ping after 10 s without events. The reload is local: no kill, no exec.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertRefused,
  docker,
  type Endpoint,
  fixture,
  hostFor,
  json,
  queryEscape,
  removeAll,
  type Replay,
  type Stream,
  uniqueId,
  type Variant,
} from "./replay.ts";

/** go-dockerclient's own `User-Agent`; its event connection sends Go's default. */
const USER_AGENT: [string, string] = ["User-Agent", "go-dockerclient"];
const EVENTS_USER_AGENT: [string, string] = ["User-Agent", "Go-http-client/1.1"];
/** `Host` over a unix socket: go-dockerclient's fake URL `http://unix.sock`. */
const UNIX_HOST = "unix.sock";

/** docker-gen's default event filter, and nginx-proxy's (with connect and disconnect). */
export const DOCKER_GEN_EVENTS = '{"event":["start","stop","die","health_status"]}';
export const NGINX_PROXY_EVENTS =
  '{"event":["start","stop","die","health_status","connect","disconnect"]}';
/** The list filter without `-include-stopped`: `all=1`, `url.Values` sorted by key. */
const LIST = `/containers/json?all=1&filters=${queryEscape('{"status":["running"]}')}`;

// deno-lint-ignore no-explicit-any
type Json = any;

/** docker-gen's client, as go-dockerclient sends its requests. */
export class DockerGen {
  readonly api: Api;
  readonly headers = { headers: [USER_AGENT] };

  constructor(readonly endpoint: Endpoint) {
    this.api = new Api(endpoint, hostFor(endpoint, UNIX_HOST));
  }

  /** `NewGenerator`: `client.Version()`, fields kept for `{{ $.Docker }}`. */
  async version(): Promise<Json> {
    const answer = await this.api.get("/version", this.headers);
    assertEngine(answer, 200, "/version");
    const version = json(answer);
    for (const field of ["Version", "ApiVersion", "GoVersion", "Os", "Arch", "KernelVersion"]) {
      assert.ok(typeof version[field] === "string", `/version ${field}`);
    }
    return version;
  }

  /**
   * `AddEventListenerWithOptions`: `GET /events?filters=…` by `httputil.ClientConn` on a
   * connection of its own: a relative URL, so an empty `Host`, and Go's default agent.
   */
  async events(filter: string): Promise<Stream> {
    const raw = new Api(this.endpoint, "");
    const events = await raw.stream("GET", `/events?filters=${queryEscape(filter)}`, {
      headers: [EVENTS_USER_AGENT],
    });
    assert.equal(events.status, 200, events.text);
    return events;
  }

  /** `getContainers`: info, the running containers, the networks, an inspect of each. */
  async generate(): Promise<Map<string, Json>> {
    const info = json(await this.api.get("/info", this.headers));
    for (const field of ["Name", "NCPU", "MemTotal", "OperatingSystem", "ServerVersion"]) {
      assert.ok(info[field] !== undefined, `/info ${field}`);
    }
    const list = await this.api.get(LIST, this.headers);
    assertEngine(list, 200, "the container list");
    const networks = await this.api.get("/networks", this.headers);
    assertEngine(networks, 200, "the network list");
    for (const network of json(networks)) {
      assert.ok(typeof network.Name === "string" && typeof network.Internal === "boolean");
    }
    const inspected = new Map<string, Json>();
    for (const { Id } of json(list) as { Id: string }[]) {
      const answer = await this.api.get(`/containers/${Id}/json?`, this.headers);
      assertEngine(answer, 200, `inspect ${Id}`);
      inspected.set(Id, json(answer));
    }
    return inspected;
  }

  /** The liveness check after 10 s without events. */
  async ping(): Promise<void> {
    const ping = await this.api.get("/_ping", this.headers);
    assertEngine(ping, 200, "GET /_ping");
    assert.equal(ping.text, "OK");
  }
}

/** What docker-gen's templates read of an inspect (`inspectContainer`), checked. */
export function assertTemplateFields(
  info: Json,
  name: string,
  env: string[],
  health = false,
): void {
  assert.equal(info.Name, `/${name}`);
  assert.ok(info.Created && info.Config.Image && info.Config.Hostname, "Created, Image, Hostname");
  assert.equal(info.State.Running, true);
  if (health) assert.ok(info.State.Health.Status, "State.Health.Status");
  assert.equal(info.HostConfig.NetworkMode, "none");
  assert.ok("Gateway" in info.NetworkSettings && "IPAddress" in info.NetworkSettings);
  const endpoint = info.NetworkSettings.Networks.none;
  for (const field of ["IPAddress", "Gateway", "EndpointID", "MacAddress", "IPPrefixLen"]) {
    assert.ok(field in endpoint, `NetworkSettings.Networks.*.${field}`);
  }
  assert.ok(Array.isArray(info.Mounts), "Mounts");
  // The templates read the environment's values: VIRTUAL_HOST, LETSENCRYPT_HOST...
  for (const entry of env) assert.ok(info.Config.Env.includes(entry), `Config.Env ${entry}`);
}

/** nginx-proxy's docker-gen, watching. */
export const nginxProxy: Replay = {
  app: "nginx-proxy",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const web = `sp-nginx-proxy-web-${id}`;
    const later = `sp-nginx-proxy-later-${id}`;
    try {
      const webEnv = ["VIRTUAL_HOST=web.example", "VIRTUAL_PORT=8080"];
      const webId = await fixture(web, {
        env: webEnv,
        args: ["--health-cmd", "true", "--health-interval", "1s"],
      });
      const laterId = await fixture(later, {
        env: ["VIRTUAL_HOST=later.example"],
        created: true,
      });
      const gen = new DockerGen(endpoint);

      await gen.version();
      const events = await gen.events(NGINX_PROXY_EVENTS);
      try {
        // "sync all configs after resuming listener": the first generation.
        const first = await gen.generate();
        assert.ok(first.has(webId), "the running container is inspected");
        assert.ok(!first.has(laterId), "a container not running is not listed");
        assertTemplateFields(first.get(webId), web, webEnv, true);

        // A container starts: the event, then (after the wait) a new generation.
        await docker("start", later);
        await events.until(
          (s) => s.jsonLines.some((e) => e.status === "start" && e.id === laterId),
          "the start event",
        );
        const event = events.jsonLines.find((e) => e.id === laterId);
        assert.equal(event.Type, "container");
        assert.equal(event.Action, "start");
        assert.ok(event.time > 0 && event.Actor.ID === laterId, "time, Actor.ID");
        const second = await gen.generate();
        assert.ok(second.has(laterId), "the started container is inspected");
        assert.ok(second.get(laterId).Config.Env.includes("VIRTUAL_HOST=later.example"));
      } finally {
        events.close();
      }
      await gen.ping();

      // nginx reloads inside its own container: nothing that changes the engine is needed.
      const { api, headers } = gen;
      assertRefused(await api.post(`/containers/${webId}/kill?signal=1`, undefined, headers));
      assertRefused(
        await api.post(`/containers/${webId}/exec`, { Cmd: ["nginx", "-s", "reload"] }, headers),
      );
      assertRefused(await api.get(`/containers/${webId}/logs?stdout=1`, headers));
      if (variant === "policy") {
        // Events without nginx-proxy's filter (images, volumes, plugins...).
        assertRefused(await api.get("/events?until=1", headers), /SystemEvents/);
        assertRefused(await api.get("/images/json", headers), /ImageList/);
      } else {
        assertRefused(await api.get("/images/json", headers), /IMAGES=1/);
      }
    } finally {
      await removeAll([web, later]);
    }
  },
};
