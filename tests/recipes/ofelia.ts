/**
 * Ofelia 0.29.0 (netresearch/ofelia, the maintained fork; moby/client v0.5.0,
 * up to API 1.55) with jobs from labels, as `cli/docker_config_handler.go`,
 * `core/execjob.go`, `core/runjob.go` and `core/adapters/docker/` call the
 * engine: the explicit negotiating `HEAD /_ping` and the start-up ping, the
 * labelled containers, the filtered event stream; a job-exec (exec create, the
 * hijacked start, inspect for the exit code); a job-run (the pull, the local
 * image when the pull fails, create, start, wait, logs since the start,
 * remove).
 *
 * The pull cannot happen here: the image is named in a registry on
 * 127.0.0.1:1, where nothing listens, so the engine answers with its own error,
 * and Ofelia falls back to the local image, as it does.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertRefused,
  demultiplex,
  docker,
  type Endpoint,
  EVENTS_ACCEPT,
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
import {
  goConfig,
  goExecCreate,
  goHostConfig,
  goJson,
  hijackHeaders,
  mobyAgent,
  RawTunnel,
} from "./replay_extra_b.ts";

/** moby/client v0.5.0's `MaxAPIVersion`. */
const CLIENT_MAX = "1.55";
const AGENT = mobyAgent("v0.5.0");
const LIST_FILTER = '{"label":{"ofelia.enabled=true":true}}';
const EVENTS_FILTER = '{"event":{"create":true,"destroy":true,"die":true,"kill":true,' +
  '"pause":true,"rename":true,"restart":true,"start":true,"stop":true,"unpause":true,' +
  '"update":true},"label":{"ofelia.enabled=true":true},"type":{"container":true}}';

/** compose.yaml's vacuum job, the one the profile's commented body rule names. */
const VACUUM = ["vacuumdb", "--all", "--analyze"];

/** With the profile's body rule on exec: the job's command, as its user, and nothing else. */
export const ofeliaCommands: Replay = {
  app: "Ofelia (exec of one command)",
  async run(endpoint: Endpoint, _variant: Variant) {
    const db = `sp-ofelia-cmd-${uniqueId()}`;
    try {
      await fixture(db, { labels: { "ofelia.enabled": "true" } });
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const ping = await api.request("HEAD", "/_ping", { headers: [AGENT] });
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;
      const exec = (user: string, cmd: string[]) =>
        api.request("POST", `${v}/containers/${db}/exec`, {
          body: goJson(
            goExecCreate({ User: user, AttachStderr: true, AttachStdout: true, Cmd: cmd }),
          ),
          headers: [AGENT, ["Content-Type", "application/json"]],
        });
      // Forwarded: dockerd 28 looks the user up at exec create already, and the test image has
      // no postgres user, so there the engine's own 400 answers it; older engines create it.
      const job = await exec("postgres", VACUUM);
      if (job.status === 400) assert.match(job.text, /unable to find user postgres/);
      else assertEngine(job, 201, "the job's command");
      assertRefused(await exec("postgres", ["sh", "-c", "cat /etc/shadow"]), /Cmd/);
      assertRefused(await exec("postgres", [...VACUUM, "--host=evil"]), /Cmd/);
      assertRefused(await exec("root", VACUUM), /User/);
      assertRefused(await exec("", VACUUM), /User/);
    } finally {
      await removeAll([db]);
    }
  },
};

/** `since` from `time.Format(RFC3339Nano)`, as moby's `timestamp.GetTimestamp` sends it. */
function since(date: Date): string {
  const ms = date.getTime();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, "0")}`;
}

export const ofelia: Replay = {
  app: "Ofelia",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const db = `sp-ofelia-db-${id}`;
    const late = `sp-ofelia-late-${id}`;
    const other = `sp-ofelia-other-${id}`;
    const job = `sp-ofelia-report-${id}`;
    const reference = `127.0.0.1:1/sp-recipes/report-${id}`;
    try {
      await docker("tag", testImage(), `${reference}:1`);
      const dbId = await fixture(db, {
        labels: {
          "ofelia.enabled": "true",
          "ofelia.job-exec.vacuum.schedule": "@hourly",
          "ofelia.job-exec.vacuum.command": "sh -c 'echo vacuum-$((40+2))'",
        },
      });
      const lateId = await fixture(late, { labels: { "ofelia.enabled": "true" }, created: true });
      const otherId = await fixture(other);
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const headers = { headers: [AGENT] };

      // NewClientWithConfig's negotiating ping, then pingWithRetry's.
      const ping = await api.request("HEAD", "/_ping", headers);
      assertEngine(ping, 200, "HEAD /_ping");
      assertEngine(await api.request("HEAD", "/_ping", headers), 200, "the start-up check");
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;
      const get = (path: string) => api.get(`${v}${path}`, headers);
      const post = (path: string, body?: unknown) =>
        api.request(
          "POST",
          `${v}${path}`,
          body === undefined ? headers : {
            ...headers,
            body: goJson(body),
            headers: [AGENT, ["Content-Type", "application/json"]],
          },
        );

      // GetDockerContainers: the labelled containers, their names and ofelia.* labels.
      const listed = json(await get(`/containers/json?filters=${queryEscape(LIST_FILTER)}`)) as {
        Id: string;
        Names: string[];
        Labels: Record<string, string>;
      }[];
      const found = listed.find((c) => c.Id === dbId);
      assert.equal(found?.Names[0], `/${db}`);
      assert.equal(found?.Labels["ofelia.job-exec.vacuum.schedule"], "@hourly");
      assert.ok(!listed.some((c) => c.Id === otherId));

      // The event stream: a labelled container starting makes Ofelia read the labels again.
      const events = await api.stream("GET", `${v}/events?filters=${queryEscape(EVENTS_FILTER)}`, {
        headers: [AGENT, ...EVENTS_ACCEPT],
      });
      try {
        assert.equal(events.status, 200, events.text);
        await docker("start", late);
        await events.until(
          (s) => s.jsonLines.some((e) => e.Action === "start" && e.Actor?.ID === lateId),
          "the start event of a labelled container",
        );
      } finally {
        events.close();
      }

      // job-exec in the container that defines it, by name.
      const exec = await post(
        `/containers/${db}/exec`,
        goExecCreate({
          AttachStderr: true,
          AttachStdout: true,
          Cmd: ["sh", "-c", "echo vacuum-$((40+2))"],
        }),
      );
      assertEngine(exec, 201, "exec create");
      const execId = json(exec).Id as string;
      const tunnel = await RawTunnel.open(
        endpoint,
        hostFor(endpoint, "api.moby.localhost"),
        "POST",
        `${v}/exec/${execId}/start`,
        hijackHeaders(AGENT),
        goJson({ Detach: false, Tty: false }),
      );
      try {
        assert.equal(tunnel.status, 101, tunnel.head);
        const output = demultiplex(await tunnel.readToEnd("the exec's output"));
        assert.deepEqual(output.map((f) => [f.stream, f.text]), [[1, "vacuum-42\n"]]);
      } finally {
        tunnel.close();
      }
      const execInfo = json(await get(`/exec/${execId}/json`));
      assert.equal(execInfo.Running, false);
      assert.equal(execInfo.ExitCode, 0);

      // job-run: pull (the engine's own registry error), then the local image.
      const pull = await api.request(
        "POST",
        `${v}/images/create?fromImage=${queryEscape(reference)}&tag=1`,
        { headers: [AGENT, ["X-Registry-Auth", ""]] },
      );
      assertEngine(pull, 500, "the pull");
      assertEngine(await get(`/images/${reference}:1/json`), 200, "the local image");
      const startedAt = new Date();
      const created = await post(`/containers/create?name=${job}`, {
        ...goConfig({
          AttachStdout: true,
          AttachStderr: true,
          Cmd: ["sh", "-c", "echo report-$((40+2))"],
          Image: `${reference}:1`,
          Labels: {
            "ofelia.job.name": "report",
            "ofelia.job.type": "run",
            "ofelia.execution.time": startedAt.toISOString().replace(/\.\d+Z$/, "Z"),
            "ofelia.scheduler.host": "ofelia",
            "ofelia.version": "0.29.0",
          },
        }),
        HostConfig: goHostConfig(),
      });
      assertEngine(created, 201, "create");
      const jobId = json(created).Id as string;
      assertEngine(await post(`/containers/${jobId}/start`), 204, "start");
      const waited = await post(`/containers/${jobId}/wait?condition=not-running`);
      assertEngine(waited, 200, "wait");
      assert.equal(json(waited).StatusCode, 0);
      const logs = await get(
        `/containers/${jobId}/logs?since=${since(new Date(startedAt.getTime() - 1000))}` +
          "&stderr=1&stdout=1",
      );
      assertEngine(logs, 200, "logs");
      assert.deepEqual(demultiplex(logs.body).map((f) => f.text), ["report-42\n"]);
      assertEngine(await api.request("DELETE", `${v}/containers/${jobId}`, headers), 204, "remove");

      // What Ofelia may not do.
      const evil = (host: Record<string, unknown>) =>
        post(`/containers/create?name=${job}-evil`, {
          ...goConfig({
            Image: testImage(),
            Cmd: ["true"],
            Labels: { "ofelia.job.name": "report", "ofelia.job.type": "run" },
          }),
          HostConfig: goHostConfig(host),
        });
      assertRefused(await evil({ Privileged: true }), /ALLOW_PRIVILEGED/);
      assertRefused(await evil({ Binds: ["/etc:/host-etc:ro"] }), /ALLOW_BIND_MOUNTS/);
      assertRefused(
        await post(`/containers/${db}/exec`, goExecCreate({ Privileged: true, Cmd: ["id"] })),
        /ALLOW_PRIVILEGED/,
      );
      if (variant === "policy") {
        assertRefused(
          await post(`/containers/${other}/exec`, goExecCreate({ Cmd: ["id"] })),
          /only on containers with labels ofelia\.enabled=true/,
        );
        assertRefused(await post(`/containers/${other}/stop`), /ofelia\.job\.type=run/);
        assertRefused(
          await api.request("DELETE", `${v}/containers/${other}?force=1`, headers),
          /ofelia\.job\.type=run/,
        );
        assertRefused(await get("/events"), /SystemEvents/);
        assertRefused(await get("/containers/json?all=1"), /filters/);
        // The body rule: only containers labelled as Ofelia's run jobs.
        assertRefused(
          await post(`/containers/create?name=${job}-evil`, {
            ...goConfig({ Image: testImage(), Cmd: ["true"], Labels: { app: "x" } }),
            HostConfig: goHostConfig(),
          }),
          /Labels ofelia\.job\.type is absent, not run/,
        );
      }
      assertRefused(await get(`/containers/${otherId}/archive?path=/etc`));
    } finally {
      await removeAll([db, late, other, job, `${job}-evil`], [`${reference}:1`]);
    }
  },
};
