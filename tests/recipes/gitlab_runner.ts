/**
 * GitLab Runner 19.3.0's docker executor (moby/client v0.5.1, up to API 1.55;
 * `executors/docker/`, `helpers/docker/official_docker_client.go`), one job
 * as it runs it: negotiation, `/info` and `/version`; the helper image
 * (inspect, pull) and the job image (inspect; the pull of `pull_policy:
 * always`); the per-job network and its inspect; the cache volumes; for each
 * container, the look-up that disconnects and removes a leftover of its name,
 * then create and inspect; the build container attached (hijacked), started,
 * its script written to stdin and stdin closed, its output read to the end,
 * waited for; a service container and its logs; a cancelled job's container
 * sent the SIGTERM script with exec and stopped; then everything removed.
 *
 * With `HOST_ACCESS=0` and `OWNER`: a job can have no privileged container,
 * no docker.sock or other host bind, no host network, and cannot join another
 * owner's container; another owner's containers are invisible (404) to every
 * call, and a create claiming another owner's label is refused.
 *
 * Pulls cannot happen here: images are named in a registry on 127.0.0.1:1,
 * where nothing listens, so the engine answers with its own error.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertHidden,
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
import {
  goConfig,
  goExecCreate,
  goHostConfig,
  goJson,
  hijackHeaders,
  mobyAgent,
  RawTunnel,
} from "./replay_extra_b.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** moby/client v0.5.1's `MaxAPIVersion`. */
const CLIENT_MAX = "1.55";
const AGENT = mobyAgent("v0.5.1");
const OWNER_LABEL = "socket-proxy.owner";
const OWNER = "gitlab-runner";
const PREFIX = "com.gitlab.gitlab-runner";
const HELPER = "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper";
const HELPER_TAG = "x86_64-v19.3.0";

/** shells.BashDetectShellScript: the build container's command; the job's script comes on stdin. */
const DETECT_SHELL = [
  "sh",
  "-c",
  [
    "/usr/local/bin/bash",
    "/usr/bin/bash",
    "/bin/bash",
    "/usr/local/bin/sh",
    "/usr/bin/sh",
    "/bin/sh",
  ]
    .map((shell, i) => `${i === 0 ? "if" : "elif"} [ -x ${shell} ]; then\n\texec ${shell} \n`)
    .join("") + "else\n\techo shell not found\n\texit 1\nfi\n\n",
];

/** shells.ContainerSigTermScriptForLinux, sent with exec when a job is cancelled. */
const SIGTERM_SCRIPT = `PROCS=$(cd /proc && ls -rvd [0-9]*) &&
for P in $PROCS; do
	if [ $$ -ne $P ] && [ $P -ne 1 ]; then
		kill -TERM $P 2>/dev/null &&
		ATTEMPTS=6 &&
		while [ -e /proc/$P ] && [ $ATTEMPTS -gt 0 ]; do
			sleep 1 && ATTEMPTS=$((ATTEMPTS-1));
		done;
	fi;
done
`;

/** labels.Labeler: the runner's labels on everything a job creates. */
function runnerLabels(jobId: number, extra: Record<string, string>): Record<string, string> {
  return {
    [`${PREFIX}.job.id`]: String(jobId),
    [`${PREFIX}.job.url`]: `https://gitlab.example/group/project/-/jobs/${jobId}`,
    [`${PREFIX}.job.sha`]: "6f1ed002ab5595859014ebf0951522d9f7a3e6a8",
    [`${PREFIX}.job.before_sha`]: "0000000000000000000000000000000000000000",
    [`${PREFIX}.job.ref`]: "main",
    [`${PREFIX}.job.timeout`]: "1h0m0s",
    [`${PREFIX}.project.id`]: "42",
    [`${PREFIX}.project.runner_id`]: "0",
    [`${PREFIX}.pipeline.id`]: "977",
    [`${PREFIX}.runner.id`]: "t3st-r0n",
    [`${PREFIX}.runner.local_id`]: "0",
    [`${PREFIX}.runner.system_id`]: "s_0123456789ab",
    [`${PREFIX}.managed`]: "true",
    ...extra,
  };
}

/** network.EndpointSettings as Go marshals it, with the container's aliases. */
function endpointSettings(aliases: string[]): Json {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: aliases,
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: "",
    EndpointID: "",
    Gateway: "",
    IPAddress: "",
    MacAddress: "",
    IPPrefixLen: 0,
    IPv6Gateway: "",
    GlobalIPv6Address: "",
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** The test image as `docker save` writes it: the prebuilt helper's tarball stand-in. */
async function savedImage(): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "sp-runner-helper-" });
  try {
    await docker("save", "-o", `${dir}/helper.tar`, testImage());
    return await Deno.readFile(`${dir}/helper.tar`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

export const gitlabRunner: Replay = {
  app: "GitLab Runner (docker executor)",
  async run(endpoint: Endpoint, variant: Variant) {
    const id = uniqueId();
    const jobId = 9000 + Math.floor(Math.random() * 1000);
    const unique = `runner-t3st-r0n-project-42-concurrent-0-${id}`;
    const network = `runner-t3st-r0n-42-0-${jobId}`;
    const names = {
      build: `${unique}-build`,
      service: `${unique}-postgres-0`,
      cancelled: `${unique}-build-2`,
      evil: `${unique}-evil`,
    };
    const volumes = [`${unique}-cache-${id}c`, `${unique}-cache-${id}b`];
    const jobImage = `127.0.0.1:1/sp-recipes/job-${id}`;
    const foreign = `sp-runner-other-owner-${id}`;
    const host = hostFor(endpoint, "api.moby.localhost");
    let networkId = "";
    try {
      await docker("tag", testImage(), `${jobImage}:latest`);
      // Another runner's job container, behind the same engine.
      const foreignId = await fixture(foreign, {
        labels: { [OWNER_LABEL]: "other-runner", [`${PREFIX}.managed`]: "true" },
      });
      const api = new Api(endpoint, host);
      const headers = { headers: [AGENT] };

      const ping = await api.request("HEAD", "/_ping", headers);
      assertEngine(ping, 200, "HEAD /_ping");
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;
      const get = (path: string) => api.get(`${v}${path}`, headers);
      const post = (path: string, body?: unknown, extra: [string, string][] = []) =>
        api.request(
          "POST",
          `${v}${path}`,
          body === undefined ? { headers: [AGENT, ...extra] } : {
            body: goJson(body),
            headers: [AGENT, ["Content-Type", "application/json"], ...extra],
          },
        );
      const del = (path: string) => api.request("DELETE", `${v}${path}`, headers);

      // Connecting: the engine's OS, runtimes and version.
      const info = json(await get("/info"));
      assert.equal(info.OSType, "linux");
      assert.ok(info.Runtimes && "runc" in info.Runtimes, "Runtimes");
      assert.ok(json(await get("/version")).ApiVersion);

      // The helper image: not here; the prebuilt tarball loaded and tagged (prebuilt.Get).
      assertEngine(await get(`/images/${HELPER}:${HELPER_TAG}/json`), 404, "helper inspect");
      const loaded = await api.request("POST", `${v}/images/load?quiet=1`, {
        headers: [AGENT, ["Content-Type", "application/x-tar"]],
        body: await savedImage(),
      });
      assertEngine(loaded, 200, "image load");
      const stream = loaded.text.split("\n").filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line).stream ?? "").join("");
      const loadedRef = /Loaded image(?: ID)?: (\S+)/.exec(stream)?.[1];
      assert.equal(loadedRef, testImage(), loaded.text);
      const tag = await post(
        `/images/${loadedRef}/tag?repo=${queryEscape(HELPER)}&tag=${HELPER_TAG}`,
      );
      // Under OWNER only images carrying the owner's label may be tagged, and a loaded one does
      // not: the proxy answers as for a missing image, and the runner pulls the helper instead
      // (the engine's own registry error here).
      assertEngine(tag, 404, "the tag of an image it does not own");
      assert.match(json(tag).message, /No such image/);
      const helperPull = await post(
        `/images/create?fromImage=${
          queryEscape(`127.0.0.1:1/${HELPER.split("/").slice(1).join("/")}`)
        }&tag=${HELPER_TAG}`,
        undefined,
        [["X-Registry-Auth", ""]],
      );
      assertEngine(helperPull, 500, "the helper pull");
      // The job image: if-not-present finds it; always pulls first.
      const image = json(await get(`/images/${jobImage}:latest/json`));
      assert.ok(image.Id && image.Config, "Id and Config (user, entrypoint)");
      assertEngine(
        await post(`/images/create?fromImage=${queryEscape(jobImage)}&tag=latest`, undefined, [
          ["X-Registry-Auth", ""],
        ]),
        500,
        "the job image pull",
      );

      // FF_NETWORK_PER_BUILD: the job's own network, then its inspect.
      const created = await post("/networks/create", {
        Name: network,
        Driver: "",
        Scope: "",
        EnableIPv6: false,
        IPAM: null,
        Internal: false,
        Attachable: false,
        Ingress: false,
        ConfigOnly: false,
        ConfigFrom: null,
        Options: {},
        Labels: runnerLabels(jobId, {}),
      });
      assertEngine(created, 201, "network create");
      networkId = json(created).Id;
      const inspectedNetwork = json(await get(`/networks/${networkId}`));
      assert.equal(inspectedNetwork.Name, network);
      assert.equal(inspectedNetwork.Labels[OWNER_LABEL], OWNER, "the network is the runner's");

      // The cache and builds volumes.
      for (const [i, name] of volumes.entries()) {
        const volume = await post("/volumes/create", {
          Labels: runnerLabels(jobId, {
            [`${PREFIX}.destination`]: i === 0 ? "/cache" : "/builds",
            [`${PREFIX}.protected`]: "false",
            [`${PREFIX}.reusable`]: "true",
            [`${PREFIX}.type`]: "cache",
          }),
          Name: name,
        });
        assertEngine(volume, 201, "volume create");
        assert.equal(json(volume).Name, name);
        assert.equal(json(volume).Labels[OWNER_LABEL], OWNER, "the volume is the runner's");
      }
      const binds = [`${volumes[0]}:/cache`, `${volumes[1]}:/builds`];

      /** removeContainer: disconnect it from every network it is on, then remove it. */
      const removeContainer = async (nameOrId: string) => {
        const networks = json(await get("/networks")) as { Id: string; Name: string }[];
        assert.ok(networks.some((n) => n.Id === networkId), "the job network is listed");
        for (const net of networks) {
          const inspected = json(await get(`/networks/${net.Id}`));
          for (
            const [cid, plugged] of Object.entries(inspected.Containers ?? {}) as [string, Json][]
          ) {
            if (cid === nameOrId || plugged.Name === nameOrId) {
              assertEngine(
                await post(`/networks/${net.Id}/disconnect`, { Container: nameOrId, Force: true }),
                200,
                "disconnect",
              );
            }
          }
        }
        return await del(`/containers/${nameOrId}?force=1&v=1`);
      };

      /** createContainer: the leftover removed, create, inspect. */
      const createContainer = async (
        name: string,
        config: Record<string, unknown>,
        type: string,
        aliases: string[],
      ) => {
        assertEngine(await removeContainer(name), 404, "no leftover");
        const answer = await post(`/containers/create?name=${name}`, {
          ...goConfig({
            AttachStdin: true,
            AttachStdout: true,
            AttachStderr: true,
            OpenStdin: true,
            StdinOnce: true,
            Env: ["CI=true", `CI_JOB_ID=${jobId}`, "CI_JOB_TOKEN=glcbt-secret"],
            Labels: runnerLabels(jobId, { [`${PREFIX}.type`]: type }),
            ...config,
          }),
          HostConfig: goHostConfig({
            Binds: binds,
            LogConfig: { Type: "json-file", Config: null },
            NetworkMode: network,
            RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
          }),
          NetworkingConfig: { EndpointsConfig: { [network]: endpointSettings(aliases) } },
        });
        assertEngine(answer, 201, `create ${name}`);
        const cid = json(answer).Id as string;
        const inspected = json(await get(`/containers/${cid}/json`));
        assert.equal(inspected.Config.Labels[OWNER_LABEL], OWNER, "labelled as the runner's");
        assert.ok(network in inspected.NetworkSettings.Networks, "on the job network");
        return cid;
      };

      /** exec.Docker.Exec: attach, start, the script on stdin, stdin closed, output to the end. */
      const attachAndRun = async (cid: string, script: string) => {
        const tunnel = await RawTunnel.open(
          endpoint,
          host,
          "POST",
          `${v}/containers/${cid}/attach?stderr=1&stdin=1&stdout=1&stream=1`,
          [AGENT, ["Connection", "Upgrade"], ["Content-Type", "text/plain"], ["Upgrade", "tcp"]],
        );
        try {
          assert.equal(tunnel.status, 101, tunnel.head);
          assertEngine(await post(`/containers/${cid}/start`), 204, "start");
          await tunnel.write(script);
          await tunnel.closeWrite();
          return demultiplex(await tunnel.readToEnd("the job's output"));
        } finally {
          tunnel.close();
        }
      };

      // The build container: the job's script, its output, its exit code.
      const buildId = await createContainer(
        names.build,
        {
          Image: `${jobImage}:latest`,
          Cmd: DETECT_SHELL,
          Hostname: unique,
          User: "",
        },
        "build",
        ["build", names.build],
      );
      const output = await attachAndRun(
        buildId,
        'echo "job-$((40+2))"\necho "on $CI_JOB_ID" >&2\n',
      );
      // stdout and stderr are separate pipes: their frames come in either order.
      assert.deepEqual(
        output.map((f) => `${f.stream}:${f.text}`).sort(),
        ["1:job-42\n", `2:on ${jobId}\n`],
      );
      const waited = await post(`/containers/${buildId}/wait?condition=not-running`);
      assertEngine(waited, 200, "wait");
      assert.equal(json(waited).StatusCode, 0);

      // A service container and its logs (CI_DEBUG_SERVICES, or a failed health check).
      const serviceId = await createContainer(
        names.service,
        {
          Image: testImage(),
          Cmd: ["sh", "-c", 'echo "service ready"; exec sleep 60'],
          AttachStdin: false,
          OpenStdin: false,
          StdinOnce: false,
        },
        "service",
        ["postgres"],
      );
      assertEngine(await post(`/containers/${serviceId}/start`), 204, "service start");
      let serviceLog = "";
      for (let i = 0; i < 50 && !serviceLog.includes("service ready"); i++) {
        const logs = await get(`/containers/${serviceId}/logs?stderr=1&stdout=1&timestamps=1`);
        assertEngine(logs, 200, "service logs");
        serviceLog = demultiplex(logs.body).map((f) => f.text).join("");
      }
      assert.match(serviceLog, /^\d{4}-\d\d-\d\dT\S+Z service ready/);

      // A cancelled job: the SIGTERM script through exec, then stop and wait.
      const cancelledId = await createContainer(
        names.cancelled,
        {
          Image: `${jobImage}:latest`,
          Cmd: ["sh", "-c", 'trap "exit 143" TERM; while :; do sleep 1; done'],
        },
        "build",
        ["build", names.cancelled],
      );
      assertEngine(await post(`/containers/${cancelledId}/start`), 204, "start");
      const exec = await post(
        `/containers/${cancelledId}/exec`,
        goExecCreate({ AttachStderr: true, AttachStdout: true, Cmd: ["sh", "-c", SIGTERM_SCRIPT] }),
      );
      assertEngine(exec, 201, "exec create");
      const execTunnel = await RawTunnel.open(
        endpoint,
        host,
        "POST",
        `${v}/exec/${json(exec).Id}/start`,
        hijackHeaders(AGENT),
        goJson({ Detach: false, Tty: false }),
      );
      try {
        assert.equal(execTunnel.status, 101, execTunnel.head);
        await execTunnel.readToEnd("the SIGTERM script");
      } finally {
        execTunnel.close();
      }
      const stopWait = post(`/containers/${cancelledId}/wait?condition=not-running`);
      assertEngine(await post(`/containers/${cancelledId}/stop?t=10`), [204, 304], "stop");
      const stopped = await stopWait;
      assertEngine(stopped, 200, "wait after stop");

      // The runner lists only what it owns: another owner's container is not there.
      const networks = json(await get("/networks")) as { Labels: Record<string, string> }[];
      assert.ok(networks.every((n) => n.Labels?.[OWNER_LABEL] === OWNER), "only its networks");

      // A job cannot reach the host...
      const evil = (hostConfig: Record<string, unknown>, labels: Record<string, string> = {}) =>
        post(`/containers/create?name=${names.evil}`, {
          ...goConfig({
            Image: testImage(),
            Cmd: ["true"],
            Labels: runnerLabels(jobId, { [`${PREFIX}.type`]: "build", ...labels }),
          }),
          HostConfig: goHostConfig({ NetworkMode: network, ...hostConfig }),
        });
      assertRefused(await evil({ Privileged: true }), /ALLOW_PRIVILEGED/);
      assertRefused(
        await evil({ Binds: ["/var/run/docker.sock:/var/run/docker.sock"] }),
        /ALLOW_BIND_MOUNTS/,
      );
      assertRefused(await evil({ NetworkMode: "host" }), /ALLOW_HOST_NETWORK/);
      assertRefused(await evil({ PidMode: "host" }), /ALLOW_HOST_NAMESPACES/);
      // ... nor another owner's containers.
      assertRefused(await evil({ NetworkMode: `container:${foreign}` }));
      assertRefused(await evil({}, { [OWNER_LABEL]: "other-runner" }), /another owner/);
      if (variant === "policy") {
        // The body rule: only containers labelled as the runner's jobs.
        assertRefused(
          await post(`/containers/create?name=${names.evil}`, {
            ...goConfig({ Image: testImage(), Cmd: ["true"], Labels: { app: "x" } }),
            HostConfig: goHostConfig({ NetworkMode: network }),
          }),
          /Labels com\.gitlab\.gitlab-runner\.managed is absent/,
        );
      }
      assertHidden(await get(`/containers/${foreignId}/json`), foreignId);
      assertHidden(
        await post(`/containers/${foreign}/exec`, goExecCreate({ Cmd: ["id"] })),
        foreign,
      );
      assertHidden(
        await post(`/containers/${foreign}/attach?stderr=1&stdin=1&stdout=1&stream=1`),
        foreign,
      );
      assertHidden(await del(`/containers/${foreign}?force=1&v=1`), foreign);
      const connect = await post(`/networks/${networkId}/connect`, { Container: foreignId });
      if (variant === "policy") assertRefused(connect, /NetworkConnect/);
      else assertHidden(connect, foreignId);

      // Cleanup: every container, the network, the temporary volumes.
      for (const cid of [buildId, serviceId, cancelledId]) {
        assertEngine(await removeContainer(cid), 204, "remove");
      }
      assertEngine(await del(`/networks/${networkId}`), 204, "network remove");
      networkId = "";
      for (const name of volumes) {
        assertEngine(await del(`/volumes/${name}?force=1`), 204, "volume rm");
      }
      assert.equal(await docker("inspect", "-f", "{{.State.Running}}", foreign), "true");
    } finally {
      await removeAll([...Object.values(names), foreign], [`${jobImage}:latest`]);
      if (networkId !== "") await docker("network", "rm", networkId).catch(() => {});
      await docker("volume", "rm", "-f", ...volumes).catch(() => {});
    }
  },
};
