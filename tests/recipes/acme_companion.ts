/**
 * acme-companion 2.8.2, as it calls the engine: its own docker-gen 0.17.2
 * (`start.sh`: `-watch -notify '/app/signal_le_service'`, the default event
 * filter), and its shell functions (`app/functions.sh`, `docker_api`: curl,
 * unversioned paths): the container list searched for the nginx-proxy and
 * docker-gen labels, inspects (its own mounts, `Config.Env`), and the reload:
 * in the two-container setup an exec in nginx-proxy (create, then a plain
 * `POST /exec/{id}/start` whose answer is the raw output), in the
 * three-container setup `kill?signal=SIGHUP` to docker-gen and to nginx.
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
import { assertTemplateFields, DOCKER_GEN_EVENTS, DockerGen } from "./nginx_proxy.ts";

/** curl's fields: `Host: localhost` over `--unix-socket`, its agent, `Accept: *\/*`. */
const CURL: [string, string][] = [["User-Agent", "curl/8.14.1"], ["Accept", "*/*"]];
const NGINX_LABEL = "com.github.nginx-proxy.nginx";
const DOCKER_GEN_LABEL = "com.github.nginx-proxy.docker-gen";
/** `reload_nginx`'s command in the two-container setup, as `docker_exec` prints it. */
const RELOAD_CMD = '[ "sh", "-c", "/app/docker-entrypoint.sh /usr/local/bin/docker-gen ' +
  '/app/nginx.tmpl /etc/nginx/conf.d/default.conf; /usr/sbin/nginx -s reload" ]';
/** A container that says so when it gets SIGHUP (PID 1 ignores signals it does not trap). */
const RELOADABLE = [
  "sh",
  "-c",
  'trap "exit 0" TERM; trap "echo reloaded" HUP; while :; do sleep 1 & wait; done',
];

// deno-lint-ignore no-explicit-any
type Json = any;

/** `docker_api`: curl with `-s -X METHOD`, `-d` data and a JSON `Content-Type` on POST. */
class Curl {
  readonly api: Api;

  constructor(endpoint: Endpoint) {
    this.api = new Api(endpoint, hostFor(endpoint, "localhost"));
  }

  get(path: string) {
    return this.api.get(path, { headers: CURL });
  }

  /** curl -X POST: with `-d`, the exact bytes; without, no body at all. */
  post(path: string, data?: string) {
    return this.api.request("POST", path, {
      headers: [...CURL, ["Content-Type", "application/json"]],
      ...(data === undefined ? {} : { body: data }),
    });
  }

  /** `labeled_cid`: the running containers, searched for a label by jq. */
  async labeled(label: string): Promise<string[]> {
    const answer = await this.get("/containers/json");
    assertEngine(answer, 200, "the container list");
    return (json(answer) as Json[]).filter((c) => label in c.Labels).map((c) => c.Id);
  }
}

export const acmeCompanion: Replay = {
  app: "acme-companion",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const nginx = `sp-acme-nginx-${id}`;
    const dockerGen = `sp-acme-dockergen-${id}`;
    const web = `sp-acme-web-${id}`;
    const other = `sp-acme-other-${id}`;
    try {
      // nginx-proxy (docker-gen inside, two-container setup), labelled as acme-companion asks.
      const nginxId = await fixture(nginx, {
        labels: { [NGINX_LABEL]: "" },
        env: ["DOCKER_GEN_VERSION=0.17.2", "NGINX_VERSION=1.29.8"],
        command: RELOADABLE,
      });
      // A separate docker-gen (three-container setup).
      const dockerGenId = await fixture(dockerGen, {
        labels: { [DOCKER_GEN_LABEL]: "" },
        command: RELOADABLE,
      });
      const webEnv = ["VIRTUAL_HOST=web.example", "LETSENCRYPT_HOST=web.example"];
      const webId = await fixture(web, { env: webEnv });
      const otherId = await fixture(other, { command: RELOADABLE });
      const curl = new Curl(endpoint);

      // entrypoint.sh: the nginx-proxy container by label (the legacy label first), the
      // docker-gen container by label, and whether nginx-proxy runs docker-gen itself.
      assert.deepEqual(
        await curl.labeled("com.github.jrcs.letsencrypt_nginx_proxy_companion.nginx_proxy"),
        [],
      );
      assert.deepEqual(await curl.labeled(NGINX_LABEL), [nginxId]);
      assert.deepEqual(await curl.labeled(DOCKER_GEN_LABEL), [dockerGenId]);
      const nginxInfo = json(await curl.get(`/containers/${nginxId}/json`));
      assert.ok(
        nginxInfo.Config.Env.some((e: string) => /^DOCKER_GEN_VERSION=/.test(e)),
        "is_docker_gen_container: Config.Env",
      );
      assert.equal(nginxInfo.State.Status, "running", "check_nginx_proxy_container_run");
      // check_writable_directory: its own mounts (here: a container standing in for itself).
      assert.ok(Array.isArray(json(await curl.get(`/containers/${webId}/json`)).Mounts));

      // Its docker-gen: version, events, a generation with the environment's values.
      const gen = new DockerGen(endpoint);
      await gen.version();
      const events = await gen.events(DOCKER_GEN_EVENTS);
      try {
        const containers = await gen.generate();
        assertTemplateFields(containers.get(webId), web, webEnv);
      } finally {
        events.close();
      }
      await gen.ping();

      // reload_nginx, two containers: exec create with printf's JSON, then a plain start.
      const data = `{ "AttachStdin": false, "AttachStdout": true, "AttachStderr": true, ` +
        `"Tty":false,"Cmd": ${RELOAD_CMD} }`;
      const exec = await curl.post(`/containers/${nginxId}/exec`, data);
      assertEngine(exec, 201, "exec create");
      const execId = json(exec).Id as string;
      const start = await curl.post(`/exec/${execId}/start`, '{"Detach": false, "Tty":false}');
      assertEngine(start, 200, "exec start");
      // The busybox stand-in has neither file: both halves of the command ran and said so.
      const output = demultiplex(start.body).map((f) => f.text).join("");
      assert.match(output, /docker-entrypoint\.sh: not found/);
      assert.match(output, /nginx: not found/);

      // reload_nginx, three containers: SIGHUP to docker-gen, then to nginx.
      for (const target of [dockerGenId, nginxId]) {
        assertEngine(await curl.post(`/containers/${target}/kill?signal=SIGHUP`), 204, "kill");
      }
      for (const target of [dockerGen, nginx]) {
        await eventually(
          async () => (await docker("logs", target)).includes("reloaded"),
          `${target} reloaded`,
        );
      }

      // What it never calls is refused.
      assertRefused(await curl.get(`/containers/${webId}/logs?stdout=1`));
      assertRefused(await curl.post("/build"));
      if (variant === "policy") {
        // The exec and the kill only where its labels say, the kill only with SIGHUP.
        assertRefused(await curl.post(`/containers/${otherId}/exec`, data), /ContainerExec/);
        // In nginx-proxy, only reload_nginx's command: not `nginx -s stop`, in any form.
        const stop = (cmd: string) =>
          curl.post(`/containers/${nginxId}/exec`, data.replace(RELOAD_CMD, cmd));
        assertRefused(await stop('[ "nginx", "-s", "stop" ]'), /ContainerExec/);
        assertRefused(
          await stop(RELOAD_CMD.replace("nginx -s reload", "nginx -s stop")),
          /ContainerExec/,
        );
        assertRefused(await stop(RELOAD_CMD.replace(" ]", ', "x" ]')), /ContainerExec/);
        assertRefused(
          await curl.post(
            `/containers/${nginxId}/exec`,
            data.replace('"Tty":false', '"Tty":false,"Privileged":true'),
          ),
          /ContainerExec/,
        );
        assertRefused(
          await curl.post(`/containers/${otherId}/kill?signal=SIGHUP`),
          /ContainerKill/,
        );
        assertRefused(
          await curl.post(`/containers/${nginxId}/kill?signal=SIGKILL`),
          /ContainerKill/,
        );
        assertRefused(await curl.post(`/containers/${nginxId}/stop`), /ContainerStop/);
        assertRefused(await curl.get("/events"), /SystemEvents/);
      } else {
        // POST=1 opens every method: only host access is checked in what it could create.
        assertRefused(
          await curl.post(
            "/containers/create",
            JSON.stringify({ Image: "busybox", HostConfig: { Privileged: true } }),
          ),
          /ALLOW_PRIVILEGED/,
        );
      }
    } finally {
      await removeAll([nginx, dockerGen, web, other]);
    }
  },
};
