/**
 * The admission stage against the real engines, with `HOST_ACCESS=0`:
 *
 * 1. Every DANGEROUS request of the corpus (`tests/fixtures/admission_corpus.ts`)
 *    is refused with its status and a message naming why, and creates nothing:
 *    the engine's containers, volumes, networks, images, plugins, services,
 *    secrets and configs (podman: pods too) are compared with a snapshot after
 *    each request. Each body goes with `Content-Length`, chunked, and after
 *    `100 Continue`.
 * 2. Every BENIGN request, and real clients (the docker CLI, docker-compose,
 *    docker-py, dockerode, a Watchtower-style recreate), still work.
 * 3. Differential: every container created through the proxy is inspected on
 *    the engine and has no host access (`assertNoHostAccess`).
 *
 * Nothing here makes an engine reach beyond loopback. A dangerous request
 * whose leak would (an import from a URL, a plugin pull from a registry) goes
 * to a proxy in front of a recording fake engine, which shows that nothing was
 * forwarded; the benign pull goes there as it is, and to the real engines
 * naming a registry on a closed loopback port. The benign kube play is sent
 * with `start=false`: started, its pod would publish the fixed host port 8080.
 */
import assert from "node:assert/strict";
import {
  BENIGN,
  bodyBytes,
  contentTypeOf,
  type CorpusRequest,
  DANGEROUS,
  type DangerousRequest,
} from "./fixtures/admission_corpus.ts";
import { concat } from "./helpers/bytes.ts";
import { dockerCli } from "./helpers/docker_cli.ts";
import { FakeEngine } from "./helpers/fake_engine.ts";
import {
  engineSocket,
  podmanSocket,
  type ProxyProcess,
  startProxyProcess,
  testImage,
} from "./helpers/proxy_process.ts";
import { RawClient, type RawResponse } from "./helpers/raw_client.ts";
import { freePort } from "../scripts/private_engine.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
type Settings = Record<string, string>;
type EngineName = "docker" | "podman";

const encoder = new TextEncoder();
const MiB = 1024 * 1024;
const PYTHON = "/usr/bin/python3"; // Debian's, which has python3-docker
const DOCKER_PY = new URL("./fixtures/docker_py_admission.py", import.meta.url).pathname;
const DOCKERODE = new URL("./fixtures/dockerode_admission.cjs", import.meta.url).pathname;
const DOCKERODE_VERSION = "5.0.1";
/** Podman 4 routes libpod paths only behind a version. */
const LIBPOD_VERSION = "/v4.0.0";

/** The switches that let every route of the corpus through to the admission stage. */
const DOCKER_SWITCHES: Settings = {
  POST: "1",
  CONTAINERS: "1",
  VOLUMES: "1",
  SERVICES: "1",
  IMAGES: "1",
  BUILD: "1",
  EXEC: "1",
  PLUGINS: "1",
  SWARM: "1",
  SECRETS: "1",
  CONFIGS: "1",
  NETWORKS: "1",
  GRPC: "1",
  INFO: "1",
};
const LIBPOD_SWITCHES: Settings = {
  LIBPOD_CONTAINERS: "1",
  LIBPOD_EXEC: "1",
  LIBPOD_IMAGES: "1",
  LIBPOD_NETWORKS: "1",
  LIBPOD_PLAY: "1",
  LIBPOD_PODS: "1",
  LIBPOD_SECRETS: "1",
  LIBPOD_VOLUMES: "1",
};
/**
 * Routes no switch opens (only a policy file's rules do): their requests go to
 * a proxy with a policy file allowing every operation, with the same settings.
 */
const POLICY_ONLY = new Set(["LibpodImageBuild", "LibpodQuadletInstall"]);

// ---------------------------------------------------------------------------
// Talking HTTP/1.1 to the proxy and to the engines.

/**
 * How a body is framed: `length` (head and body in one write, as Go clients
 * send a small body), `chunked` (head, then each chunk, in separate writes),
 * `continue` (`Expect: 100-continue`: the body only once the proxy asked for
 * it, so that it always arrives after the head was read).
 */
type Framing = "length" | "chunked" | "continue";

interface Outgoing {
  method: string;
  target: string;
  body: Uint8Array | null;
  contentType: string;
  framing: Framing;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: Json;
  /** The error body's `message` (Docker's and podman's errors have one), or "". */
  message: string;
}

function answerOf(response: RawResponse): Answer {
  let json: Json = null;
  try {
    json = JSON.parse(response.text);
  } catch {
    // A stream of JSON lines, or not JSON at all.
  }
  const message = typeof json?.message === "string" ? json.message : "";
  return { status: response.status, headers: response.headers, text: response.text, json, message };
}

/** Splits a body into chunks: thirds of a small one, 64 KiB pieces of a large one. */
function chunksOf(body: Uint8Array): Uint8Array[] {
  const size = body.length > 256 * 1024 ? 64 * 1024 : Math.max(1, Math.ceil(body.length / 3));
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < body.length; offset += size) {
    chunks.push(body.subarray(offset, offset + size));
  }
  return chunks;
}

/** Reads responses until a final (non-1xx) one. */
async function finalResponse(client: RawClient, what: string): Promise<RawResponse> {
  for (;;) {
    const response = await client.readResponse();
    if (response === null) throw new Error(`No answer to ${what}`);
    if (response.status >= 200) return response;
  }
}

/** Sends one request on a new connection (to a TCP port or a unix socket) and reads the answer. */
async function exchange(to: number | string, out: Outgoing): Promise<Answer> {
  const client = typeof to === "number"
    ? await RawClient.connect(to)
    : await RawClient.connectUnix(to);
  const what = `${out.method} ${out.target}`;
  try {
    const body = out.body;
    const framing = body === null ? "length" : out.framing;
    const head = [`${out.method} ${out.target} HTTP/1.1`];
    for (const [name, value] of Object.entries(out.headers ?? {})) head.push(`${name}: ${value}`);
    head.push("Host: docker", "Connection: close");
    if (out.contentType) head.push(`Content-Type: ${out.contentType}`);
    if (framing === "chunked") head.push("Transfer-Encoding: chunked");
    else head.push(`Content-Length: ${body?.length ?? 0}`);
    if (framing === "continue") head.push("Expect: 100-continue");
    const headBytes = encoder.encode(head.join("\r\n") + "\r\n\r\n");
    if (framing === "continue") {
      await client.write(headBytes);
      const first = await client.readResponse();
      if (first === null) throw new Error(`No answer to ${what}`);
      // A refusal on the head alone comes instead of 100 Continue.
      if (first.status >= 200) return answerOf(first);
      await client.write(body!);
      return answerOf(await finalResponse(client, what));
    }
    // Written while the answer is read: a refusal may come before the body is all sent.
    (async () => {
      if (framing === "length") {
        return await client.write(concat([headBytes, body ?? new Uint8Array()]));
      }
      await client.write(headBytes);
      for (const chunk of chunksOf(body!)) {
        await client.write(
          concat([
            encoder.encode(`${chunk.length.toString(16)}\r\n`),
            chunk,
            encoder.encode("\r\n"),
          ]),
        );
      }
      await client.write("0\r\n\r\n");
    })().catch(() => {
      // The proxy answered and closed before reading it all.
    });
    return answerOf(await finalResponse(client, what));
  } finally {
    client.close();
  }
}

/** A request to an engine's own socket (JSON body unless bytes are given). */
function api(
  socket: string,
  method: string,
  target: string,
  body?: unknown,
  contentType = "application/json",
): Promise<Answer> {
  const bytes = body === undefined
    ? null
    : body instanceof Uint8Array
    ? body
    : encoder.encode(JSON.stringify(body));
  return exchange(socket, {
    method,
    target,
    body: bytes,
    contentType: bytes === null ? "" : contentType,
    framing: "length",
  });
}

/** Like `api`, but throws unless the engine answers 2xx. */
async function apiOk(
  socket: string,
  method: string,
  target: string,
  body?: unknown,
  contentType?: string,
): Promise<Answer> {
  const answer = await api(socket, method, target, body, contentType);
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(`${method} ${target}: ${answer.status} ${answer.text.slice(0, 500)}`);
  }
  return answer;
}

const encode = (text: string) => encodeURIComponent(text);

/** The request target of a corpus request on `engine`, its query pairs percent-encoded. */
function targetOf(
  request: CorpusRequest,
  engine: EngineName,
  query: readonly [string, string][] = request.query,
  prefix = "",
): string {
  const version = engine === "podman" && request.path.startsWith("/libpod/") ? LIBPOD_VERSION : "";
  const search = query.map(([key, value]) => `${encode(key)}=${encode(value)}`).join("&");
  return prefix + version + request.path + (search ? `?${search}` : "");
}

/** Whether the engine itself wrote the answer (not the proxy). */
function fromEngine(answer: Answer): boolean {
  return /^(Docker|Libpod)\//.test(answer.headers["server"] ?? "") &&
    !answer.text.includes("socket-proxy");
}

// ---------------------------------------------------------------------------
// What exists on an engine.

const sorted = (items: string[]) => [...items].sort();

/** Status and items of a list, so that an engine without swarm compares as "503". */
async function listing(
  socket: string,
  target: string,
  item: (entry: Json) => string,
  field?: string,
): Promise<string[] | string> {
  const answer = await api(socket, "GET", target);
  if (answer.status !== 200) return String(answer.status);
  const list = field === undefined ? answer.json : answer.json?.[field];
  return sorted((list ?? []).map(item));
}

/** The victim container the corpus starts, updates and execs in. */
async function victimState(socket: string): Promise<string> {
  const answer = await api(socket, "GET", "/containers/sp-victim/json");
  if (answer.status !== 200) return String(answer.status);
  const inspect = answer.json;
  return JSON.stringify([
    inspect.State.Status,
    inspect.State.StartedAt,
    inspect.ExecIDs,
    inspect.HostConfig,
  ]);
}

async function snapshot(engine: EngineName, socket: string): Promise<Record<string, unknown>> {
  const entries: [string, Promise<unknown>][] = engine === "docker"
    ? [
      [
        "containers",
        listing(socket, "/containers/json?all=1", (c) => `${c.Id} ${c.Names} ${c.State}`),
      ],
      ["volumes", listing(socket, "/volumes", (v) => `${v.Name} ${v.Driver}`, "Volumes")],
      ["networks", listing(socket, "/networks", (n) => `${n.Id} ${n.Name}`)],
      ["images", listing(socket, "/images/json?all=1", (i) => `${i.Id} ${i.RepoTags}`)],
      ["plugins", listing(socket, "/plugins", (p) => `${p.Id} ${p.Name} ${p.Enabled}`)],
      ["services", listing(socket, "/services", (s) => s.ID)],
      ["secrets", listing(socket, "/secrets", (s) => s.ID)],
      ["configs", listing(socket, "/configs", (c) => c.ID)],
      ["swarm", api(socket, "GET", "/info").then((info) => info.json?.Swarm?.LocalNodeState)],
      ["victim", victimState(socket)],
    ]
    : [
      [
        "containers",
        listing(
          socket,
          `${LIBPOD_VERSION}/libpod/containers/json?all=true`,
          (c) => `${c.Id} ${c.Names} ${c.State}`,
        ),
      ],
      ["pods", listing(socket, `${LIBPOD_VERSION}/libpod/pods/json`, (p) => `${p.Id} ${p.Name}`)],
      ["volumes", listing(socket, `${LIBPOD_VERSION}/libpod/volumes/json`, (v) => v.Name)],
      [
        "networks",
        listing(socket, `${LIBPOD_VERSION}/libpod/networks/json`, (n) => `${n.id} ${n.name}`),
      ],
      ["secrets", listing(socket, `${LIBPOD_VERSION}/libpod/secrets/json`, (s) => s.ID)],
      [
        "images",
        listing(
          socket,
          `${LIBPOD_VERSION}/libpod/images/json?all=true`,
          (i) => `${i.Id} ${i.Names}`,
        ),
      ],
      ["victim", victimState(socket)],
    ];
  const values = await Promise.all(entries.map(([, value]) => value));
  return Object.fromEntries(entries.map(([key], i) => [key, values[i]]));
}

// ---------------------------------------------------------------------------
// The differential check.

/** Docker's default capabilities: adding one of them is no host access. */
const DEFAULT_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "NET_RAW",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);
const DEFAULT_LOG_DRIVERS = new Set(["", "json-file", "local", "journald", "k8s-file", "none"]);
const DEFAULT_RUNTIMES = new Set(["", "runc", "crun", "oci", "io.containerd.runc.v2"]);
const NAMESPACED_SYSCTLS = /^(net\.|kernel\.shm|kernel\.msg|kernel\.sem$|fs\.mqueue\.)/;
const RUNTIME_ANNOTATIONS = /^(run\.oci\.|org\.criu\.|io\.katacontainers\.|dev\.gvisor\.)/;

const listOf = (value: string | undefined) =>
  (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);
const isOn = (value: string | undefined) => /^(1|true|yes|on)$/i.test(value ?? "");

/**
 * Asserts that a created container (its inspect answer, and the volumes it
 * mounts) has no access to the host beyond what `settings` allow.
 */
function assertNoHostAccess(inspect: Json, settings: Settings, volumes: Json[] = []): void {
  const name = inspect.Name;
  const hc = inspect.HostConfig;
  const where = (what: string) => `${name}: ${what}`;
  const prefixes = listOf(settings.ALLOW_BIND_MOUNTS).map((entry) =>
    entry.endsWith(":ro") ? { path: entry.slice(0, -3), ro: true } : { path: entry, ro: false }
  );
  const hostPath = (path: string, writable: boolean, what: string) => {
    const covering = prefixes.filter((prefix) =>
      prefix.path === "/" || path === prefix.path || path.startsWith(prefix.path + "/")
    );
    assert.ok(covering.length > 0, where(`${what}: host path ${path} outside ALLOW_BIND_MOUNTS`));
    if (writable) {
      assert.ok(
        covering.some((prefix) => !prefix.ro),
        where(`${what}: ${path} writable under a read-only prefix`),
      );
    }
  };

  assert.equal(hc.Privileged, false, where("Privileged"));

  // Binds and mounts: requested, and in effect.
  for (const bind of hc.Binds ?? []) {
    const [source, , options = ""] = bind.split(":");
    if (source.startsWith("/")) {
      hostPath(source, !options.split(",").includes("ro"), `HostConfig.Binds ${bind}`);
    }
    assert.doesNotMatch(options, /(^|,)r?shared($|,)/, where(`Binds ${bind}: shared propagation`));
  }
  for (const mount of hc.Mounts ?? []) {
    assert.ok(["bind", "volume", "tmpfs"].includes(mount.Type), where(`mount type ${mount.Type}`));
    if (mount.Type === "bind") hostPath(mount.Source, !mount.ReadOnly, "HostConfig.Mounts");
    const options = mount.VolumeOptions?.DriverConfig?.Options ?? {};
    assert.deepEqual(Object.keys(options), [], where("inline volume driver options"));
  }
  for (const mount of inspect.Mounts ?? []) {
    assert.ok(["bind", "volume", "tmpfs"].includes(mount.Type), where(`mount type ${mount.Type}`));
    assert.doesNotMatch(
      mount.Propagation ?? "",
      /shared/,
      where(`${mount.Destination} propagation`),
    );
    if (mount.Type === "bind") {
      hostPath(mount.Source, mount.RW !== false, `mount ${mount.Destination}`);
    }
    if (mount.Type === "volume") {
      const volume = volumes.find((v) => v.Name === mount.Name);
      assert.ok(volume, where(`volume ${mount.Name} not inspected`));
      const drivers = listOf(settings.ALLOW_VOLUME_DRIVERS);
      assert.ok(
        volume.Driver === "local" || drivers.includes(volume.Driver) || drivers.includes("ALL"),
        where(`volume ${mount.Name} of driver ${volume.Driver}`),
      );
      assert.deepEqual(
        Object.keys(volume.Options ?? {}),
        [],
        where(`volume ${mount.Name} options ${JSON.stringify(volume.Options)}`),
      );
    }
  }
  assert.ok([undefined, null, "", "local"].includes(hc.VolumeDriver), where("VolumeDriver"));
  if (!isOn(settings.ALLOW_JOIN_CONTAINERS)) {
    assert.deepEqual(hc.VolumesFrom ?? [], [], where("VolumesFrom"));
  }

  // Devices.
  if (!settings.ALLOW_DEVICES) {
    assert.deepEqual(hc.Devices ?? [], [], where("Devices"));
    assert.deepEqual(hc.DeviceCgroupRules ?? [], [], where("DeviceCgroupRules"));
    assert.deepEqual(hc.DeviceRequests ?? [], [], where("DeviceRequests"));
  }

  // Capabilities.
  const allowedCaps = new Set(listOf(settings.ALLOW_CAPABILITIES).map((c) => c.toUpperCase()));
  for (const cap of [...(hc.CapAdd ?? []), ...(hc.Capabilities ?? [])]) {
    const bare = String(cap).toUpperCase().replace(/^CAP_/, "");
    assert.ok(
      DEFAULT_CAPABILITIES.has(bare) || allowedCaps.has(bare) || allowedCaps.has("ALL"),
      where(`capability ${cap}`),
    );
  }

  // Namespaces.
  const joins = isOn(settings.ALLOW_JOIN_CONTAINERS);
  for (const field of ["NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode", "Cgroup"]) {
    const mode = String(hc[field] ?? "");
    const hostAllowed = field === "NetworkMode"
      ? isOn(settings.ALLOW_HOST_NETWORK)
      : isOn(settings.ALLOW_HOST_NAMESPACES);
    if (!hostAllowed) assert.notEqual(mode.toLowerCase(), "host", where(field));
    if (!joins) assert.ok(!mode.startsWith("container:"), where(`${field} ${mode}`));
    assert.ok(!mode.startsWith("ns:"), where(`${field} ${mode}`));
  }

  // Confinement.
  if (!isOn(settings.ALLOW_UNCONFINED)) {
    for (const option of hc.SecurityOpt ?? []) {
      assert.match(option, /^no-new-privileges([:=]true)?$/, where(`SecurityOpt ${option}`));
    }
    assert.notEqual(inspect.AppArmorProfile, "unconfined", where("AppArmorProfile"));
    for (const field of ["MaskedPaths", "ReadonlyPaths"]) {
      const paths = hc[field];
      if (Array.isArray(paths)) assert.ok(paths.length > 0, where(`${field} emptied`));
    }
  }
  if (!isOn(settings.ALLOW_CGROUP_PARENT)) {
    assert.ok([undefined, null, ""].includes(hc.CgroupParent), where("CgroupParent"));
  }
  const runtimes = listOf(settings.ALLOW_RUNTIMES);
  assert.ok(
    DEFAULT_RUNTIMES.has(hc.Runtime ?? "") || runtimes.includes(hc.Runtime) ||
      runtimes.includes("ALL"),
    where(`Runtime ${hc.Runtime}`),
  );
  const sysctls = listOf(settings.ALLOW_SYSCTLS);
  for (const key of Object.keys(hc.Sysctls ?? {})) {
    assert.ok(
      NAMESPACED_SYSCTLS.test(key) || sysctls.includes(key) || sysctls.includes("ALL"),
      where(`sysctl ${key}`),
    );
  }
  if (!isOn(settings.ALLOW_OOM_SCORE_ADJ)) {
    assert.ok((hc.OomScoreAdj ?? 0) >= 0, where("OomScoreAdj"));
    assert.ok(!hc.OomKillDisable, where("OomKillDisable"));
  }
  const logDrivers = listOf(settings.ALLOW_LOG_DRIVERS);
  const logDriver = hc.LogConfig?.Type ?? "";
  assert.ok(
    DEFAULT_LOG_DRIVERS.has(logDriver) || logDrivers.includes(logDriver) ||
      logDrivers.includes("ALL"),
    where(`log driver ${logDriver}`),
  );
  for (const key of Object.keys(hc.Annotations ?? {})) {
    assert.ok(!RUNTIME_ANNOTATIONS.test(key), where(`annotation ${key}`));
  }
}

/** Inspects a container and the volumes it mounts on the engine, then checks it. */
async function checkContainer(socket: string, id: string, settings: Settings): Promise<Json> {
  const inspect = (await apiOk(socket, "GET", `/containers/${encode(id)}/json`)).json;
  const volumes = [];
  for (const mount of inspect.Mounts ?? []) {
    if (mount.Type === "volume") {
      volumes.push((await apiOk(socket, "GET", `/volumes/${encode(mount.Name)}`)).json);
    }
  }
  assertNoHostAccess(inspect, settings, volumes);
  return inspect;
}

// ---------------------------------------------------------------------------
// Dangerous requests that must never reach a real engine.

const LOOPBACK = /^(127\.|localhost$|\[::1\]$|::1$)/;

/**
 * Whether the engine would reach beyond loopback if it received `request`:
 * an import from a URL on another host, a pull from a registry.
 */
function reachesOffHost(request: CorpusRequest): boolean {
  if (["PluginPull", "PluginUpgrade", "LibpodImagesPull"].includes(request.operation)) return true;
  for (const [key, value] of request.query) {
    if (key === "fromImage") return true;
    const url = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+|\[[^\]]+\])/i.exec(value);
    if (url && !LOOPBACK.test(url[1])) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Proxies, one per engine and settings.

class Proxies {
  #running = new Map<string, Promise<ProxyProcess>>();
  #tripwire: FakeEngine | null = null;
  #dir: string | null = null;

  /** A proxy in front of `engine` with the switches and `settings` on top of `HOST_ACCESS=0`. */
  get(
    engine: EngineName | "tripwire",
    settings: Settings = {},
    policy = false,
  ): Promise<ProxyProcess> {
    const key = JSON.stringify([engine, policy, Object.entries(settings).sort()]);
    let proxy = this.#running.get(key);
    if (proxy === undefined) {
      proxy = this.#start(engine, settings, policy);
      this.#running.set(key, proxy);
    }
    return proxy;
  }

  /** The recording fake engine behind the tripwire proxies. */
  async tripwire(): Promise<FakeEngine> {
    return this.#tripwire ??= await FakeEngine.start();
  }

  async #start(engine: EngineName | "tripwire", settings: Settings, policy: boolean) {
    const socket = engine === "docker"
      ? engineSocket()
      : engine === "podman"
      ? podmanSocket()
      : (await this.tripwire()).path;
    if (policy) {
      this.#dir ??= await Deno.makeTempDir({ prefix: "sp-adm-policy-" });
      const file = `${this.#dir}/${crypto.randomUUID()}.json`;
      await Deno.writeTextFile(
        file,
        JSON.stringify({
          profiles: [{ name: "everything", rules: ["*"], HOST_ACCESS: "0", ...settings }],
        }),
      );
      return await startProxyProcess({ SOCKET_PATH: socket, POLICY_FILE: file });
    }
    // Podman (and the tripwire, which stands for either engine) serves both APIs.
    const switches = engine === "docker"
      ? DOCKER_SWITCHES
      : { ...DOCKER_SWITCHES, ...LIBPOD_SWITCHES };
    return await startProxyProcess({
      SOCKET_PATH: socket,
      HOST_ACCESS: "0",
      ...switches,
      ...settings,
    });
  }

  async stopAll(): Promise<void> {
    for (const proxy of this.#running.values()) {
      await (await proxy.catch(() => null))?.stop();
    }
    this.#running.clear();
    await this.#tripwire?.close();
    if (this.#dir) await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------
// Fixtures and clean-up.

/** Host directories the corpus's benign bodies bind; made when missing, removed after. */
const CORPUS_DIRS = ["/srv/media", "/srv/demo/config"];

async function makeDirs(paths: string[]): Promise<string[]> {
  const made: string[] = [];
  for (const path of paths) {
    const parts = path.split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const dir = "/" + parts.slice(0, i).join("/");
      try {
        await Deno.mkdir(dir);
        made.push(dir);
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
    }
  }
  return made;
}

/** Copies the test image from dockerd into podman's store (as `localhost/sp-busybox`). */
async function loadImageIntoPodman(docker: string, podman: string, image: string): Promise<void> {
  const tar = await rawBody(docker, `/images/${encode(image)}/get`);
  await apiOk(podman, "POST", `${LIBPOD_VERSION}/libpod/images/load`, tar, "application/x-tar");
}

async function rawBody(socket: string, target: string): Promise<Uint8Array> {
  const client = await RawClient.connectUnix(socket);
  try {
    await client.write(`GET ${target} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`);
    const response = await client.readResponse();
    if (response === null || response.status !== 200) throw new Error(`GET ${target} failed`);
    return response.body;
  } finally {
    client.close();
  }
}

/** Names (and ids) of what the test may create, to remove at the end. */
const CLEANUP = {
  docker: {
    containers: new Set([
      "sp-victim",
      "cli1",
      "cli2",
      "demo_web_1",
      "py1",
      "node1",
      "demo-web-1",
      "sp-adm-cli",
      "sp-adm-compose_web_1",
      "sp-adm-py",
      "sp-adm-node",
      "sp-adm-wt",
      "sp-adm-wt-out",
      "sp-evil",
    ]),
    volumes: new Set([
      "named",
      "plainvol",
      "demo_data",
      "pyvol",
      "pyvol2",
      "sp-adm-cli-vol",
      "sp-adm-compose_data",
      "sp-adm-py-vol",
      "sp-evil",
      "sp-adm-evilvol",
    ]),
    networks: new Set(["demo_default"]),
    images: new Set(["sp-import", "sp-evil", "demo:latest"]),
  },
  podman: {
    containers: new Set(["sp-victim", "pm1", "pm2", "sp-evil", "demo-web-1", "node1"]),
    pods: new Set(["pod1", "web", "sp-adm-late", "sp-evil"]),
    volumes: new Set(["pmvol", "pmvol2", "data", "sp-adm-late-data", "sp-evil"]),
    images: new Set(["sp-import", "sp-evil", "demo:latest"]),
  },
};

async function cleanUp(): Promise<string[]> {
  const problems: string[] = [];
  const remove = async (socket: string, target: string) => {
    const answer = await api(socket, "DELETE", target).catch((error) => ({
      status: 0,
      text: String(error),
    }));
    if (answer.status >= 300 && answer.status !== 404) {
      problems.push(`DELETE ${target}: ${answer.status} ${answer.text.slice(0, 200)}`);
    }
  };
  const docker = engineSocket();
  const podman = podmanSocket();
  for (const name of CLEANUP.docker.containers) {
    await remove(docker, `/containers/${encode(name)}?force=1&v=1`);
  }
  for (const name of CLEANUP.docker.volumes) await remove(docker, `/volumes/${encode(name)}`);
  for (const name of CLEANUP.docker.networks) await remove(docker, `/networks/${encode(name)}`);
  for (const name of CLEANUP.docker.images) await remove(docker, `/images/${encode(name)}`);
  for (const name of CLEANUP.podman.pods) {
    await remove(podman, `${LIBPOD_VERSION}/libpod/pods/${encode(name)}?force=true`);
  }
  for (const name of CLEANUP.podman.containers) {
    await remove(podman, `${LIBPOD_VERSION}/libpod/containers/${encode(name)}?force=true&v=true`);
  }
  for (const name of CLEANUP.podman.volumes) {
    await remove(podman, `${LIBPOD_VERSION}/libpod/volumes/${encode(name)}?force=true`);
  }
  for (const name of CLEANUP.podman.images) {
    await remove(podman, `${LIBPOD_VERSION}/libpod/images/${encode(name)}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// The corpus against the engines.

/** Groups requests by the proxy they need. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/**
 * Asserts a refusal with its status and reason. `prefixed`: the message is an
 * admission decision (`Forbidden by socket-proxy: ...`), not one of the HTTP
 * layer's (413, a Content-Encoding), which do not name the proxy.
 */
function assertRefused(
  answer: Answer,
  expect: { status: number; mentions: string },
  prefixed = true,
): void {
  assert.equal(
    answer.status,
    expect.status,
    `expected ${expect.status}, got ${answer.status}: ${answer.text.slice(0, 400)}`,
  );
  if (prefixed) {
    assert.match(answer.message, /^(Forbidden|Refused) by socket-proxy: /, answer.text);
  }
  assert.ok(
    answer.message.includes(expect.mentions),
    `message ${JSON.stringify(answer.message)} does not mention ${JSON.stringify(expect.mentions)}`,
  );
}

/**
 * The framings a request is sent with: a body as marked (chunked or not), the
 * other way, and after `100 Continue`.

 * The admission stage reads the head's fields before it reads the body over
 * them: the `continue` framing (the body in a later read) shows it.
 */
function framings(request: CorpusRequest): Framing[] {
  if (request.body === null) return ["length"];
  return request.chunked ? ["chunked", "length", "continue"] : ["length", "chunked", "continue"];
}

type ExtraRequest = DangerousRequest & {
  /** A version prefix for the path. */
  prefix?: string;
  /** Header fields sent first, right after the request line. */
  headers?: Record<string, string>;
  /** Refused by the proxy's HTTP layer, whose messages do not name it. */
  httpLayer?: boolean;
};

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Dangerous requests beyond the corpus: past the body-size limit, invalid JSON,
 * an encoded body, and old API versions (dockerd 20.10 still applies a legacy
 * start body through API < 1.24).
 */
async function extraDangerous(): Promise<ExtraRequest[]> {
  const under = DANGEROUS.find((r) => r.name === "a body padded to just under 1 MiB")!;
  const underBody = under.body as string;
  const over = underBody.replace('"pad":"', '"pad":"' + "x".repeat(MiB + 1 - underBody.length));
  assert.equal(over.length, MiB + 1);
  const create = (
    name: string,
    body: string | Uint8Array,
    status: number,
    mentions: string,
    extra: Partial<ExtraRequest> = {},
  ): ExtraRequest => ({
    name,
    method: "POST",
    path: "/containers/create",
    operation: "ContainerCreate",
    query: [["name", "sp-evil"]],
    body,
    expect: { status: status as 400 | 403, mentions },
    ...extra,
  });
  const privileged = JSON.stringify({
    Image: testImage(),
    Cmd: ["true"],
    HostConfig: { Privileged: true },
  });
  return [
    create("a privileged create padded to just over MAX_BODY_SIZE", over, 413, "MAX_BODY_SIZE", {
      httpLayer: true,
    }),
    create(
      "an invalid JSON body (truncated)",
      `{"Image":"${testImage()}","HostConfig":{"Privileged":true}`,
      400,
      "Invalid JSON",
    ),
    create("a body that is not JSON", "Privileged=true", 400, "Invalid JSON"),
    create("a gzip-encoded privileged body", await gzip(privileged), 400, "Content-Encoding", {
      headers: { "Content-Encoding": "gzip" },
      httpLayer: true,
    }),
    {
      name: "a legacy start body through API 1.23, which dockerd 20.10 applies",
      method: "POST",
      path: "/containers/sp-victim/start",
      operation: "ContainerStart",
      query: [],
      body: JSON.stringify({ Binds: ["/:/host"], Privileged: true }),
      expect: { status: 403, mentions: "at the body's root" },
      engine: "docker",
      prefix: "/v1.23",
    },
    create(
      "a root-level host bind through API 1.23",
      JSON.stringify({ Image: testImage(), Cmd: ["true"], Binds: ["/:/host"] }),
      403,
      "at the body's root",
      { prefix: "/v1.23" },
    ),
  ];
}

/** The route a request counts under: `containers`, `libpod/play`, ... */
function routeOf(path: string): string {
  const segments = path.split("/").filter(Boolean);
  return segments[0] === "libpod" ? `libpod/${segments[1]}` : segments[0];
}

// ---------------------------------------------------------------------------
// Benign requests whose success needs what this machine lacks: the engine's
// own error naming it is accepted (it shows that the proxy let them through).
// A 2xx answer is always accepted, and then checked like any other.

const ENGINE_LIMITS: Record<string, Partial<Record<EngineName, RegExp>>> = {
  // The captured body has no Cmd, and the test image no CMD.
  "a create adding a default capability and an allowed one": {
    docker: /no command specified/i, // dockerd 28 writes it in lower case
    podman: /no command or entrypoint provided/,
  },
  "a docker service create (the CLI's shape)": { docker: /not a swarm manager/ },
  // The body is an empty tar: no Dockerfile.
  "a classic docker build": {
    docker: /Cannot locate specified Dockerfile/,
    podman: /Dockerfile: no such file or directory/,
  },
  // Sent to the engines naming a registry on a closed loopback port.
  "an image pull": { docker: /connection refused/, podman: /connection refused/ },
  // Podman builds its infra image with catatonit, which is not installed.
  "podman-remote (4.3.1) pod create": { podman: /catatonit/ },
  "a kube play of a plain pod with a persistent volume claim": { podman: /catatonit/ },
  // pm1 runs only where podman may raise RLIMIT_NOFILE (not in every sandbox).
  "podman-remote (4.3.1) exec": {
    podman: /can only create exec sessions on running containers/,
  },
  // Podman's networks are host-wide configuration (/etc/cni): the test creates none.
  "a docker compose v2 create (the Go client's full structs) with a named volume, a bind and a compose network":
    { podman: /unable to find network with name or ID demo_default/ },
};
/** The same for the start of pm1 (podman-remote's `run -d`). */
const PM1_START_LIMIT = /error setting rlimits/;

/** Whether an answer of the engine is an error (a status, or an error in a stream). */
function isEngineError(answer: Answer): boolean {
  return answer.status >= 300 || /"error(Detail)?"\s*:/.test(answer.text);
}

/** Steps around benign requests, as the clients that sent them would do. */
const BEFORE: Record<string, (engine: EngineName, socket: string) => Promise<void>> = {
  // Watchtower stops and removes the old container before it creates the new one.
  "a Watchtower-style recreate: the create body built from docker inspect (20.10), with a read-only bind under an allowed prefix":
    async (_engine, socket) => {
      await apiOk(socket, "DELETE", "/containers/cli1?force=1");
    },
};

// ---------------------------------------------------------------------------

Deno.test("admission with HOST_ACCESS=0 against dockerd and podman", async (t) => {
  const docker = engineSocket();
  const podman = podmanSocket();
  const image = testImage();
  const sockets: Record<EngineName, string> = { docker, podman };
  const proxies = new Proxies();
  const madeDirs = await makeDirs(CORPUS_DIRS);
  const temp = await Deno.makeTempDir({ prefix: "sp-adm-" });
  const started = Date.now();
  /** Requests sent, and distinct requests, by kind (`dangerous docker containers`, ...). */
  const sends: Record<string, number> = {};
  const distinct: Record<string, Set<string>> = {};
  const count = (kind: string, name: string) => {
    sends[kind] = (sends[kind] ?? 0) + 1;
    (distinct[kind] ??= new Set()).add(name);
  };
  /** Containers created through the proxy, for the final differential sweep. */
  const created: { engine: EngineName; id: string; settings: Settings; what: string }[] = [];

  try {
    await t.step("fixtures", async () => {
      await loadImageIntoPodman(docker, podman, image);
      for (const engine of ["docker", "podman"] as const) {
        await api(sockets[engine], "DELETE", "/containers/sp-victim?force=1");
        await apiOk(sockets[engine], "POST", "/containers/create?name=sp-victim", {
          Image: image,
          Cmd: ["sleep", "3600"],
          HostConfig: { NetworkMode: "none" },
        });
      }
      await apiOk(docker, "POST", "/networks/create", {
        Name: "demo_default",
        Driver: "bridge",
        Internal: true,
      });
    });

    // 1. Dangerous requests.
    const extras = await extraDangerous();
    for (const engine of ["docker", "podman"] as const) {
      const socket = sockets[engine];
      const requests = [...DANGEROUS, ...extras].filter((r) =>
        r.engine === undefined || r.engine === engine
      );
      const before = await snapshot(engine, socket);
      const groups = groupBy(requests, (r) =>
        JSON.stringify([
          reachesOffHost(r) ? "tripwire" : engine,
          POLICY_ONLY.has(r.operation),
          r.settings ?? {},
        ]));
      for (const group of groups.values()) {
        const first = group[0];
        const offHost = reachesOffHost(first);
        const proxy = await proxies.get(
          offHost ? "tripwire" : engine,
          first.settings,
          POLICY_ONLY.has(first.operation),
        );
        for (const request of group) {
          for (const framing of framings(request)) {
            const label = `${engine}: ${request.name}${
              framing === "length" ? "" : ` (${framing})`
            }`;
            await t.step(label, async () => {
              const extra = request as ExtraRequest;
              const answer = await exchange(proxy.port, {
                method: request.method,
                target: targetOf(request, engine, request.query, extra.prefix),
                body: bodyBytes(request.body),
                contentType: contentTypeOf(request),
                framing,
                headers: extra.headers,
              });
              count(`dangerous ${engine} ${routeOf(request.path)}`, request.name);
              assertRefused(answer, request.expect, !extra.httpLayer);
              if (offHost) {
                const tripwire = await proxies.tripwire();
                const forwarded = tripwire.requests.filter((r) => r.method !== "GET");
                assert.deepEqual(forwarded.map((r) => r.target), [], "forwarded to the engine");
              } else {
                assert.deepEqual(await snapshot(engine, socket), before, "the engine changed");
              }
            });
          }
        }
      }
      if (engine === "docker") {
        await t.step("docker: the docker CLI's refusals", async (t) => {
          const cli = dockerCli(`tcp://127.0.0.1:${(await proxies.get("docker")).port}`);
          const cases: [string, string[], string][] = [
            [
              "run --privileged",
              ["run", "-d", "--privileged", image, "true"],
              "ALLOW_PRIVILEGED=1",
            ],
            ["run -v /:/host", ["run", "-d", "-v", "/:/host", image, "true"], "cover /"],
            [
              "run --network host",
              ["run", "-d", "--network", "host", image, "true"],
              "ALLOW_HOST_NETWORK=1",
            ],
            [
              "run --cap-add SYS_ADMIN",
              ["run", "-d", "--cap-add", "SYS_ADMIN", image, "true"],
              "SYS_ADMIN",
            ],
            [
              "run --pid host --security-opt seccomp=unconfined",
              ["run", "-d", "--pid", "host", "--security-opt", "seccomp=unconfined", image, "true"],
              "Forbidden by socket-proxy",
            ],
            [
              "run --device /dev/sda",
              ["run", "-d", "--device", "/dev/sda", image, "true"],
              "ALLOW_DEVICES",
            ],
            [
              "volume create binding /etc",
              [
                "volume",
                "create",
                "-o",
                "type=none",
                "-o",
                "o=bind",
                "-o",
                "device=/etc",
                "sp-adm-evilvol",
              ],
              "cover /etc",
            ],
            [
              "exec --privileged",
              ["exec", "--privileged", "sp-victim", "sh"],
              "ALLOW_PRIVILEGED=1",
            ],
          ];
          for (const [name, args, mentions] of cases) {
            await t.step(name, async () => {
              const result = await cli(args);
              count("dangerous docker CLI", name);
              assert.notEqual(result.code, 0, result.stdout);
              assert.ok(result.stderr.includes(mentions), result.stderr);
              assert.deepEqual(await snapshot(engine, socket), before, "the engine changed");
            });
          }
        });
      }
      await t.step(`${engine}: nothing was created`, async () => {
        assert.deepEqual(await snapshot(engine, socket), before);
      });
    }

    // 2. Benign requests, and (3) the differential check of what they create.
    for (const engine of ["docker", "podman"] as const) {
      const socket = sockets[engine];
      const requests = BENIGN.filter((r) => r.engine === undefined || r.engine === engine);
      for (const request of requests) {
        await t.step(`${engine}: benign: ${request.name}`, async () => {
          const settings = request.settings ?? {};
          await BEFORE[request.name]?.(engine, socket);
          let query = request.query;
          if (request.operation === "LibpodPlayKube") {
            // Started, the pod would publish the fixed host port 8080.
            query = query.map(([key, value]) => [key, key === "start" ? "false" : value]);
          }
          if (reachesOffHost(request)) {
            // As it is, to the fake engine: the proxy forwards it.
            const tripwire = await proxies.tripwire();
            const seen = tripwire.requests.length;
            const proxy = await proxies.get("tripwire", settings);
            const answer = await exchange(proxy.port, {
              method: request.method,
              target: targetOf(request, engine),
              body: bodyBytes(request.body),
              contentType: contentTypeOf(request),
              framing: "length",
            });
            assert.equal(answer.status, 200, answer.text);
            assert.ok(
              tripwire.requests.slice(seen).some((r) =>
                r.method === request.method && r.target.includes(request.path)
              ),
              "not forwarded",
            );
            // To the real engine, naming a registry on a closed loopback port.
            const registry = `127.0.0.1:${freePort()}`;
            query = query.map(([key, value]) => [
              key,
              key === "fromImage" ? `${registry}/${value}` : value,
            ]);
          }
          const proxy = await proxies.get(engine, settings);
          const answer = await exchange(proxy.port, {
            method: request.method,
            target: targetOf(request, engine, query),
            body: bodyBytes(request.body),
            contentType: contentTypeOf(request),
            framing: "length",
          });
          count(`benign ${engine}`, request.name);
          assert.ok(fromEngine(answer), `not the engine's answer: ${answer.status} ${answer.text}`);
          if (isEngineError(answer)) {
            const limit = ENGINE_LIMITS[request.name]?.[engine];
            assert.ok(limit, `${answer.status}: ${answer.text.slice(0, 500)}`);
            assert.match(answer.text, limit);
            return;
          }
          const ids: string[] = [];
          if (/ContainerCreate$/.test(request.operation)) ids.push(answer.json.Id);
          if (request.operation === "LibpodPlayKube") {
            for (const pod of answer.json?.Pods ?? []) ids.push(...(pod.Containers ?? []));
          }
          for (const id of ids) {
            created.push({ engine, id, settings, what: request.name });
            await checkContainer(socket, id, settings);
          }
          if (request.name.startsWith("podman-remote (4.3.1) run ")) {
            // `podman run -d` starts what it created (the exec below needs it running).
            const started = await exchange(proxy.port, {
              method: "POST",
              target: `${LIBPOD_VERSION}/libpod/containers/pm1/start`,
              body: null,
              contentType: "",
              framing: "length",
            });
            if (started.status !== 204) assert.match(started.text, PM1_START_LIMIT);
          }
        });
      }
    }

    // A benign kube play whose body comes after the head (and 100 Continue) is
    // decided on its own Content-Type, read before the body.
    await t.step("podman: benign: a kube play whose body follows 100 Continue", async () => {
      const request = BENIGN.find((r) => r.operation === "LibpodPlayKube")!;
      const body = (request.body as string).replaceAll("name: web", "name: sp-adm-late")
        .replaceAll("name: data", "name: sp-adm-late-data")
        .replaceAll("claimName: data", "claimName: sp-adm-late-data");
      const proxy = await proxies.get("podman", request.settings);
      const answer = await exchange(proxy.port, {
        method: request.method,
        target: targetOf(request, "podman", [["start", "false"]]),
        body: encoder.encode(body),
        contentType: contentTypeOf(request),
        framing: "continue",
      });
      count("benign podman", "a kube play whose body follows 100 Continue");
      assert.ok(fromEngine(answer), `not the engine's answer: ${answer.status} ${answer.text}`);
      if (isEngineError(answer)) assert.match(answer.text, /catatonit/);
      for (const pod of answer.json?.Pods ?? []) {
        for (const id of pod.Containers ?? []) {
          created.push({
            engine: "podman",
            id,
            settings: request.settings ?? {},
            what: "late kube",
          });
          await checkContainer(podman, id, request.settings ?? {});
        }
      }
    });

    // Real clients through the proxy.
    const dockerProxy = await proxies.get("docker");
    const dockerHost = `tcp://127.0.0.1:${dockerProxy.port}`;
    await t.step("docker CLI: run -d with common flags", async () => {
      const cli = dockerCli(dockerHost);
      const { stdout } = await cli.ok([
        "run",
        "-d",
        "--name",
        "sp-adm-cli",
        "-e",
        "FOO=bar",
        "-l",
        "team=x",
        "--restart",
        "unless-stopped",
        "--memory",
        "256m",
        "--cpus",
        "0.5",
        "--read-only",
        "--tmpfs",
        "/tmp",
        "-v",
        "sp-adm-cli-vol:/data",
        "--network",
        "none",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--user",
        "1000",
        "--init",
        "--health-cmd",
        "true",
        image,
        "sleep",
        "600",
      ]);
      count("real clients", "docker CLI run");
      const id = stdout.trim();
      created.push({ engine: "docker", id, settings: {}, what: "docker CLI run" });
      const inspect = await checkContainer(docker, id, {});
      assert.equal(inspect.State.Running, true);
      assert.equal(inspect.HostConfig.Init, true);
      assert.deepEqual(inspect.HostConfig.CapDrop, ["ALL"]);
    });

    await t.step("docker-compose up -d of a typical service", async () => {
      const dir = `${temp}/compose`;
      await Deno.mkdir(dir);
      await Deno.writeTextFile(
        `${dir}/docker-compose.yml`,
        [
          'version: "2.4"',
          "services:",
          "  web:",
          `    image: ${image}`,
          "    command: sleep 600",
          "    network_mode: none",
          "    environment:",
          "      TZ: Europe/Berlin",
          "    labels:",
          "      app: sp-adm-compose",
          "    volumes:",
          "      - data:/data",
          "    tmpfs:",
          "      - /run",
          "    restart: unless-stopped",
          "    read_only: true",
          "    cap_drop: [ALL]",
          "    security_opt: [no-new-privileges:true]",
          "    mem_limit: 128m",
          "    logging:",
          "      driver: json-file",
          "      options:",
          "        max-size: 10m",
          "volumes:",
          "  data: {}",
          "",
        ].join("\n"),
      );
      const output = await new Deno.Command("docker-compose", {
        args: ["-p", "sp-adm-compose", "up", "-d"],
        cwd: dir,
        env: { DOCKER_HOST: dockerHost, HOME: dir, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      count("real clients", "docker-compose up");
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      const inspect = await checkContainer(docker, "sp-adm-compose_web_1", {});
      created.push({ engine: "docker", id: inspect.Id, settings: {}, what: "docker-compose up" });
      assert.equal(inspect.State.Running, true);
      assert.equal(inspect.HostConfig.NetworkMode, "none");
    });

    await t.step("docker-py: containers.run(detach=True)", async () => {
      const output = await new Deno.Command(PYTHON, {
        args: [DOCKER_PY, dockerHost, image, "sp-adm-py", "sp-adm-py-vol"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      count("real clients", "docker-py");
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      const { id } = JSON.parse(new TextDecoder().decode(output.stdout));
      created.push({ engine: "docker", id, settings: {}, what: "docker-py" });
      const inspect = await checkContainer(docker, id, {});
      assert.equal(inspect.State.Running, true);
    });

    await t.step("dockerode: createContainer and start", async () => {
      const modules = `${temp}/dockerode`;
      const install = await new Deno.Command("npm", {
        args: [
          "install",
          "--prefix",
          modules,
          "--prefer-offline",
          "--ignore-scripts",
          "--no-audit",
          "--no-fund",
          `dockerode@${DOCKERODE_VERSION}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(install.code, 0, new TextDecoder().decode(install.stderr));
      const source = `${temp}/media`;
      await Deno.mkdir(source);
      const settings = { ALLOW_BIND_MOUNTS: `${source}:ro` };
      const proxy = await proxies.get("docker", settings);
      const output = await new Deno.Command("node", {
        args: [
          DOCKERODE,
          `${modules}/node_modules`,
          String(proxy.port),
          image,
          "sp-adm-node",
          source,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      count("real clients", "dockerode");
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      const { id } = JSON.parse(new TextDecoder().decode(output.stdout));
      created.push({ engine: "docker", id, settings, what: "dockerode" });
      const inspect = await checkContainer(docker, id, settings);
      assert.equal(inspect.State.Running, true);
      assert.deepEqual(inspect.HostConfig.Binds, [`${source}:/media:ro`]);
    });

    await t.step("Watchtower-style recreates", async (t) => {
      const allowed = `${temp}/wt`;
      const outside = `${temp}/wtx`; // a sibling of the allowed prefix
      for (const dir of [`${allowed}/data`, `${allowed}/conf`, outside]) {
        await Deno.mkdir(dir, { recursive: true });
      }
      const settings = { ALLOW_BIND_MOUNTS: allowed };
      const proxy = await proxies.get("docker", settings);
      const base = "/v1.41";
      const viaProxy = (method: string, target: string, body?: unknown) =>
        exchange(proxy.port, {
          method,
          target: base + target,
          body: body === undefined ? null : encoder.encode(JSON.stringify(body)),
          contentType: body === undefined ? "" : "application/json",
          framing: "length",
        });
      const direct = async (name: string, binds: string[]) => {
        await apiOk(docker, "POST", `/containers/create?name=${name}`, {
          Image: image,
          Cmd: ["sleep", "600"],
          Env: ["APP=watched"],
          Labels: { "com.centurylinklabs.watchtower.enable": "true" },
          HostConfig: {
            Binds: binds,
            NetworkMode: "none",
            RestartPolicy: { Name: "unless-stopped" },
            Memory: 64 * MiB,
          },
        });
        await apiOk(docker, "POST", `/containers/${name}/start`);
      };
      /** What Watchtower does: inspect, build the create body, stop, remove, create, start. */
      const recreate = async (name: string): Promise<Answer> => {
        const inspected = await viaProxy("GET", `/containers/${name}/json`);
        assert.equal(inspected.status, 200, inspected.text);
        const old = inspected.json;
        const imageInfo = await viaProxy("GET", `/images/${old.Image}/json`);
        assert.equal(imageInfo.status, 200, imageInfo.text);
        const config = { ...old.Config };
        const imageConfig = imageInfo.json.Config ?? {};
        // Watchtower's GetCreateConfig: drop what the image sets itself.
        if (config.WorkingDir === imageConfig.WorkingDir) config.WorkingDir = "";
        if (config.User === imageConfig.User) config.User = "";
        config.Env = (config.Env ?? []).filter((e: string) => !(imageConfig.Env ?? []).includes(e));
        config.Image = old.Config.Image;
        const body = {
          ...config,
          HostConfig: old.HostConfig,
          NetworkingConfig: { EndpointsConfig: old.NetworkSettings.Networks },
        };
        const stopped = await viaProxy("POST", `/containers/${name}/stop?t=0`);
        assert.equal(stopped.status, 204, stopped.text);
        const removed = await viaProxy("DELETE", `/containers/${name}?v=0&force=1`);
        assert.equal(removed.status, 204, removed.text);
        const createdAnswer = await viaProxy("POST", `/containers/create?name=${name}`, body);
        count("real clients", `Watchtower ${name}`);
        if (createdAnswer.status !== 201) return createdAnswer;
        const startedAnswer = await viaProxy("POST", `/containers/${name}/start`);
        assert.equal(startedAnswer.status, 204, startedAnswer.text);
        return createdAnswer;
      };

      await t.step("binds under the allowed prefix: recreated", async () => {
        await direct("sp-adm-wt", [`${allowed}/data:/data`, `${allowed}/conf:/conf:ro`]);
        const answer = await recreate("sp-adm-wt");
        assert.equal(answer.status, 201, answer.text);
        created.push({ engine: "docker", id: answer.json.Id, settings, what: "Watchtower" });
        const inspect = await checkContainer(docker, answer.json.Id, settings);
        assert.equal(inspect.State.Running, true);
        assert.equal(inspect.Name, "/sp-adm-wt");
        assert.deepEqual(inspect.HostConfig.Binds, [
          `${allowed}/data:/data`,
          `${allowed}/conf:/conf:ro`,
        ]);
      });
      await t.step("a bind outside the allowed prefix: refused, nothing created", async () => {
        await direct("sp-adm-wt-out", [`${allowed}/data:/data`, `${outside}:/other`]);
        const answer = await recreate("sp-adm-wt-out");
        assertRefused(answer, {
          status: 403,
          mentions:
            `HostConfig.Binds[1] "${outside}:/other" needs ALLOW_BIND_MOUNTS to cover ${outside}`,
        });
        const after = await api(docker, "GET", "/containers/sp-adm-wt-out/json");
        assert.equal(after.status, 404, after.text);
      });
    });

    await t.step("differential: every container created through the proxy", async () => {
      for (const { engine, id, settings, what } of created) {
        const answer = await api(sockets[engine], "GET", `/containers/${encode(id)}/json`);
        if (answer.status === 404) continue; // replaced since (Watchtower's recreate of cli1)
        await checkContainer(sockets[engine], id, settings).catch((error) => {
          throw new Error(`${what}: ${error.message}`);
        });
      }
    });
  } finally {
    await proxies.stopAll();
    for (const { engine, id } of created) {
      await api(sockets[engine], "DELETE", `/containers/${encode(id)}?force=1&v=1`).catch(() => {});
    }
    const problems = await cleanUp();
    for (const dir of madeDirs.reverse()) await Deno.remove(dir).catch(() => {});
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    const summary = Object.keys(sends).map((kind) =>
      `${kind}: ${distinct[kind].size} (${sends[kind]} sent)`
    );
    console.log(
      `admission e2e: ${summary.join("; ")}; ${created.length} containers created through ` +
        `the proxy, checked; ${Math.round((Date.now() - started) / 1000)} s`,
    );
    assert.deepEqual(problems, [], "clean-up");
  }
});

Deno.test("assertNoHostAccess fails on each kind of host access, and passes what is allowed", () => {
  const base = {
    Name: "/sp-check",
    AppArmorProfile: "docker-default",
    HostConfig: {
      Privileged: false,
      Binds: ["named:/data"],
      NetworkMode: "none",
      PidMode: "",
      IpcMode: "private",
      CapAdd: null,
      MaskedPaths: ["/proc/kcore"],
      ReadonlyPaths: ["/proc/sys"],
      LogConfig: { Type: "json-file", Config: {} },
      Runtime: "runc",
    },
    Mounts: [{ Type: "volume", Name: "named", Destination: "/data", RW: true }],
  };
  const volumes = [{ Name: "named", Driver: "local", Options: null }];
  const variant = (patch: Json) => ({
    ...base,
    ...patch,
    HostConfig: { ...base.HostConfig, ...patch.HostConfig },
  });
  const media = { ALLOW_BIND_MOUNTS: "/srv/media:ro" };
  const refused: [string, Json, Settings?, Json[]?][] = [
    ["privileged", { HostConfig: { Privileged: true } }],
    ["a host bind", { HostConfig: { Binds: ["/etc:/x:ro"] } }],
    [
      "a writable bind under a read-only prefix",
      { HostConfig: { Binds: ["/srv/media:/x"] } },
      media,
    ],
    ["a sibling of the prefix", { HostConfig: { Binds: ["/srv/mediax:/x:ro"] } }, media],
    ["a bind in effect", { Mounts: [{ Type: "bind", Source: "/", Destination: "/h", RW: false }] }],
    ["a writable bind in effect under a read-only prefix", {
      Mounts: [{ Type: "bind", Source: "/srv/media", Destination: "/m", RW: true }],
    }, media],
    ["shared propagation", {
      Mounts: [{
        Type: "bind",
        Source: "/srv/media",
        Destination: "/m",
        RW: false,
        Propagation: "rshared",
      }],
    }, media],
    ["a volume binding a host path", {}, {}, [{
      Name: "named",
      Driver: "local",
      Options: { type: "none", o: "bind", device: "/" },
    }]],
    ["a volume plugin", {}, {}, [{ Name: "named", Driver: "local-persist", Options: null }]],
    ["volumes from another container", { HostConfig: { VolumesFrom: ["other"] } }],
    ["a capability", { HostConfig: { CapAdd: ["CAP_SYS_ADMIN"] } }],
    ["the host network", { HostConfig: { NetworkMode: "host" } }],
    ["the host's pid namespace", { HostConfig: { PidMode: "host" } }],
    ["another container's ipc namespace", { HostConfig: { IpcMode: "container:abc" } }],
    ["the host's user namespace", { HostConfig: { UsernsMode: "host" } }],
    ["a device", { HostConfig: { Devices: [{ PathOnHost: "/dev/sda" }] } }],
    ["a GPU", { HostConfig: { DeviceRequests: [{ Count: -1 }] } }],
    ["seccomp unconfined", { HostConfig: { SecurityOpt: ["seccomp=unconfined"] } }],
    ["SELinux disabled", { HostConfig: { SecurityOpt: ["label=disable"] } }],
    ["AppArmor unconfined", { AppArmorProfile: "unconfined" }],
    ["masked paths emptied", { HostConfig: { MaskedPaths: [] } }],
    ["a cgroup parent", { HostConfig: { CgroupParent: "/" } }],
    ["another runtime", { HostConfig: { Runtime: "nvidia" } }],
    ["a global sysctl", { HostConfig: { Sysctls: { "kernel.core_pattern": "|/x" } } }],
    ["a negative OOM score", { HostConfig: { OomScoreAdj: -1000 } }],
    ["a network log driver", { HostConfig: { LogConfig: { Type: "gelf" } } }],
    ["a runtime annotation", { HostConfig: { Annotations: { "run.oci.hooks.stdout": "/x" } } }],
  ];
  assertNoHostAccess(base, {}, volumes);
  for (const [what, patch, settings = {}, vols = volumes] of refused) {
    assert.throws(() => assertNoHostAccess(variant(patch), settings, vols), what);
  }
  const allowed: [string, Json, Settings][] = [
    ["a read-only bind under a read-only prefix", {
      HostConfig: { Binds: ["/srv/media/tv:/tv:ro"] },
      Mounts: [{ Type: "bind", Source: "/srv/media/tv", Destination: "/tv", RW: false }],
    }, media],
    ["an allowed capability and a default one", {
      HostConfig: { CapAdd: ["NET_ADMIN", "CHOWN"] },
    }, { ALLOW_CAPABILITIES: "NET_ADMIN" }],
    ["the host network when allowed", { HostConfig: { NetworkMode: "host" } }, {
      ALLOW_HOST_NETWORK: "1",
    }],
  ];
  for (const [what, patch, settings] of allowed) {
    assert.doesNotThrow(() => assertNoHostAccess(variant(patch), settings, volumes), what);
  }
});
