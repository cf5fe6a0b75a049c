/**
 * CrowdSec 1.7.8's docker datasource (`pkg/acquisition/modules/docker/`,
 * moby/client v0.4.1, up to API 1.54) in streaming mode: the implicit
 * `HEAD /_ping`, `/info` (swarm?), the running containers, an inspect of each
 * one matched (`Config.Tty`; with `use_container_labels` its labels first),
 * its followed log stream, and the container event stream, on whose `start`
 * it lists again and follows the new container; when a stream ends, an
 * inspect asks whether the container still runs.
 *
 * On a swarm manager with service acquisition (`crowdsecSwarm`): the services,
 * one's logs, and its inspect; the private engine is no manager, so they are
 * answered by its own 503, which proves the proxy forwarded them.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertNotSwarmManager,
  assertRefused,
  demultiplex,
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
import { mobyAgent } from "./replay_extra_b.ts";

/** moby/client v0.4.1's `MaxAPIVersion`. */
const CLIENT_MAX = "1.54";
const AGENT = mobyAgent("v0.4.1");
const EVENTS_FILTER = '{"type":{"container":true,"service":false}}';
/** An ID as a swarm would give it (none exists: the engine is no manager). */
const SERVICE_ID = "9mnpnzenvg8p8tdbtq4wvbkcz";

/** `since`, as moby's `timestamp.GetTimestamp` turns the configured RFC 3339 time into it. */
function since(date: Date): string {
  return `${Math.floor(date.getTime() / 1000)}.000000000`;
}

export const crowdsec: Replay = {
  app: "CrowdSec",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const app = `sp-crowdsec-app-${id}`;
    const labelled = `sp-crowdsec-labelled-${id}`;
    const later = `sp-crowdsec-later-${id}`;
    try {
      // Its configuration starts at "now": since is the acquisition's start.
      const start = new Date(Date.now() - 1000);
      const appId = await fixture(app, { env: ["API_TOKEN=hunter2"] });
      const labelledId = await fixture(labelled, {
        labels: { "crowdsec.enable": "true", "crowdsec.labels.type": "nginx" },
      });
      const laterId = await fixture(later, { created: true });
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const headers = { headers: [AGENT] };

      const ping = await api.request("HEAD", "/_ping", headers);
      assertEngine(ping, 200, "HEAD /_ping");
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;
      const get = (path: string) => api.get(`${v}${path}`, headers);

      // Configure: is this a swarm manager?
      const info = json(await get("/info"));
      assert.equal(info.Swarm.LocalNodeState, "inactive");
      assert.equal(info.Swarm.ControlAvailable, false);

      // checkContainers: the running ones, matched by name (container_name: [app]).
      const list = async () => {
        const answer = await get("/containers/json");
        assertEngine(answer, 200, "the container list");
        return json(answer) as { Id: string; Names: string[] }[];
      };
      const running = await list();
      const found = running.find((c) => c.Names.includes(`/${app}`));
      assert.equal(found?.Id, appId, "matched by Names");
      assert.ok(!running.some((c) => c.Id === laterId), "not running: not listed");
      const inspected = json(await get(`/containers/${appId}/json`));
      assert.equal(inspected.Config.Tty, false, "Config.Tty: multiplexed logs");
      assert.ok(!JSON.stringify(inspected).includes("hunter2"), "the environment is scrubbed");
      // use_container_labels: the crowdsec.* labels of every container.
      const labels = json(await get(`/containers/${labelledId}/json`)).Config.Labels;
      assert.equal(labels["crowdsec.enable"], "true");
      assert.equal(labels["crowdsec.labels.type"], "nginx");

      // TailContainer: the followed log stream, never cut while the container logs.
      const logs = await api.stream(
        "GET",
        `${v}/containers/${appId}/logs?follow=1&since=${since(start)}&stderr=1&stdout=1`,
        headers,
      );
      // Watch: the container event stream, with CrowdSec's filter.
      const events = await api.stream(
        "GET",
        `${v}/events?filters=${queryEscape(EVENTS_FILTER)}`,
        { headers: [AGENT, ...EVENTS_ACCEPT] },
      );
      try {
        assert.equal(logs.status, 200, logs.text);
        assert.equal(events.status, 200, events.text);
        await logs.until(
          (s) => demultiplex(s.bytes).filter((f) => /^tick \d+/.test(f.text)).length >= 3,
          "three log lines, one a second",
        );
        assert.ok(demultiplex(logs.bytes).every((f) => f.stream === 1), "stdout frames");

        // A start event: list again, and the new container is there to be matched.
        await docker("start", later);
        await events.until(
          (s) => s.jsonLines.some((e) => e.Action === "start" && e.Actor?.ID === laterId),
          "the start event",
        );
        assert.ok(events.jsonLines.every((e) => e.Type === "container"), events.text);
        assert.ok((await list()).some((c) => c.Id === laterId));

        // The container stops: its stream ends, and the inspect says it no longer runs.
        await docker("stop", "-t", "5", app);
        await logs.until(() => false, "the end of the stream").catch(() => {});
        assert.ok(logs.ended, "the log stream ends with the container");
        assert.equal(json(await get(`/containers/${appId}/json`)).State.Running, false);
      } finally {
        logs.close();
        events.close();
      }

      // What CrowdSec never calls is refused.
      assertRefused(await api.request("POST", `${v}/containers/${laterId}/stop`, headers));
      assertRefused(await api.post(`${v}/containers/${laterId}/exec`, { Cmd: ["sh"] }, headers));
      assertRefused(await get("/images/json"));
      if (variant === "policy") {
        assertRefused(await get("/events"), /SystemEvents/);
        assertRefused(await get(`/containers/${laterId}/stats?stream=false`), /ContainerStats/);
        assertRefused(await get("/services"), /ServiceList/);
      } else {
        assertRefused(await get("/services"), /SERVICES=1/);
      }
    } finally {
      await removeAll([app, labelled, later]);
    }
  },
};

/** Service acquisition on a swarm manager: the calls reach the engine. */
export const crowdsecSwarm: Replay = {
  app: "CrowdSec (service acquisition)",
  async run(endpoint: Endpoint, _variant: Variant) {
    const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
    const headers = { headers: [AGENT] };
    const ping = await api.request("HEAD", "/_ping", headers);
    const v = `/v${negotiated(ping, CLIENT_MAX)}`;
    assertNotSwarmManager(await api.get(`${v}/services`, headers));
    assertNotSwarmManager(
      await api.get(
        `${v}/services/${SERVICE_ID}/logs?follow=1&since=${since(new Date())}&stderr=1&stdout=1`,
        headers,
      ),
    );
    assertNotSwarmManager(
      await api.get(`${v}/services/${SERVICE_ID}?insertDefaults=false`, headers),
    );
    const filter = '{"type":{"container":true,"service":true}}';
    const events = await api.stream("GET", `${v}/events?filters=${queryEscape(filter)}`, {
      headers: [AGENT, ...EVENTS_ACCEPT],
    });
    events.close();
    assert.equal(events.status, 200, "the event filter with services");
    assertRefused(
      await api.request("POST", `${v}/services/${SERVICE_ID}/update?version=1`, {
        ...headers,
        body: {},
      }),
    );
  },
};
