/**
 * Homarr 1.74.0 (dockerode 5.0.1, docker-modem 5.0.7: unversioned paths, no
 * ping, no `User-Agent`; `DOCKER_HOSTNAMES`/`DOCKER_PORTS` or a socket), as
 * `packages/request-handler/src/docker.ts` and the docker router call the
 * engine: every container with a one-shot stats sample of each; before each
 * action (start, stop, restart, remove) and each log view an inspect, which
 * tells which of its engines has the container; logs as the last 200 lines or
 * followed for the live view. Booleans are `true`/`false`, in its key order.
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
  hostFor,
  json,
  removeAll,
  type Replay,
  uniqueId,
  type Variant,
} from "./replay.ts";

/** Node's http sets `Host: localhost` for a `socketPath`; dockerode sends no User-Agent. */
const UNIX_HOST = "localhost";

// deno-lint-ignore no-explicit-any
type Json = any;

export const homarr: Replay = {
  app: "Homarr",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const web = `sp-homarr-web-${id}`;
    const done = `sp-homarr-done-${id}`;
    try {
      const webId = await fixture(web, { env: ["API_KEY=hunter2"] });
      const doneId = await fixture(done, { command: ["true"] });
      await eventually(
        async () => (await docker("inspect", "-f", "{{.State.Status}}", done)) === "exited",
        "exited",
      );
      const api = new Api(endpoint, hostFor(endpoint, UNIX_HOST));

      // getContainersWithStatsAsync: every container, a sample of each.
      const list = await api.get("/containers/json?all=true");
      assertEngine(list, 200, "the container list");
      const containers = json(list) as Json[];
      const found = containers.find((c) => c.Id === webId);
      assert.ok(found && containers.some((c) => c.Id === doneId), "running and exited listed");
      assert.equal(found.Names[0], `/${web}`);
      assert.ok(found.State === "running" && found.Image && Array.isArray(found.Ports));
      for (const cid of [webId, doneId]) {
        const stats = await api.get(`/containers/${cid}/stats?stream=false&one-shot=true`);
        assertEngine(stats, 200, "a stats sample");
        const sample = json(stats);
        assert.ok("cpu_stats" in sample && "memory_stats" in sample, stats.text);
        if (cid === webId) {
          assert.ok(sample.cpu_stats.online_cpus > 0 && sample.cpu_stats.cpu_usage.total_usage > 0);
          assert.ok(sample.cpu_stats.system_cpu_usage > 0 && sample.memory_stats.usage > 0);
          assert.ok(sample.memory_stats.stats, "memory_stats.stats (cache, inactive_file)");
        }
      }

      /** getContainerOrThrowAsync: an inspect on each engine, to find the container. */
      const inspect = async (cid: string) => {
        const answer = await api.get(`/containers/${cid}/json`);
        assertEngine(answer, 200, "inspect");
        return json(answer);
      };
      assert.ok((await inspect(webId)).Config.Env.includes("API_KEY=<scrubbed by socket-proxy>"));

      // The log view: the last 200 lines, then the live view.
      await inspect(webId);
      const logs = await api.get(
        `/containers/${webId}/logs?tail=200&stdout=true&stderr=true&follow=false`,
      );
      assertEngine(logs, 200, "the last log lines");
      await inspect(webId);
      const live = await api.stream(
        "GET",
        `/containers/${webId}/logs?tail=200&stdout=true&stderr=true&follow=true`,
      );
      try {
        assert.equal(live.status, 200, live.text);
        const last = demultiplex(logs.body).length;
        await live.until(
          (s) => demultiplex(s.bytes).length > last,
          "a line written after the last ones",
        );
      } finally {
        live.close();
      }

      // The actions, each after an inspect.
      const action = async (method: string, path: string, cid: string) => {
        await inspect(cid);
        assertEngine(await api.request(method, path), 204, `${method} ${path}`);
      };
      await action("POST", `/containers/${webId}/stop`, webId);
      assert.equal((await inspect(webId)).State.Running, false);
      await action("POST", `/containers/${webId}/start`, webId);
      await action("POST", `/containers/${webId}/restart`, webId);
      assert.equal((await inspect(webId)).State.Running, true);
      if (variant === "policy") {
        await action("DELETE", `/containers/${doneId}`, doneId);
      } else {
        // Removing needs POST=1 in the env recipe, which leaves it out.
        assertRefused(await api.request("DELETE", `/containers/${doneId}`), /POST=1/);
      }

      // What it never calls is refused.
      assertRefused(await api.get("/events"));
      assertRefused(await api.get("/_ping"));
      assertRefused(await api.post(`/containers/${webId}/exec`, { Cmd: ["sh"] }));
      assertRefused(await api.post("/containers/create", { Image: "busybox" }));
      if (variant === "policy") {
        assertRefused(await api.post(`/containers/${webId}/kill`), /ContainerKill/);
        assertRefused(await api.get(`/containers/${webId}/stats`), /ContainerStats/);
      }
    } finally {
      await removeAll([web, done]);
    }
  },
};
