/**
 * Promtail 3.7.6 (Grafana Loki), as `docker_sd_configs` (prometheus'
 * `discovery/moby`, `github.com/moby/moby/client` v0.4.1) and its docker
 * target (`clients/pkg/promtail/targets/docker`, `github.com/docker/docker`
 * v28.5.2 with `WithAPIVersionNegotiation`) call the engine: every refresh the
 * containers and the networks; for each target an inspect (`Config.Tty`) and
 * the followed log stream, whose query always carries an empty `tail=`.
 *
 * Like Alloy's, the stream is shown to outlive the proxy's timeouts (1 s here)
 * across 3 s of silence.
 */
import assert from "node:assert/strict";
import {
  type Endpoint,
  fixture,
  removeAll,
  type Replay,
  uniqueId,
  type Variant,
} from "./replay.ts";
import { assertShipperRefusals, discover, GoClient, QUIET_LOGGER, tail } from "./alloy.ts";

export const promtail: Replay = {
  app: "Promtail",
  async run(endpoint: Endpoint, variant: Variant) {
    const name = `sp-promtail-app-${uniqueId()}`;
    try {
      const id = await fixture(name, { env: ["LOG_TOKEN=hunter2"], command: QUIET_LOGGER });
      // docker_sd_configs: moby/client v0.4.1 (MaxAPIVersion 1.54).
      const sd = new GoClient(endpoint, "1.54", "Go-http-client/1.1");
      assert.equal((await discover(sd, id)).Names[0], `/${name}`);
      // The docker target: docker/docker v28.5.2 (DefaultVersion 1.51), `tail=` always.
      const target = new GoClient(endpoint, "1.51", "Docker-Client/28.5.2+incompatible (linux)");
      await tail(target, id, "follow=1&since=0&stderr=1&stdout=1&tail=&timestamps=1");
      await assertShipperRefusals(target, id, variant);
    } finally {
      await removeAll([name]);
    }
  },
};
