/**
 * API_VERSION_FLOOR against a dockerd whose minimum API version is raised as
 * Docker 29 raises it (DOCKER_MIN_API_VERSION=1.44): Watchtower, which pins
 * `/v1.25`, stops working without the floor, and every call of its recipes
 * passes with it. Run by `scripts/test_env.ts --matrix` (or `--engines=sid-min`)
 * only, with SP_TEST_DOCKER_SOCKET on that engine: `deno test tests/` does not
 * pick this file up (its name does not end in `_test.ts`), since Debian 12's
 * dockerd cannot raise its minimum.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertRefused,
  engineApi,
  json,
  type RecipeProxy,
  removeAll,
  startEnvRecipe,
  startPolicyRecipe,
  testImage,
  uniqueId,
} from "../recipes/replay.ts";
import { watchtower } from "../recipes/watchtower.ts";
import { engineSocket, startProxyProcess } from "../helpers/proxy_process.ts";

const MINIMUM = Deno.env.get("SP_TEST_DOCKER_MIN_API_VERSION");
const FLOOR = { API_VERSION_FLOOR: "1.44" };

function minimum(): string {
  if (MINIMUM === undefined) {
    throw new Error(
      "SP_TEST_DOCKER_MIN_API_VERSION is not set: this file runs through " +
        "`scripts/test_env.ts --engines=sid-min`, against a dockerd with a raised minimum",
    );
  }
  return MINIMUM;
}

Deno.test("the engine refuses Watchtower's /v1.25 itself, as Docker 29 does", async () => {
  const raised = minimum();
  const version = json(await engineApi().get("/version"));
  assert.equal(version.MinAPIVersion, raised);
  const old = await engineApi().get("/v1.25/containers/json");
  assert.equal(old.status, 400);
  assert.match(json(old).message, /client version 1\.25 is too old/);
});

Deno.test("without API_VERSION_FLOOR, Watchtower's calls get the engine's refusal", async () => {
  minimum();
  const substitutions = await watchtower.substitutions!();
  const proxy = await startEnvRecipe("watchtower/socket-proxy.env", { substitutions });
  try {
    const api = new Api(proxy.endpoint, "socket-proxy:2375");
    const answer = await api.get("/v1.25/containers/json");
    assert.equal(answer.status, 400);
    assert.match(answer.text, /too old/);
  } finally {
    await proxy.stop();
  }
});

/** Runs Watchtower's replay through `proxy`, then checks the proxy logged its rewrites. */
async function replayWithFloor(variant: "env" | "policy", proxy: RecipeProxy): Promise<void> {
  try {
    await watchtower.run(proxy.endpoint, variant);
    const rewrites = proxy.process.lines.filter((line) => line.includes("API_VERSION_FLOOR"));
    assert.ok(
      rewrites.some((line) =>
        line.includes("ContainerCreate") && /v1\.25 forwarded as \/v1\.44/.test(line)
      ),
      rewrites.join("\n"),
    );
  } catch (error) {
    const log = proxy.process.lines.filter((line) => /warning|err|FLOOR/.test(line)).slice(-20);
    (error as Error).message += `\nproxy log:\n${log.join("\n")}`;
    throw error;
  } finally {
    await proxy.stop();
  }
}

Deno.test("with API_VERSION_FLOOR=1.44, every call of Watchtower's recipes passes", async (t) => {
  minimum();
  const substitutions = await watchtower.substitutions!();
  await t.step("socket-proxy.env", async () => {
    await replayWithFloor(
      "env",
      await startEnvRecipe("watchtower/socket-proxy.env", { substitutions, env: FLOOR }),
    );
  });
  await t.step("policy.yaml", async () => {
    await replayWithFloor(
      "policy",
      await startPolicyRecipe("watchtower/policy.yaml", { substitutions, env: FLOOR }),
    );
  });
});

Deno.test("under the floor, what changed meaning is refused and what is exact is translated", async (t) => {
  minimum();
  const id = uniqueId();
  const name = `sp-floor-${id}`;
  const dir = await Deno.makeTempDir({ prefix: "sp-floor-" });
  const proxy = await startProxyProcess({
    SOCKET_PATH: engineSocket(),
    CONTAINERS: "1",
    IMAGES: "1",
    NETWORKS: "1",
    POST: "1",
    ...FLOOR,
  });
  const api = new Api({ transport: "tcp", port: proxy.port }, "socket-proxy:2375");
  try {
    await t.step(
      "GET /v1.25/networks, which listed containers before 1.28, is refused",
      async () => {
        assertRefused(await api.get("/v1.25/networks"), /GET \/networks no longer lists.*1\.28/);
      },
    );
    await t.step("a create with Annotations, which 1.25 ignored, is refused", async () => {
      const answer = await api.post(`/v1.25/containers/create?name=${name}`, {
        Image: testImage(),
        HostConfig: { NetworkMode: "none", CgroupnsMode: "private", Annotations: { a: "b" } },
      });
      assertRefused(answer, /HostConfig\.Annotations is set/);
    });
    await t.step(
      "a read-only bind mount is forwarded as sent, and the stricter reading logged",
      async () => {
        const created = await api.post(`/v1.25/containers/create?name=${name}`, {
          Image: testImage(),
          Cmd: ["true"],
          HostConfig: {
            NetworkMode: "none",
            CgroupnsMode: "private",
            Mounts: [{ Type: "bind", Source: dir, Target: "/data", ReadOnly: true }],
          },
        });
        assert.equal(created.status, 201, created.text);
        const inspected = json(await engineApi().get(`/containers/${json(created).Id}/json`));
        assert.equal(inspected.HostConfig.Mounts[0].ReadOnly, true);
        assert.equal(inspected.HostConfig.Mounts[0].BindOptions?.ReadOnlyNonRecursive, undefined);
        // Log lines are written in batches: wait for it rather than look at once.
        await proxy.waitForLine(/recursively read-only/);
      },
    );
    await t.step("an endpoint MAC address, which 1.25 ignored, is dropped", async () => {
      await removeAll([name], []);
      const created = await api.post(`/v1.25/containers/create?name=${name}`, {
        Image: testImage(),
        Cmd: ["true"],
        HostConfig: { NetworkMode: "none", CgroupnsMode: "private" },
        NetworkingConfig: { EndpointsConfig: { none: { MacAddress: "02:42:ac:11:00:99" } } },
      });
      assert.equal(created.status, 201, created.text);
      const inspected = json(await engineApi().get(`/containers/${json(created).Id}/json`));
      assert.notEqual(inspected.NetworkSettings.Networks.none?.MacAddress, "02:42:ac:11:00:99");
      await proxy.waitForLine(/dropped NetworkingConfig/);
    });
    await t.step("an image inspect has VirtualSize again, equal to Size", async () => {
      const image = json(await api.get(`/v1.25/images/${testImage()}/json`));
      assert.equal(typeof image.Size, "number");
      assert.equal(image.VirtualSize, image.Size);
      const direct = json(await engineApi().get(`/v1.44/images/${testImage()}/json`));
      assert.equal(direct.VirtualSize, undefined, "the engine itself omits it at 1.44");
    });
  } finally {
    await proxy.stop();
    await removeAll([name], []);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
