/**
 * What's Up Docker 8.3.1 (dockerode 5.0.1, docker-modem 5.0.7: unversioned
 * paths, no ping, no `User-Agent`), its docker watcher with
 * `WATCHBYDEFAULT=false` and its docker trigger, as
 * `app/watchers/providers/docker/Docker.ts` and
 * `app/triggers/providers/docker/Docker.ts` call the engine: the running
 * containers, the image of each watched one (by the name the container
 * gives), the event stream with its filter and an inspect on each event;
 * then an update: inspect, pull, stop, remove, create from the old inspect,
 * start.
 *
 * docker-modem puts every key of a POST's options in the query too: the create
 * carries the whole container (environment included) in its request line, each
 * array as repeated keys and each object as JSON.
 *
 * The pull cannot happen here (nothing may be pulled): the image is named in a
 * registry on 127.0.0.1:1, where nothing listens, so the engine answers with
 * its own error; the newer tag is then made on the engine, as a pull would have.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertHidden,
  assertRefused,
  docker,
  type Endpoint,
  engineApi,
  fixture,
  hostFor,
  json,
  removeAll,
  type Replay,
  testImage,
  uniqueId,
  type Variant,
} from "./replay.ts";

/** dockerode sends no `User-Agent`; Node's http sets `Host: localhost` for a `socketPath`. */
const UNIX_HOST = "localhost";
const WATCH = "wud.watch";
const EVENTS_FILTER = {
  type: ["container"],
  event: ["create", "destroy", "start", "stop", "pause", "unpause", "die", "update"],
};

// deno-lint-ignore no-explicit-any
type Json = any;

/** Node's `querystring.stringify` after docker-modem's `buildQuerystring` (objects as JSON). */
export function modemQuery(options: Record<string, unknown>): string {
  const fields: string[] = [];
  const convert = (value: unknown) =>
    encodeURIComponent(
      typeof value === "string"
        ? value
        : typeof value === "number"
        ? (Number.isFinite(value) ? String(value) : "")
        : typeof value === "boolean"
        ? String(value)
        : "",
    );
  for (const [key, raw] of Object.entries(options)) {
    const value = raw && typeof raw === "object" && !Array.isArray(raw) ? JSON.stringify(raw) : raw;
    if (Array.isArray(value)) {
      for (const item of value) fields.push(`${encodeURIComponent(key)}=${convert(item)}`);
    } else {
      fields.push(`${encodeURIComponent(key)}=${convert(value)}`);
    }
  }
  return fields.join("&");
}

/** The trigger's `cloneContainer`: the old Config, its name, the new image, HostConfig, networks. */
export function cloneContainer(info: Json, newImage: string): Json {
  const clone: Json = {
    ...structuredClone(info.Config),
    name: info.Name.replace("/", ""),
    Image: newImage,
    HostConfig: structuredClone(info.HostConfig),
    NetworkingConfig: { EndpointsConfig: structuredClone(info.NetworkSettings.Networks) },
  };
  for (const endpoint of Object.values(clone.NetworkingConfig.EndpointsConfig) as Json[]) {
    if (endpoint.Aliases?.length > 0) {
      endpoint.Aliases = endpoint.Aliases.filter((alias: string) => !info.Id.startsWith(alias));
    }
  }
  return clone;
}

let appdata: string | null = null;

/** The bind mount source the updated container uses, allowed by the recipe. */
async function appdataDir(): Promise<string> {
  if (appdata === null) {
    const dir = appdata = await Deno.makeTempDir({ prefix: "sp-wud-appdata-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  }
  return appdata;
}

export const wud: Replay = {
  app: "What's Up Docker",
  async substitutions() {
    return { "/srv/appdata": await appdataDir() };
  },
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const app = `sp-wud-app-${id}`;
    const other = `sp-wud-other-${id}`;
    const repository = `127.0.0.1:1/sp-recipes/wud-app-${id}`;
    const data = `${await appdataDir()}/${id}`;
    await Deno.mkdir(data);
    try {
      await docker("tag", testImage(), `${repository}:1`);
      const oldId = await fixture(app, {
        image: `${repository}:1`,
        labels: { [WATCH]: "true", "wud.tag.include": "^\\d+$" },
        env: ["DB_PASSWORD=hunter2"],
        args: ["-v", `${data}:/data`, "--restart", "unless-stopped"],
      });
      const otherId = await fixture(other, { env: ["SECRET=hunter2"] });
      const api = new Api(endpoint, hostFor(endpoint, UNIX_HOST));

      // The watcher's event stream (started 1 s after the watcher).
      const events = await api.stream(
        "GET",
        `/events?${modemQuery({ filters: EVENTS_FILTER })}`,
      );
      try {
        assert.equal(events.status, 200, events.text);

        // getContainers: the running ones, watched by label, each with its image.
        const list = await api.get("/containers/json");
        assertEngine(list, 200, "the container list");
        const containers = json(list) as Json[];
        assert.ok(!containers.some((c) => c.Id === otherId), "an unwatched container is hidden");
        const container = containers.find((c) => c.Id === oldId);
        assert.ok(container, "the watched container is listed");
        assert.equal(container.Labels[WATCH], "true");
        assert.equal(container.Image, `${repository}:1`);
        assert.equal(container.State, "running");
        const image = await api.get(`/images/${container.Image}/json`);
        assertEngine(image, 200, "the image by the container's name for it");
        const imageInfo = json(image);
        for (const field of ["Id", "Architecture", "Os", "Created", "RepoTags", "RepoDigests"]) {
          assert.ok(imageInfo[field] !== undefined, `image ${field}`);
        }
        assert.ok(imageInfo.RepoTags.includes(`${repository}:1`));
        assertHidden(await api.get(`/containers/${otherId}/json`), otherId);

        // An event of the watched container (none of the hidden one): its inspect, for
        // State.Status.
        await docker("pause", other);
        await docker("pause", app);
        await events.until(
          (s) => s.jsonLines.some((e) => e.id === oldId && e.Action === "pause"),
          "the pause event of the watched container",
        );
        assert.ok(!events.text.includes(otherId), "no event of the hidden container");
        const paused = await api.get(`/containers/${oldId}/json`);
        assert.equal(json(paused).State.Status, "paused");
        await docker("unpause", app);
        await docker("unpause", other);
      } finally {
        events.close();
      }

      // The trigger (a newer tag "2" found in the registry): inspect, pull, stop, remove...
      const inspected = await api.get(`/containers/${oldId}/json`);
      assertEngine(inspected, 200, "inspect before the update");
      const info = json(inspected);
      assert.ok(
        info.Config.Env.includes("DB_PASSWORD=hunter2"),
        "the full environment, to recreate",
      );
      assert.equal(info.State.Running, true);
      const newImage = `${repository}:2`;
      const pull = await api.post(
        `/images/create?${modemQuery({ authconfig: undefined, fromImage: repository, tag: "2" })}`,
      );
      assertEngine(pull, 500, "the pull");
      assert.match(json(pull).message, /127\.0\.0\.1:1/);
      const scratch = await docker("create", "--network", "none", testImage(), "true");
      try {
        await docker("commit", "--change", "LABEL version=2", scratch, newImage);
      } finally {
        await docker("rm", scratch);
      }
      const clone = cloneContainer(info, newImage);
      assertEngine(await api.post(`/containers/${oldId}/stop`), 204, "stop");
      assertEngine(await api.request("DELETE", `/containers/${oldId}`), 204, "remove");
      const createTarget = `/containers/create?${modemQuery(clone)}`;
      // 3.5 kB here; a container with a large environment can pass MAX_REQUEST_LINE (8192).
      assert.ok(createTarget.length < 8192, `${createTarget.length} bytes`);
      const created = await api.post(createTarget, clone);
      assertEngine(created, 201, "create");
      const newId = json(created).Id as string;
      assertEngine(await api.post(`/containers/${newId}/start`), 204, "start");

      // The new container: the newer image, and everything else as before.
      const after = json(await engineApi().get(`/containers/${newId}/json`));
      assert.equal(after.Name, `/${app}`);
      assert.equal(after.State.Running, true);
      assert.equal(after.Config.Image, newImage);
      assert.ok(after.Config.Env.includes("DB_PASSWORD=hunter2"));
      assert.equal(after.Config.Labels[WATCH], "true");
      assert.deepEqual(after.HostConfig.Binds, [`${data}:/data`]);
      assert.equal(after.HostConfig.RestartPolicy.Name, "unless-stopped");

      // MULTINETWORKFALLBACK's connect reaches the engine (which refuses a second "none").
      const connect = await api.post("/networks/none/connect", {
        Container: newId,
        EndpointConfig: {},
      });
      assertEngine(connect, [400, 403, 409, 500], "network connect");
      assert.doesNotMatch(connect.text, /socket-proxy/);

      // What it may not do: host access in a create, and what it never calls.
      const create = (hostConfig: Json) => {
        const body = {
          Image: testImage(),
          Cmd: ["true"],
          name: `sp-wud-evil-${id}`,
          HostConfig: { NetworkMode: "none", ...hostConfig },
        };
        return api.post(`/containers/create?${modemQuery(body)}`, body);
      };
      assertRefused(await create({ Privileged: true }), /Privileged needs ALLOW_PRIVILEGED/);
      assertRefused(await create({ Binds: ["/etc:/host-etc"] }), /ALLOW_BIND_MOUNTS/);
      assertRefused(await api.post(`/containers/${newId}/exec`, { Cmd: ["sh"] }));
      if (variant === "policy") {
        assertRefused(await api.post(`/containers/${newId}/kill`), /ContainerKill/);
        assertRefused(await api.request("DELETE", `/images/${newImage}`), /ImageDelete/);
        assertRefused(await api.get("/events"), /SystemEvents/);
      } else {
        assertRefused(await api.get("/volumes"), /VOLUMES=1/);
      }
    } finally {
      await removeAll(
        [app, other, `sp-wud-evil-${id}`],
        [`${repository}:1`, `${repository}:2`],
      );
      await Deno.remove(data, { recursive: true }).catch(() => {});
    }
  },
};
