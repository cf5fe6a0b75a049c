/**
 * Netdata v2.11.0: the cgroups plugin's `cgroup-name` (Go's `net/http`),
 * which names a container's cgroup with one unversioned
 * `GET /containers/{id}/json` (a full or a 12-digit ID) reading `Name`,
 * `Config.Image`, the `netdata.cloud/*` labels and `NOMAD_*` variables; and the
 * go.d `docker` collector (moby/client v0.5.1, up to API 1.55): the implicit
 * `HEAD /_ping`, `/info`, `/images/json`, and the container list once for each
 * health status, then the `containers` function's plain list.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertRefused,
  docker,
  type Endpoint,
  eventually,
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
import { mobyAgent } from "./replay_extra_b.ts";

/** moby/client v0.5.1's `MaxAPIVersion`. */
const CLIENT_MAX = "1.55";
const HTTP: { headers: [string, string][] } = {
  headers: [["User-Agent", "Go-http-client/1.1"], ["Accept-Encoding", "gzip"]],
};
const HEALTH = (exit: number) => [
  "--health-cmd",
  `exit ${exit}`,
  "--health-interval",
  "1s",
  "--health-retries",
  "1",
];

export const netdata: Replay = {
  app: "Netdata",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const healthy = `sp-netdata-healthy-${id}`;
    const sick = `sp-netdata-sick-${id}`;
    const plain = `sp-netdata-plain-${id}`;
    try {
      const healthyId = await fixture(healthy, {
        labels: { "netdata.cloud/team": "web", "com.example.other": "x" },
        env: ["NOMAD_JOB_NAME=web", "DB_PASSWORD=hunter2"],
        args: HEALTH(0),
      });
      const sickId = await fixture(sick, { args: HEALTH(1) });
      const plainId = await fixture(plain);
      for (const [name, status] of [[healthy, "healthy"], [sick, "unhealthy"]]) {
        await eventually(
          async () => (await docker("inspect", "-f", "{{.State.Health.Status}}", name)) === status,
          `${name} ${status}`,
        );
      }

      // cgroup-name: DOCKER_HOST=tcp://socket-proxy:2375 (that Host), or a socket (Host: localhost).
      const names = new Api(endpoint, hostFor(endpoint, "localhost"));
      for (const cid of [healthyId, healthyId.slice(0, 12)]) {
        const answer = await names.get(`/containers/${cid}/json`, HTTP);
        assertEngine(answer, 200, `inspect ${cid}`);
        const doc = json(answer);
        assert.equal(doc.Name, `/${healthy}`, "CONT_NAME");
        assert.equal(doc.Config.Image, testImage(), "IMAGE_NAME");
        assert.equal(doc.Config.Labels["netdata.cloud/team"], "web", "netdata.cloud/* labels");
        // NOMAD_* values would name Nomad tasks; the recipes scrub every value.
        assert.ok(doc.Config.Env.includes("NOMAD_JOB_NAME=<scrubbed by socket-proxy>"));
        assert.ok(!JSON.stringify(doc).includes("hunter2"));
      }

      // The go.d docker collector.
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const headers = { headers: [mobyAgent("v0.5.1")] };
      const ping = await api.request("HEAD", "/_ping", headers);
      assertEngine(ping, 200, "HEAD /_ping");
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;
      const get = (path: string) => api.get(`${v}${path}`, headers);

      const info = json(await get("/info"));
      for (const field of ["ContainersRunning", "ContainersPaused", "ContainersStopped"]) {
        assert.equal(typeof info[field], "number", field);
      }
      assert.ok(info.ContainersRunning >= 3);
      const images = json(await get("/images/json")) as { Size: number; Containers: number }[];
      assert.ok(images.length > 0 && images.every((i) => typeof i.Size === "number"));
      assert.ok(images.every((i) => typeof i.Containers === "number"), "Containers");

      const byHealth = new Map<string, string[]>();
      for (const status of ["healthy", "unhealthy", "starting", "none"]) {
        const filter = JSON.stringify({ health: { [status]: true } });
        const list = await get(`/containers/json?all=1&filters=${queryEscape(filter)}`);
        assertEngine(list, 200, `the ${status} list`);
        const items = json(list) as { Id: string; Names: string[]; State: string; Image: string }[];
        assert.ok(items.every((c) => c.Names[0].startsWith("/") && c.State && c.Image));
        byHealth.set(status, items.map((c) => c.Id));
      }
      assert.ok(byHealth.get("healthy")!.includes(healthyId));
      assert.ok(byHealth.get("unhealthy")!.includes(sickId));
      assert.ok(byHealth.get("none")!.includes(plainId));
      assert.ok(!byHealth.get("none")!.includes(healthyId));
      // The "containers" function's list.
      const all = json(await get("/containers/json?all=1")) as { Id: string }[];
      assert.ok([healthyId, sickId, plainId].every((cid) => all.some((c) => c.Id === cid)));

      // Nothing else.
      assertRefused(await get("/events"));
      assertRefused(await get("/version"));
      assertRefused(await get(`/containers/${healthyId}/logs?stdout=1`));
      assertRefused(await get("/volumes"));
      if (variant === "policy") {
        assertRefused(await get(`/containers/${healthyId}/stats?stream=false`), /ContainerStats/);
        const other = queryEscape('{"label":{"com.example.other":true}}');
        assertRefused(await get(`/containers/json?all=1&filters=${other}`), /filters/);
      }
      assertRefused(await api.request("POST", `${v}/containers/${healthyId}/stop`, headers));
    } finally {
      await removeAll([healthy, sick, plain]);
    }
  },
};
