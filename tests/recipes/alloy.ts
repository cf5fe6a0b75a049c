/**
 * Grafana Alloy 1.18.1 (`github.com/moby/moby/client` v0.5.0, which
 * negotiates on its first call), as `discovery.docker` (prometheus'
 * `discovery/moby`) and `loki.source.docker` (`tailer.go`) call the engine:
 * every refresh the containers and the networks; for each target an inspect
 * (`Config.Tty`), then the followed log stream with timestamps since the last
 * position, and an inspect every 5 s to notice a restart.
 *
 * The log stream must never be cut: the replay runs through a proxy whose idle
 * and header timeouts are 1 s, and a container that stays silent for 3 s
 * between two lines; the stream delivers the second line, and stays open.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertRefused,
  demultiplex,
  type Endpoint,
  fixture,
  hostFor,
  json,
  negotiated,
  removeAll,
  type Replay,
  uniqueId,
  type Variant,
} from "./replay.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The proxy settings the replay adds: timeouts far shorter than the silence in the logs. */
export const SHORT_TIMEOUTS = { IDLE_TIMEOUT: "1s", HEADER_TIMEOUT: "1s" };
/** Silent longer than the timeouts, between a line on stdout and the next ones. */
export const QUIET_LOGGER = [
  "sh",
  "-c",
  'trap "exit 0" TERM; echo first; echo warning >&2; sleep 3; echo later; ' +
  "while :; do sleep 1 & wait; done",
];

/** A Go client of the engine: its `User-Agent`, `CLIENT_MAX`, and the negotiated prefix. */
export class GoClient {
  readonly api: Api;
  readonly headers: { headers: [string, string][] };
  v = "";

  constructor(endpoint: Endpoint, readonly clientMax: string, userAgent: string) {
    this.api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
    this.headers = { headers: [["User-Agent", userAgent]] };
  }

  /** The implicit negotiation before the first call: `HEAD /_ping`. */
  async negotiate(): Promise<string> {
    const ping = await this.api.request("HEAD", "/_ping", this.headers);
    assertEngine(ping, 200, "HEAD /_ping");
    return this.v = `/v${negotiated(ping, this.clientMax)}`;
  }

  get(path: string) {
    return this.api.get(`${this.v}${path}`, this.headers);
  }
}

/** prometheus' docker discovery: the containers (no filters), the networks' labels. */
export async function discover(sd: GoClient, wanted: string): Promise<Json> {
  await sd.negotiate();
  const list = await sd.get("/containers/json");
  assertEngine(list, 200, "the container list");
  const found = json(list).find((c: Json) => c.Id === wanted);
  assert.ok(found, "the container is discovered");
  // __meta_docker_container_{id,name,network_mode,label_*}, __meta_docker_network_*.
  assert.ok(found.Names[0].startsWith("/") && found.Labels && found.HostConfig.NetworkMode);
  assert.ok("NetworkID" in found.NetworkSettings.Networks.none && Array.isArray(found.Ports));
  const networks = await sd.get("/networks");
  assertEngine(networks, 200, "the network list");
  for (const network of json(networks)) {
    assert.ok(network.Id && network.Name && network.Scope && "Labels" in network);
    assert.ok(typeof network.Internal === "boolean" && typeof network.Ingress === "boolean");
  }
  return found;
}

/**
 * A tailer: inspect, the followed logs (`query` in the client's own encoding), and
 * what must hold of the stream: lines before and after 3 s of silence, and no end.
 */
export async function tail(
  target: GoClient,
  containerId: string,
  query: string,
): Promise<void> {
  await target.negotiate();
  const info = json(await target.get(`/containers/${containerId}/json`));
  assert.equal(info.Config.Tty, false, "Config.Tty: multiplexed frames");
  assert.ok(info.Config.Env.includes("LOG_TOKEN=<scrubbed by socket-proxy>"), "scrubbed");
  const logs = await target.api.stream(
    "GET",
    `${target.v}/containers/${containerId}/logs?${query}`,
    target.headers,
  );
  try {
    assert.equal(logs.status, 200, logs.text);
    const has = (text: string) =>
      demultiplex(logs.bytes).some((f) => f.text.endsWith(` ${text}\n`));
    await logs.until(() => has("first") && has("warning"), "the first lines");
    const frames = demultiplex(logs.bytes);
    assert.match(
      frames.find((f) => f.text.endsWith(" first\n"))!.text,
      /^\d{4}-\d\d-\d\dT[\d:.]+Z first\n$/,
    );
    assert.equal(frames.find((f) => f.text.endsWith(" warning\n"))!.stream, 2, "stderr");
    const quietFrom = Date.now();
    // The periodic inspect (restart detection) while the stream is open.
    const state = json(await target.get(`/containers/${containerId}/json`)).State;
    assert.equal(state.Running, true);
    assert.ok(state.FinishedAt, "State.FinishedAt");
    await logs.until(() => has("later"), "the line written after 3 s of silence", 15_000);
    const silence = Date.now() - quietFrom;
    assert.ok(silence > 1_000, `silent ${silence} ms, longer than the 1 s timeouts`);
    assert.equal(logs.ended, false, "the stream is still open");
  } finally {
    logs.close();
  }
}

/** What neither log shipper calls. */
export async function assertShipperRefusals(
  client: GoClient,
  containerId: string,
  variant: Variant,
): Promise<void> {
  assertRefused(await client.get("/version"));
  assertRefused(
    await client.api.post(`${client.v}/containers/${containerId}/stop`, undefined, client.headers),
  );
  assertRefused(
    await client.api.post(
      `${client.v}/containers/${containerId}/exec`,
      { Cmd: ["sh"] },
      client.headers,
    ),
  );
  if (variant === "policy") {
    // Logs only followed, never events.
    assertRefused(await client.get(`/containers/${containerId}/logs?stdout=1`), /ContainerLogs/);
    assertRefused(await client.get("/events"), /SystemEvents/);
  } else {
    assertRefused(await client.get("/events"), /EVENTS=1/);
  }
}

export const alloy: Replay = {
  app: "Grafana Alloy",
  async run(endpoint: Endpoint, variant: Variant) {
    const name = `sp-alloy-app-${uniqueId()}`;
    try {
      const id = await fixture(name, {
        labels: { "logging": "alloy" },
        env: ["LOG_TOKEN=hunter2"],
        command: QUIET_LOGGER,
      });
      // discovery.docker and loki.source.docker: two clients, each negotiating.
      const sd = new GoClient(endpoint, "1.55", "Go-http-client/1.1");
      assert.equal((await discover(sd, id)).Labels.logging, "alloy");
      const target = new GoClient(endpoint, "1.55", "Go-http-client/1.1");
      // `since` is the position's last timestamp in seconds: 0 for a new target.
      await tail(target, id, "follow=1&since=0&stderr=1&stdout=1&timestamps=1");
      await assertShipperRefusals(target, id, variant);
    } finally {
      await removeAll([name]);
    }
  },
};
