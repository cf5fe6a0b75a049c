/**
 * The Beszel agent 0.18.8 (`agent/docker.go`: its own `http.Client`,
 * unversioned paths, `http://localhost/...` whatever `DOCKER_HOST` says, no
 * ping), as it calls the engine: `/version` at start, `/info` for the host's
 * details, then every poll the running containers and a one-shot stats sample
 * of each by short ID; for the hub, on demand, a container's inspect and its
 * last 200 log lines.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertRefused,
  demultiplex,
  docker,
  type Endpoint,
  eventually,
  fixture,
  json,
  removeAll,
  type Replay,
  uniqueId,
  type Variant,
} from "./replay.ts";

/**
 * The agent's `userAgentRoundTripper` (against a Docker Desktop bug); no `Accept-Encoding`
 * (`DisableCompression`).
 */
const HEADERS = { headers: [["User-Agent", "Docker-Client/"]] as [string, string][] };

// deno-lint-ignore no-explicit-any
type Json = any;

export const beszelAgent: Replay = {
  app: "Beszel agent",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const app = `sp-beszel-app-${id}`;
    try {
      const appId = await fixture(app, { env: ["DB_PASSWORD=hunter2"] });
      // The URL is always http://localhost/…: that is its Host, over TCP too.
      const api = new Api(endpoint, "localhost");
      const get = (path: string) => api.get(path, HEADERS);

      // newDockerManager: the version probe (one-shot stats need Docker >= 25; Podman?).
      const version = json(await get("/version"));
      assert.ok(version.Version && Array.isArray(version.Components), "Version, Components");
      // refreshSystemDetails: the host.
      const info = json(await get("/info"));
      for (const field of ["OperatingSystem", "KernelVersion", "NCPU", "MemTotal"]) {
        assert.ok(info[field], `/info ${field}`);
      }

      // getDockerStats: the running containers, then a sample of each by short ID.
      const list = await get("/containers/json");
      assertEngine(list, 200, "the container list");
      const found = json(list).find((c: Json) => c.Id === appId);
      assert.ok(found, "the running container is listed");
      assert.equal(found.Names[0], `/${app}`);
      assert.ok(
        found.Status && found.State === "running" && found.Image && Array.isArray(found.Ports),
      );
      const stats = await get(`/containers/${appId.slice(0, 12)}/stats?stream=0&one-shot=1`);
      assertEngine(stats, 200, "the stats sample");
      const sample = json(stats);
      assert.ok(sample.read, "read");
      assert.ok(sample.cpu_stats.cpu_usage.total_usage > 0, "cpu_stats.cpu_usage.total_usage");
      assert.ok(sample.cpu_stats.system_cpu_usage > 0 && sample.cpu_stats.online_cpus > 0);
      assert.ok(sample.memory_stats.usage > 0 && sample.memory_stats.stats, "memory_stats");

      // The hub's container details (the agent deletes Config.Env itself) and logs.
      const details = await get(`/containers/${appId}/json`);
      assertEngine(details, 200, "inspect");
      assert.ok(json(details).Config.Env.includes("DB_PASSWORD=<scrubbed by socket-proxy>"));
      await eventually(async () => (await docker("logs", app)).includes("tick 1"), "a log line");
      const logs = await get(`/containers/${appId}/logs?stderr=1&stdout=1&tail=200`);
      assertEngine(logs, 200, "the last log lines");
      assert.ok(demultiplex(logs.body).some((f) => f.text === "tick 1\n"), logs.text);

      // What it never calls is refused.
      assertRefused(await get("/events"));
      assertRefused(await api.post(`/containers/${appId}/restart`, undefined, HEADERS));
      if (variant === "policy") {
        assertRefused(await get("/_ping"), /SystemPing/);
        // Only single samples and never-followed logs.
        assertRefused(await get(`/containers/${appId}/stats`), /ContainerStats/);
        assertRefused(await get(`/containers/${appId}/logs?stdout=1&follow=1`), /ContainerLogs/);
      } else {
        assertRefused(await get("/_ping"), /PING=1/);
      }
    } finally {
      await removeAll([app]);
    }
  },
};
