/**
 * Homepage (dockerode 4.0.10, docker-modem 5.0.7), as
 * `src/utils/config/service-helpers.js` and `src/pages/api/docker/{status,stats}`
 * call the engine: unversioned paths, no ping; containers by name; booleans
 * as `true`; filters as `JSON.stringify` percent-encoded by `querystring`.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertNotSwarmManager,
  assertRefused,
  docker,
  type Endpoint,
  eventually,
  fixture,
  hostFor,
  json,
  queryEscape,
  removeAll,
  type Replay,
  uniqueId,
  type Variant,
} from "./replay.ts";

/** Node's http sets `Host: localhost` for a `socketPath`; dockerode sends no User-Agent. */
const UNIX_HOST = "localhost";

/** The docker server, without `swarm: true`. */
export const homepage: Replay = {
  app: "Homepage",
  async run(endpoint: Endpoint, _variant: Variant) {
    const id = uniqueId();
    // Homepage addresses containers by name, which may hold dots and dashes.
    const web = `sp-homepage.web-${id}`;
    try {
      await fixture(web, {
        labels: { "homepage.group": "Media", "homepage.name": "Web" },
        env: ["API_KEY=hunter2"],
        args: ["--health-cmd", "true", "--health-interval", "1s"],
      });
      await eventually(
        async () => (await docker("inspect", "-f", "{{.State.Health.Status}}", web)) === "healthy",
        "healthy",
      );
      const api = new Api(endpoint, hostFor(endpoint, UNIX_HOST));
      const list = async () => {
        const answer = await api.get("/containers/json?all=true");
        assertEngine(answer, 200, "the container list");
        return json(answer) as { Id: string; Names: string[]; Labels: Record<string, string> }[];
      };

      // Discovery: homepage.* labels, client-side.
      const found = (await list()).find((c) => c.Names[0] === `/${web}`);
      assert.ok(found, "the labelled container is listed");
      assert.equal(found.Labels["homepage.name"], "Web");

      // The status dot: the list (Names), then an inspect by name (State).
      assert.ok((await list()).some((c) => c.Names.includes(`/${web}`)));
      const inspect = await api.get(`/containers/${web}/json`);
      assertEngine(inspect, 200, "inspect by name");
      const state = json(inspect).State;
      assert.equal(state.Status, "running");
      assert.equal(state.Health.Status, "healthy");
      assert.ok(
        json(inspect).Config.Env.includes("API_KEY=<scrubbed by socket-proxy>"),
        "the environment is scrubbed",
      );

      // The docker widget: the list, then one stats sample by name.
      await list();
      const stats = await api.get(`/containers/${web}/stats?stream=false`);
      assertEngine(stats, 200, "stats");
      const sample = json(stats);
      assert.equal(typeof sample.cpu_stats.cpu_usage.total_usage, "number");
      assert.equal(typeof sample.precpu_stats.cpu_usage.total_usage, "number");
      assert.equal(typeof sample.cpu_stats.system_cpu_usage, "number");
      assert.equal(typeof sample.memory_stats.usage, "number");

      // What Homepage never calls is refused.
      assertRefused(await api.get(`/containers/${web}/logs?stdout=true`));
      assertRefused(await api.post(`/containers/${web}/restart`));
      assertRefused(await api.get("/events"));
      assertRefused(await api.get("/version"));
      assertRefused(await api.get("/info"));
    } finally {
      await removeAll([web]);
    }
  },
};

/** A server with `swarm: true`: services and tasks too (the engine is no swarm manager). */
export const homepageSwarm: Replay = {
  app: "Homepage (swarm: true)",
  async run(endpoint: Endpoint, variant: Variant) {
    await homepage.run(endpoint, variant);
    const api = new Api(endpoint, hostFor(endpoint, UNIX_HOST));
    const service = "sp-homepage-stack_web";
    // Discovery from service labels.
    assertNotSwarmManager(await api.get("/services?all=true"));
    // Status and stats of a service that is not a local container.
    assertEngine(await api.get("/containers/json?all=true"), 200);
    assertNotSwarmManager(await api.get(`/services/${service}`));
    const filters = JSON.stringify({ service: [service], "desired-state": ["running"] });
    assertNotSwarmManager(await api.get(`/tasks?filters=${queryEscape(filters)}`));
    // Service logs: SERVICES=1 allows them, the profile does not.
    if (variant === "policy") assertRefused(await api.get(`/services/${service}/logs?stdout=1`));
  },
};
