/**
 * docker-volume-backup 2.48.2 (offen/docker-volume-backup; moby/client v0.4.1,
 * up to API 1.54), one backup as `cmd/backup/run_script.go`, `exec.go` and
 * `stop_restart.go` run it: the archive-pre commands (the containers with the
 * label and with the deprecated exec-pre label, then exec create with stdin,
 * the hijacked start, inspect for the exit code), the swarm check, the running
 * containers and the stop of those labelled to stop, their start after the
 * archive, the archive-post commands, and the other phases' look-ups.
 *
 * In a swarm (`dockerVolumeBackupSwarm`) it scales labelled services to 0 and
 * back; the private engine is no manager, so those calls are answered by its
 * own 503, which proves the proxy forwarded them.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertHidden,
  assertNotSwarmManager,
  assertRefused,
  demultiplex,
  docker,
  type Endpoint,
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
import { goExecCreate, goJson, hijackHeaders, mobyAgent, RawTunnel } from "./replay_extra_b.ts";

/** moby/client v0.4.1's `MaxAPIVersion`. */
const CLIENT_MAX = "1.54";
const AGENT = mobyAgent("v0.4.1");
const LABEL = "docker-volume-backup";
/** IDs as a swarm would give them (none exist: the engine is no manager). */
const SERVICE_ID = "9mnpnzenvg8p8tdbtq4wvbkcz";

const labelFilter = (label: string) => queryEscape(JSON.stringify({ label: { [label]: true } }));

export const dockerVolumeBackup: Replay = {
  app: "docker-volume-backup",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const app = `sp-dvb-app-${id}`;
    const db = `sp-dvb-db-${id}`;
    const other = `sp-dvb-other-${id}`;
    const archive = `/archive/backup-${id}.tar.gz`;
    try {
      const appId = await fixture(app, { labels: { [`${LABEL}.stop-during-backup`]: "true" } });
      const dbId = await database(db, {
        [`${LABEL}.archive-pre`]: DUMP,
        [`${LABEL}.archive-post`]: "rm /dump/all.sql",
      });
      const otherId = await fixture(other);
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const headers = { headers: [AGENT] };

      const ping = await api.request("HEAD", "/_ping", headers);
      assertEngine(ping, 200, "HEAD /_ping");
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;
      const get = (path: string) => api.get(`${v}${path}`, headers);
      const post = (path: string, body?: unknown) =>
        api.request(
          "POST",
          `${v}${path}`,
          body === undefined
            ? headers
            : { body: goJson(body), headers: [AGENT, ["Content-Type", "application/json"]] },
        );
      type Summary = { Id: string; Names: string[]; Labels: Record<string, string> };
      const list = async (label: string) => {
        const answer = await get(`/containers/json?filters=${labelFilter(label)}`);
        assertEngine(answer, 200, `the ${label} look-up`);
        return json(answer) as Summary[];
      };

      /** runLabeledCommands: the labelled containers, and each one's command run with exec. */
      const runLabeled = async (phase: string, deprecated: string | null) => {
        const found = await list(`${LABEL}.${phase}`);
        if (deprecated !== null) assert.deepEqual(await list(`${LABEL}.${deprecated}`), []);
        const outputs: string[] = [];
        for (const container of found) {
          const command = container.Labels[`${LABEL}.${phase}`];
          const user = container.Labels[`${LABEL}.${phase}.user`] ?? "";
          const exec = await post(
            `/containers/${container.Id}/exec`,
            goExecCreate({
              User: user,
              AttachStdin: true,
              AttachStderr: true,
              Env: [`COMMAND_RUNTIME_ARCHIVE_FILEPATH=${archive}`],
              Cmd: argv(command),
            }),
          );
          assertEngine(exec, 201, `${phase} exec create`);
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
            const frames = demultiplex(await tunnel.readToEnd(`the ${phase} command`));
            outputs.push(...frames.map((f) => `${f.stream}:${f.text}`));
          } finally {
            tunnel.close();
          }
          const inspected = json(await get(`/exec/${execId}/json`));
          assert.equal(inspected.ExitCode, 0, `${phase} exit code`);
        }
        return { found, outputs };
      };

      // archive-pre: the dump, on stderr (stdout is not attached), with the archive's path.
      const pre = await runLabeled("archive-pre", "exec-pre");
      assert.deepEqual(pre.found.map((c) => c.Id), [dbId]);
      assert.deepEqual(pre.outputs, ["2:dumped\n"]);
      assert.equal(await docker("exec", db, "cat", "/dump/all.sql"), archive);

      // stopContainersAndServices: swarm?, the running containers, the stop of the labelled.
      const info = json(await get("/info"));
      assert.equal(info.Swarm.LocalNodeState, "inactive", "not a swarm");
      const running = json(await get("/containers/json")) as Summary[];
      const toStop = running.filter((c) => c.Labels[`${LABEL}.stop-during-backup`] === "true");
      assert.deepEqual(toStop.map((c) => c.Id), [appId]);
      assert.ok(!running.some((c) => c.Id === otherId), "an unlabelled container is not seen");
      for (const container of toStop) {
        assertEngine(await post(`/containers/${container.Id}/stop`), 204, "stop");
      }
      assert.equal(await docker("inspect", "-f", "{{.State.Running}}", app), "false");
      // ... the archive is made; then the restart.
      for (const container of toStop) {
        assertEngine(await post(`/containers/${container.Id}/start`), 204, "start");
      }
      assert.equal(await docker("inspect", "-f", "{{.State.Running}}", app), "true");

      // archive-post, and the later phases' look-ups (none labelled here).
      const postRun = await runLabeled("archive-post", "exec-post");
      assert.deepEqual(postRun.found.map((c) => c.Id), [dbId]);
      for (const phase of ["process", "copy", "prune"]) {
        for (const when of ["pre", "post"]) {
          assert.deepEqual(await list(`${LABEL}.${phase}-${when}`), []);
        }
      }

      // What it may not do: touch another container, exec privileged, anything else.
      assertHidden(await post(`/containers/${otherId}/stop`), otherId);
      assertHidden(await post(`/containers/${other}/exec`, goExecCreate({ Cmd: ["id"] })), other);
      assertRefused(
        await post(`/containers/${dbId}/exec`, goExecCreate({ Privileged: true, Cmd: ["id"] })),
        /ALLOW_PRIVILEGED/,
      );
      if (variant === "policy") {
        // The body rule: no TTY, no variable but the archive's path.
        assertRefused(
          await post(`/containers/${dbId}/exec`, goExecCreate({ Tty: true, Cmd: ["sh"] })),
          /Tty/,
        );
        assertRefused(
          await post(
            `/containers/${dbId}/exec`,
            goExecCreate({ Env: ["LD_PRELOAD=/tmp/x.so"], Cmd: ["id"] }),
          ),
          /Env sets "LD_PRELOAD", not in \[COMMAND_RUNTIME_ARCHIVE_FILEPATH\]/,
        );
      }
      assertRefused(await get("/images/json"));
      assertRefused(await get("/events"));
      const create = await post(`/containers/create?name=sp-dvb-evil-${id}`, {
        Image: testImage(),
        Cmd: ["true"],
        HostConfig: { Privileged: true },
      });
      if (variant === "policy") {
        assertRefused(create, /ContainerCreate/);
        assertRefused(await get("/services?status=true"), /ServiceList/);
      } else {
        assertRefused(create, /ALLOW_PRIVILEGED/);
        assertRefused(await get("/services?status=true"), /SERVICES=1/);
      }
    } finally {
      await removeAll([app, db, other, `sp-dvb-evil-${id}`]);
    }
  },
};

/** The swarm path: services labelled to stop are scaled down and back up. */
export const dockerVolumeBackupSwarm: Replay = {
  app: "docker-volume-backup (swarm)",
  async run(endpoint: Endpoint, _variant: Variant) {
    const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
    const headers = { headers: [AGENT] };
    const ping = await api.request("HEAD", "/_ping", headers);
    const v = `/v${negotiated(ping, CLIENT_MAX)}`;
    const get = (path: string) => api.get(`${v}${path}`, headers);
    assertNotSwarmManager(await get("/services?status=true"));
    assertNotSwarmManager(await get(`/services/${SERVICE_ID}?insertDefaults=false`));
    // scaleService: the spec read back, Replicas set, sent with its version.
    const spec = {
      Name: "app",
      Labels: { [`${LABEL}.stop-during-backup`]: "true" },
      TaskTemplate: { ContainerSpec: { Image: testImage() }, ForceUpdate: 0 },
      Mode: { Replicated: { Replicas: 0 } },
    };
    assertNotSwarmManager(
      await api.request("POST", `${v}/services/${SERVICE_ID}/update?version=12`, {
        body: goJson(spec),
        headers: [AGENT, ["Content-Type", "application/json"]],
      }),
    );
    // progress.ServiceProgress (docker/cli): the service, its up-to-date tasks, the nodes.
    const tasks = JSON.stringify({
      "_up-to-date": { true: true },
      service: { [SERVICE_ID]: true },
    });
    assertNotSwarmManager(await get(`/tasks?filters=${queryEscape(tasks)}`));
    assertNotSwarmManager(await get("/nodes"));
    // awaitContainerCountForService: the service's containers.
    const byService = queryEscape(
      JSON.stringify({ label: { [`com.docker.swarm.service.id=${SERVICE_ID}`]: true } }),
    );
    assertEngine(
      await get(`/containers/json?filters=${byService}`),
      200,
      "the service's containers",
    );
    // A service with host access is still refused.
    assertRefused(
      await api.request("POST", `${v}/services/${SERVICE_ID}/update?version=12`, {
        body: goJson({
          ...spec,
          TaskTemplate: {
            ContainerSpec: {
              Image: testImage(),
              Mounts: [{ Type: "bind", Source: "/", Target: "/host" }],
            },
          },
        }),
        headers: [AGENT, ["Content-Type", "application/json"]],
      }),
      /ALLOW_BIND_MOUNTS/,
    );
  },
};

/** compose.yaml's dump command, the one the profile's commented Cmd rule names. */
const DUMP = "/bin/sh -c 'pg_dumpall -U postgres > /dump/all.sql'";

/**
 * A container labelled with `labels` whose `pg_dumpall` (a stand-in) says so on stderr and
 * writes the archive's path, as docker-volume-backup passes it, to stdout.
 */
function database(name: string, labels: Record<string, string>): Promise<string> {
  const fake =
    "printf '#!/bin/sh\\necho dumped >&2\\necho \"$COMMAND_RUNTIME_ARCHIVE_FILEPATH\"\\n'";
  return fixture(name, {
    labels,
    env: ["POSTGRES_PASSWORD=hunter2"],
    command: [
      "sh",
      "-c",
      `mkdir -p /dump && ${fake} > /bin/pg_dumpall && chmod +x /bin/pg_dumpall && ` +
      'trap "exit 0" TERM; while :; do sleep 1; done',
    ],
  });
}

/** With the profile's Cmd rule: the labelled command runs, another is refused. */
export const dockerVolumeBackupCommands: Replay = {
  app: "docker-volume-backup (exec of one command)",
  async run(endpoint: Endpoint, _variant: Variant) {
    const db = `sp-dvb-cmd-${uniqueId()}`;
    try {
      const dbId = await database(db, { [`${LABEL}.archive-pre`]: DUMP });
      const api = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const ping = await api.request("HEAD", "/_ping", { headers: [AGENT] });
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;
      const exec = (cmd: string[]) =>
        api.request("POST", `${v}/containers/${dbId}/exec`, {
          body: goJson(goExecCreate({
            AttachStdin: true,
            AttachStderr: true,
            Env: ["COMMAND_RUNTIME_ARCHIVE_FILEPATH=/archive/backup.tar.gz"],
            Cmd: cmd,
          })),
          headers: [AGENT, ["Content-Type", "application/json"]],
        });
      assertEngine(await exec(argv(DUMP)), 201, "the labelled command");
      assertRefused(
        await exec([...argv(DUMP).slice(0, 2), `${argv(DUMP)[2]}; cat /etc/shadow`]),
        /Cmd/,
      );
      assertRefused(await exec(["cat", "/etc/shadow"]), /Cmd/);
      assertRefused(await exec(["/bin/sh", "-c", "pg_dumpall -U postgres > /etc/passwd"]), /Cmd/);
    } finally {
      await removeAll([db]);
    }
  },
};

/** cosiner/argv for the commands here: words, and single-quoted strings as one. */
function argv(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}
