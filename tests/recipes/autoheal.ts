/**
 * docker-autoheal (`docker-entrypoint`: POSIX sh, curl and jq), one round of
 * its loop: the unhealthy containers labelled autoheal=true, listed with the
 * filter JSON raw and unencoded in the request target (curl sends `{ } [ ] "`
 * as they are), then a restart of each with `t` from its label.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertHidden,
  assertRefused,
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

const HEADERS: { headers: [string, string][] } = {
  headers: [["User-Agent", "curl/8.12.1"], ["Accept", "*/*"]],
};
const UNHEALTHY = ["--health-cmd", "exit 1", "--health-interval", "1s", "--health-retries", "1"];

export const autoheal: Replay = {
  app: "docker-autoheal",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const sick = `sp-autoheal-sick-${id}`;
    const fine = `sp-autoheal-fine-${id}`;
    const other = `sp-autoheal-other-${id}`;
    try {
      const sickId = await fixture(sick, {
        labels: { autoheal: "true", "autoheal.stop.timeout": "3" },
        args: UNHEALTHY,
      });
      await fixture(fine, { labels: { autoheal: "true" } });
      const otherId = await fixture(other, { args: UNHEALTHY });
      for (const name of [sick, other]) {
        await eventually(
          async () =>
            (await docker("inspect", "-f", "{{.State.Health.Status}}", name)) === "unhealthy",
          `${name} unhealthy`,
        );
      }
      // DOCKER_SOCK=tcp://socket-proxy:2375 (curl's Host), or a socket path (Host: localhost).
      const api = new Api(endpoint, hostFor(endpoint, "localhost"));

      // get_container_info, with AUTOHEAL_CONTAINER_LABEL=autoheal: raw JSON in the target.
      const list = await api.get(
        '/containers/json?filters={"health":["unhealthy"],"label":["autoheal=true"]}',
        HEADERS,
      );
      assertEngine(list, 200, "the unhealthy list");
      const found = json(list) as {
        Id: string;
        Names: string[];
        State: string;
        Labels: Record<string, string>;
      }[];
      assert.deepEqual(found.map((c) => c.Id), [sickId], "only the unhealthy labelled container");
      // What jq reads: .Id, .Names[0], .State, .Labels["autoheal.stop.timeout"].
      const [container] = found;
      assert.equal(container.Names[0], `/${sick}`);
      assert.equal(container.State, "running");
      const timeout = container.Labels["autoheal.stop.timeout"] ?? "10";
      assert.equal(timeout, "3");

      // restart_container: curl -f -X POST, no body.
      const before = await docker("inspect", "-f", "{{.State.StartedAt}}", sick);
      const restart = await api.request(
        "POST",
        `/containers/${container.Id}/restart?t=${timeout}`,
        HEADERS,
      );
      assertEngine(restart, 204, "the restart");
      assert.notEqual(await docker("inspect", "-f", "{{.State.StartedAt}}", sick), before);

      // AUTOHEAL_ONLY_MONITOR_RUNNING=true adds a status term.
      assertEngine(
        await api.get(
          '/containers/json?filters={"health":["unhealthy"],"label":["autoheal=true"],"status":["running"]}',
          HEADERS,
        ),
        200,
        "the running-only list",
      );

      // What autoheal may not do: restart a container without the label, anything else.
      if (variant === "policy") {
        assertRefused(
          await api.request("POST", `/containers/${otherId}/restart?t=10`, HEADERS),
          /only on containers with labels autoheal=true/,
        );
        assertRefused(await api.get("/containers/json", HEADERS), /does not allow it: filters/);
        assertRefused(await api.request("POST", `/containers/${sickId}/stop`, HEADERS));
      } else {
        assertHidden(
          await api.request("POST", `/containers/${otherId}/restart?t=10`, HEADERS),
          otherId,
        );
        const all = json(await api.get("/containers/json", HEADERS)) as { Id: string }[];
        assert.ok(!all.some((c) => c.Id === otherId), "the list shows only labelled containers");
        assertRefused(await api.request("POST", `/containers/${sickId}/start`, HEADERS));
      }
      assertRefused(await api.get(`/containers/${sickId}/logs?stdout=1`, HEADERS));
      assertRefused(await api.get("/events", HEADERS));
    } finally {
      await removeAll([sick, fine, other]);
    }
  },
};
