/**
 * Portainer CE (docker/docker v26 client; `api/docker/snapshot.go`, the
 * frontend's proxied calls, `api/http/handler/websocket`): adding the
 * environment (a plain `GET /_ping`), a snapshot (two `HEAD /_ping`, then
 * `/v1.NN/...`), and what a user does in the UI, which Portainer forwards
 * unversioned: a volume, a container created with the UI's body, started,
 * its logs, processes and stats, a console (exec, then the hijacked
 * `POST /exec/{id}/start` Portainer writes on a raw connection, with an empty
 * `Host`), resize, stop, remove.
 */
import assert from "node:assert/strict";
import {
  Api,
  assertEngine,
  assertRefused,
  docker,
  type Endpoint,
  hostFor,
  json,
  negotiated,
  removeAll,
  type Replay,
  testImage,
  uniqueId,
  type Variant,
} from "./replay.ts";

/** docker/docker v26's `api.DefaultVersion`. */
const CLIENT_MAX = "1.45";
const GO_AGENT: [string, string] = ["User-Agent", "Go-http-client/1.1"];
const CLIENT_AGENT: [string, string] = ["User-Agent", "Docker-Client/26.1.5+incompatible (linux)"];
const BROWSER: [string, string][] = [
  ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"],
  ["Accept", "application/json, text/plain, */*"],
];

/** The capabilities Portainer's Capabilities tab lists; the first 14 are selected by default. */
const CAPABILITIES = (
  "SETPCAP MKNOD AUDIT_WRITE CHOWN NET_RAW DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID " +
  "NET_BIND_SERVICE SYS_CHROOT SETFCAP SYS_MODULE SYS_RAWIO SYS_PACCT SYS_ADMIN SYS_NICE " +
  "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG AUDIT_CONTROL MAC_ADMIN MAC_OVERRIDE NET_ADMIN SYSLOG " +
  "DAC_READ_SEARCH LINUX_IMMUTABLE NET_BROADCAST IPC_LOCK IPC_OWNER SYS_PTRACE SYS_BOOT LEASE " +
  "WAKE_ALARM BLOCK_SUSPEND"
).split(" ");

/**
 * This machine's bounding set: dockerd 23 and later refuse to drop a capability
 * they do not have themselves ("not available in the current environment"),
 * and CAP_SYS_RESOURCE is not in these machines' bounding set; Portainer lists
 * what the engine's host offers, so its body drops only those.
 */
const BOUNDING = BigInt(
  "0x" + (/^CapBnd:\s*([0-9a-f]+)$/m.exec(Deno.readTextFileSync("/proc/self/status"))?.[1] ?? "0"),
);
const UNAVAILABLE = new Map([["SYS_RESOURCE", 24n]]);
const available = (cap: string) =>
  !UNAVAILABLE.has(cap) || (BOUNDING & (1n << UNAVAILABLE.get(cap)!)) !== 0n;

/** What the create view's `toRequest` builds for a plain container with a named volume. */
function createBody(image: string, volume: string, hostConfig: Record<string, unknown> = {}) {
  return {
    HostConfig: {
      RestartPolicy: { Name: "no" },
      PublishAllPorts: false,
      PortBindings: {},
      AutoRemove: false,
      Binds: [`${volume}:/data`],
      NetworkMode: "none",
      Dns: [],
      ExtraHosts: [],
      Privileged: false,
      Init: false,
      Runtime: "",
      Devices: [],
      Sysctls: {},
      ShmSize: 67108864,
      DeviceRequests: [],
      Memory: 0,
      MemoryReservation: 0,
      NanoCpus: 0,
      CapAdd: CAPABILITIES.slice(0, 14),
      CapDrop: CAPABILITIES.slice(14).filter(available),
      ...hostConfig,
    },
    NetworkingConfig: {
      EndpointsConfig: { none: { IPAMConfig: { IPv4Address: "", IPv6Address: "" } } },
    },
    Cmd: ["sh", "-c", 'trap "exit 0" TERM; while :; do echo up; sleep 1; done'],
    User: "",
    WorkingDir: "",
    OpenStdin: false,
    Tty: false,
    Volumes: { "/data": {} },
    Hostname: "",
    Domainname: "",
    MacAddress: "",
    Labels: {},
    ExposedPorts: {},
    Env: ["TZ=UTC"],
    Image: image,
  };
}

export const portainer: Replay = {
  app: "Portainer CE",
  async run(endpoint: Endpoint, _variant: Variant) {
    const id = uniqueId();
    const name = `sp-portainer-app-${id}`;
    const volume = `sp-portainer-data-${id}`;
    try {
      const backend = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));

      // Adding the environment: a plain GET /_ping (agent detection by a response header).
      const setup = await backend.get("/_ping", { headers: [GO_AGENT] });
      assertEngine(setup, 200, "GET /_ping");
      assert.equal(setup.text, "OK");
      assert.equal(setup.headers.get("portainer-agent"), null, "a Docker engine, not an agent");

      // A snapshot: the explicit ping, the implicit one, then versioned calls.
      const headers = { headers: [CLIENT_AGENT] };
      assertEngine(await backend.request("HEAD", "/_ping", headers), 200);
      const ping = await backend.request("HEAD", "/_ping", headers);
      assert.ok(ping.headers.get("api-version"), "without Api-Version v26 falls back to 1.24");
      const v = `/v${negotiated(ping, CLIENT_MAX)}`;
      const info = json(await backend.get(`${v}/info`, headers));
      assert.equal(info.Swarm.ControlAvailable, false, "no swarm manager: no services, no nodes");
      const containers = json(await backend.get(`${v}/containers/json?all=1`, headers));
      for (const c of containers.filter((c: { State: string }) => c.State === "running")) {
        const inspected = json(await backend.get(`${v}/containers/${c.Id}/json`, headers));
        assert.ok("DeviceRequests" in inspected.HostConfig, "GPU use from DeviceRequests");
      }
      for (const path of ["/images/json", "/volumes", "/networks", "/version"]) {
        assertEngine(await backend.get(`${v}${path}`, headers), 200, path);
      }

      // The UI, proxied unversioned.
      const ui = new Api(endpoint, hostFor(endpoint, "api.moby.localhost"));
      const browser = { headers: BROWSER };
      assertEngine(await ui.get("/containers/json?all=1", browser), 200, "the container list");
      assertEngine(
        await ui.post("/volumes/create", {
          Name: volume,
          Driver: "local",
          DriverOpts: {},
          Labels: {},
        }, browser),
        201,
        "volume create",
      );
      const created = await ui.post(
        `/containers/create?name=${name}`,
        createBody(testImage(), volume),
        browser,
      );
      assertEngine(created, 201, "container create");
      const cid = json(created).Id as string;
      assertEngine(await ui.post(`/containers/${cid}/start`, {}, browser), 204, "start");
      const logs = await ui.get(
        `/containers/${cid}/logs?since=0&stderr=1&stdout=1&tail=100&timestamps=0`,
        browser,
      );
      assertEngine(logs, 200, "logs");
      assertEngine(await ui.get(`/containers/${cid}/top`, browser), 200, "top");
      assertEngine(await ui.get(`/containers/${cid}/stats?stream=false`, browser), 200, "stats");
      assertEngine(await ui.get(`/images/${testImage()}/json`, browser), 200, "image inspect");
      assertEngine(await ui.get(`/images/${testImage()}/history`, browser), 200, "image history");

      // The console: exec create (the browser), then the backend's hijacked start.
      const exec = await ui.post(`/containers/${cid}/exec`, {
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: true,
        Cmd: ["sh"],
        User: "",
      }, browser);
      assertEngine(exec, 201, "exec create");
      const execId = json(exec).Id as string;
      const raw = new Api(endpoint, ""); // http.NewRequest("POST", "/exec/...") has no host.
      const tunnel = await raw.upgrade("POST", `/exec/${execId}/start`, {
        headers: [
          GO_AGENT,
          ["Connection", "Upgrade"],
          ["Content-Type", "application/json"],
          ["Upgrade", "tcp"],
        ],
        body: '{"Tty":true,"Detach":false}\n',
      });
      try {
        assert.equal(tunnel.headers.get("upgrade"), "tcp");
        assertEngine(
          await ui.post(`/exec/${execId}/resize?h=40&w=120`, undefined, browser),
          [200, 201],
          "exec resize",
        );
        await tunnel.write("echo console-$((40+2))\n");
        await tunnel.until((text) => text.includes("console-42"), "the console's output");
        await tunnel.write("exit\n");
      } finally {
        tunnel.close();
      }

      assertEngine(await ui.post(`/containers/${cid}/stop`, undefined, browser), 204, "stop");
      assertEngine(
        await ui.request("DELETE", `/containers/${cid}?v=0&force=false`, browser),
        204,
        "remove",
      );
      assertEngine(await ui.request("DELETE", `/volumes/${volume}`, browser), 204, "volume rm");

      // What HOST_ACCESS=0 still refuses: host access asked through the create view.
      const evil = (hostConfig: Record<string, unknown>) =>
        ui.post(`/containers/create?name=${name}-evil`, {
          ...createBody(testImage(), volume, hostConfig),
        }, browser);
      assertRefused(await evil({ Privileged: true }), /ALLOW_PRIVILEGED/);
      assertRefused(await evil({ Binds: ["/:/host"] }), /ALLOW_BIND_MOUNTS/);
      assertRefused(await evil({ CapAdd: ["SYS_ADMIN"], CapDrop: [] }), /ALLOW_CAPABILITIES/);
      assertRefused(await evil({ NetworkMode: "host" }), /ALLOW_HOST_NETWORK/);
      assertRefused(
        await ui.post("/plugins/pull?remote=vieux/sshfs", [], browser),
        /ALLOW_PLUGINS/,
      );
      assertRefused(await ui.post("/swarm/init", { ListenAddr: "127.0.0.1:2377" }, browser));
    } finally {
      await removeAll([name, `${name}-evil`]);
      await docker("volume", "rm", "-f", volume).catch(() => {});
    }
  },
};
