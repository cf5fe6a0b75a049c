/**
 * Watchtower (containrrr/watchtower 1.7, docker/docker v24 client pinned to
 * `/v1.25`, no ping) with `--label-enable`, one update session as
 * `pkg/container/client.go` and `internal/actions/update.go` run it: list the
 * running containers, inspect each and its image, pull, inspect the image by
 * name, kill with SIGTERM, wait, remove, wait for the 404, create from the old
 * inspect (`GetCreateConfig`, `GetCreateHostConfig`, `GetNetworkConfig`),
 * disconnect and reconnect its networks, start.
 *
 * The pull cannot happen here (nothing may be pulled): the image is named in a
 * registry on 127.0.0.1:1, where nothing listens, so the engine answers the
 * pull with its own error; the newer image is then made on the engine
 * directly, as a pull would have.
 */
import assert from "node:assert/strict";
import {
  type Answer,
  Api,
  assertEngine,
  assertHidden,
  assertRefused,
  docker,
  type Endpoint,
  engineApi,
  eventually,
  fixture,
  hostFor,
  json,
  queryEscape,
  removeAll,
  type Replay,
  testImage,
  uniqueId,
  type Variant,
} from "./replay.ts";

const V = "/v1.25";
const USER_AGENT: [string, string] = ["User-Agent", "Go-http-client/1.1"];
const ENABLE = "com.centurylinklabs.watchtower.enable";

// deno-lint-ignore no-explicit-any
type Json = any;

function sliceEqual(a: string[] | null, b: string[] | null): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((item, i) => item === y[i]);
}

/** `Container.GetCreateConfig`: the old Config minus what the image itself sets. */
export function createConfig(info: Json, image: Json): Json {
  const config = structuredClone(info.Config);
  const imageConfig = image.Config;
  if (config.WorkingDir === imageConfig.WorkingDir) config.WorkingDir = "";
  if (config.User === imageConfig.User) config.User = "";
  if (String(info.HostConfig.NetworkMode).startsWith("container:")) config.Hostname = "";
  if (sliceEqual(config.Entrypoint, imageConfig.Entrypoint)) {
    config.Entrypoint = null;
    if (sliceEqual(config.Cmd, imageConfig.Cmd)) config.Cmd = null;
  }
  if (config.Healthcheck && imageConfig.Healthcheck) {
    const [own, base] = [config.Healthcheck, imageConfig.Healthcheck];
    if (sliceEqual(own.Test, base.Test)) own.Test = null;
    for (const key of ["Retries", "Interval", "Timeout", "StartPeriod"]) {
      if (own[key] === base[key]) own[key] = 0;
    }
  }
  config.Env = (config.Env ?? []).filter((e: string) => !(imageConfig.Env ?? []).includes(e));
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.Labels ?? {})) {
    if (imageConfig.Labels?.[key] !== value) labels[key] = value as string;
  }
  config.Labels = labels;
  const volumes: Record<string, unknown> = {};
  for (const key of Object.keys(config.Volumes ?? {})) {
    if (!(key in (imageConfig.Volumes ?? {}))) volumes[key] = {};
  }
  config.Volumes = volumes;
  for (const port of Object.keys(config.ExposedPorts ?? {})) {
    if (port in (imageConfig.ExposedPorts ?? {})) delete config.ExposedPorts[port];
  }
  for (const port of Object.keys(info.HostConfig.PortBindings ?? {})) {
    config.ExposedPorts[port] = {};
  }
  config.Image = config.Image.includes(":") ? config.Image : `${config.Image}:latest`;
  return config;
}

/** `GetCreateHostConfig` (links rewritten) and the v24 client's `ContainerCreate` for API 1.25. */
export function createHostConfig(info: Json): Json {
  const host = structuredClone(info.HostConfig);
  host.Links =
    host.Links?.map((link: string) =>
      `${link.slice(0, link.indexOf(":"))}:${link.slice(link.lastIndexOf("/"))}`
    ) ?? null;
  host.KernelMemory = 0; // Cleared below API 1.40.
  return host;
}

/** `GetNetworkConfig`: the old endpoints without the old short-ID alias. */
export function networkConfig(info: Json): Record<string, Json> {
  const endpoints = structuredClone(info.NetworkSettings.Networks) as Record<string, Json>;
  for (const endpoint of Object.values(endpoints)) {
    endpoint.Aliases = (endpoint.Aliases ?? []).filter((a: string) => a !== info.Id.slice(0, 12));
  }
  return endpoints;
}

let appdata: string | null = null;

/** The bind mount source the updated container uses, allowed by the recipe. */
async function appdataDir(): Promise<string> {
  if (appdata === null) {
    const dir = appdata = await Deno.makeTempDir({ prefix: "sp-watchtower-appdata-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  }
  return appdata;
}

export const watchtower: Replay = {
  app: "Watchtower",
  async substitutions() {
    return { "/srv/appdata": await appdataDir() };
  },
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const app = `sp-watchtower-app-${id}`;
    const other = `sp-watchtower-other-${id}`;
    const reference = `127.0.0.1:1/sp-recipes/app-${id}`;
    const data = `${await appdataDir()}/${id}`;
    await Deno.mkdir(data);
    try {
      await docker("tag", testImage(), `${reference}:1`);
      const oldId = await fixture(app, {
        image: `${reference}:1`,
        labels: { [ENABLE]: "true" },
        env: ["DB_PASSWORD=hunter2"],
        args: ["-v", `${data}:/data`, "--restart", "unless-stopped"],
      });
      const otherId = await fixture(other, { env: ["SECRET=hunter2"] });
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const headers = { headers: [USER_AGENT] };
      const get = (path: string) => api.get(`${V}${path}`, headers);
      const post = (path: string, body?: unknown) => api.post(`${V}${path}`, body, headers);

      // ListContainers: running ones, inspected with their images before any label filter.
      const listed = await get(
        `/containers/json?filters=${queryEscape('{"status":{"running":true}}')}`,
      );
      assertEngine(listed, 200, "the container list");
      const ids = json(listed).map((c: Json) => c.Id) as string[];
      assert.ok(ids.includes(oldId), "the enabled container is listed");
      assert.ok(!ids.includes(otherId), "a container without the enable label is not");
      let info: Json = null;
      let image: Json = null;
      for (const cid of ids) {
        const inspected = json(await get(`/containers/${cid}/json`));
        const imageInfo = json(await get(`/images/${inspected.Image}/json`));
        assert.equal(imageInfo.Id, inspected.Image);
        if (cid === oldId) [info, image] = [inspected, imageInfo];
      }
      assert.equal(info.Config.Labels[ENABLE], "true");
      assert.ok(
        info.Config.Env.includes("DB_PASSWORD=hunter2"),
        "the full environment, to recreate",
      );
      assertHidden(await get(`/containers/${otherId}/json`), otherId);

      // IsContainerStale: pull (the engine's own registry error here), then the image by name.
      const imageName = info.Config.Image as string;
      const pull = await api.request(
        "POST",
        `${V}/images/create?fromImage=${queryEscape(reference)}&tag=1`,
        { headers: [USER_AGENT, ["X-Registry-Auth", ""]] },
      );
      assertEngine(pull, 500, "the pull");
      assert.match(json(pull).message, /127\.0\.0\.1:1/);
      const scratch = await docker("create", "--network", "none", testImage(), "true");
      try {
        await docker("commit", "--change", "LABEL version=2", scratch, `${reference}:1`);
      } finally {
        await docker("rm", scratch);
      }
      const newer = json(await get(`/images/${imageName}/json`));
      assert.notEqual(newer.Id, info.Image, "a newer image under the same name");

      // StopContainer: kill with SIGTERM, wait until not running, remove, wait for the 404.
      assertEngine(await post(`/containers/${oldId}/kill?signal=SIGTERM`), 204, "kill");
      await pollUntil(() => get(`/containers/${oldId}/json`), (a) => !json(a).State.Running);
      assertEngine(
        await api.request("DELETE", `${V}/containers/${oldId}?force=1`, headers),
        204,
        "remove",
      );
      await pollUntil(() => get(`/containers/${oldId}/json`), (a) => a.status === 404);

      // StartContainer: create from the old inspect with its first network only.
      const endpoints = networkConfig(info);
      const [first] = Object.keys(endpoints);
      const created = await post(`/containers/create?name=${queryEscape(info.Name)}`, {
        ...createConfig(info, image),
        HostConfig: createHostConfig(info),
        NetworkingConfig: { EndpointsConfig: { [first]: endpoints[first] } },
      });
      assertEngine(created, 201, "create");
      const newId = json(created).Id as string;
      for (const net of [first]) {
        assertEngine(
          await post(`/networks/${net}/disconnect`, { Container: newId, Force: true }),
          200,
          "disconnect",
        );
      }
      for (const [net, settings] of Object.entries(endpoints)) {
        assertEngine(
          await post(`/networks/${net}/connect`, { Container: newId, EndpointConfig: settings }),
          200,
          "connect",
        );
      }
      assertEngine(await post(`/containers/${newId}/start`), 204, "start");

      // The new container: the newer image, and everything else as before.
      const after = json(await engineApi().get(`/containers/${newId}/json`));
      assert.equal(after.Name, `/${app}`);
      assert.equal(after.State.Running, true);
      assert.equal(after.Image, newer.Id);
      assert.ok(after.Config.Env.includes("DB_PASSWORD=hunter2"));
      assert.equal(after.Config.Labels[ENABLE], "true");
      assert.deepEqual(after.HostConfig.Binds, [`${data}:/data`]);
      assert.equal(after.HostConfig.RestartPolicy.Name, "unless-stopped");
      assert.deepEqual(after.Config.Cmd, info.Config.Cmd);

      // What it may not do: host access in a create, and what it never calls.
      const create = (hostConfig: Json) =>
        post(`/containers/create?name=sp-watchtower-evil-${id}`, {
          Image: testImage(),
          Cmd: ["true"],
          HostConfig: { NetworkMode: "none", ...hostConfig },
        });
      assertRefused(await create({ Privileged: true }), /Privileged needs ALLOW_PRIVILEGED/);
      assertRefused(await create({ Binds: ["/etc:/host-etc"] }), /ALLOW_BIND_MOUNTS/);
      assertRefused(await create({ PidMode: "host" }), /ALLOW_HOST_NAMESPACES/);
      assertRefused(await post(`/containers/${newId}/exec`, { Cmd: ["sh"], Tty: true }));
      assertRefused(await get("/events"));
      if (variant === "policy") {
        assertRefused(await api.request("DELETE", `${V}/images/${newer.Id}?force=1&noprune=1`));
      }
    } finally {
      await removeAll([app, other, `sp-watchtower-evil-${id}`], [`${reference}:1`]);
      await Deno.remove(data, { recursive: true }).catch(() => {});
    }
  },
};

/** Watchtower's 1 s polling of an inspect, until `done` (faster here: nothing else waits on it). */
async function pollUntil(ask: () => Promise<Answer>, done: (answer: Answer) => boolean) {
  let last: Answer | null = null;
  await eventually(async () => done(last = await ask()), "the state Watchtower waits for", 15_000)
    .catch((error) => {
      throw new Error(`${error.message}; last answer ${last?.status}: ${last?.text}`);
    });
}
