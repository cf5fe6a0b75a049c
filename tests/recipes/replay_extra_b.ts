/**
 * What the replays of Sablier, CrowdSec, Ofelia, docker-volume-backup,
 * Glance, Netdata and GitLab Runner share beyond `replay.ts`: the bodies Go's
 * `encoding/json` writes for moby's request types (every field without
 * `omitempty`, zero-valued), and a hijacked connection whose write half can be
 * closed, as the runner closes a job's stdin.
 */
import type { Endpoint } from "./replay.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** moby/client's `User-Agent`: `moby-client/<module version> <GOOS>/<GOARCH>`. */
export function mobyAgent(version: string): [string, string] {
  return ["User-Agent", `moby-client/${version} linux/amd64`];
}

/** `container.Config` (api v1.55) as Go marshals it, with `fields` set. */
export function goConfig(fields: Record<string, unknown>): Json {
  return {
    Hostname: "",
    Domainname: "",
    User: "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: "",
    Volumes: null,
    WorkingDir: "",
    Entrypoint: null,
    Labels: null,
    ...fields,
  };
}

/** `container.HostConfig` (api v1.55) as Go marshals it, with `fields` set. */
export function goHostConfig(fields: Record<string, unknown> = {}): Json {
  return {
    Binds: null,
    ContainerIDFile: "",
    LogConfig: { Type: "", Config: null },
    NetworkMode: "",
    PortBindings: null,
    RestartPolicy: { Name: "", MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: "",
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: "",
    Dns: null,
    DnsOptions: null,
    DnsSearch: null,
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: "",
    Cgroup: "",
    Links: null,
    OomScoreAdj: 0,
    PidMode: "",
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    UTSMode: "",
    UsernsMode: "",
    ShmSize: 0,
    Isolation: "",
    CpuShares: 0,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: "",
    BlkioWeight: 0,
    BlkioWeightDevice: null,
    BlkioDeviceReadBps: null,
    BlkioDeviceWriteBps: null,
    BlkioDeviceReadIOps: null,
    BlkioDeviceWriteIOps: null,
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: "",
    CpusetMems: "",
    Devices: null,
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: null,
    OomKillDisable: null,
    PidsLimit: null,
    Ulimits: null,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
    ...fields,
  };
}

/** `container.ExecCreateRequest` (api v1.55) as Go marshals it, with `fields` set. */
export function goExecCreate(fields: Record<string, unknown>): Json {
  return {
    User: "",
    Privileged: false,
    Tty: false,
    AttachStdin: false,
    AttachStderr: false,
    AttachStdout: false,
    DetachKeys: "",
    Env: null,
    WorkingDir: "",
    Cmd: null,
    ...fields,
  };
}

/** `json.NewEncoder(...).Encode(v)`: the JSON and a newline, as moby/client sends bodies. */
export function goJson(value: unknown): string {
  return JSON.stringify(value) + "\n";
}

/** The fields moby/client's `postHijacked` sends for an attach or exec start. */
export function hijackHeaders(agent: [string, string]): [string, string][] {
  return [
    agent,
    ["Connection", "Upgrade"],
    ["Content-Type", "application/json"],
    ["Upgrade", "tcp"],
  ];
}

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/**
 * A hijacked request on a raw connection: the head of the `101` answer, then
 * the stream both ways, with `closeWrite` (a job's stdin at its end).
 */
export class RawTunnel {
  received: Uint8Array;

  private constructor(
    private readonly conn: Deno.Conn,
    readonly status: number,
    readonly head: string,
    rest: Uint8Array,
  ) {
    this.received = rest;
  }

  /** Sends `method target` with `headers` and `body`, and reads the answer's head. */
  static async open(
    endpoint: Endpoint,
    host: string | null,
    method: string,
    target: string,
    headers: [string, string][],
    body = "",
  ): Promise<RawTunnel> {
    const conn = endpoint.transport === "tcp"
      ? await Deno.connect({ hostname: "127.0.0.1", port: endpoint.port })
      : await Deno.connect({ transport: "unix", path: endpoint.path });
    let head = `${method} ${target} HTTP/1.1\r\n`;
    if (host !== null) head += `Host: ${host}\r\n`;
    for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
    if (body !== "") head += `Content-Length: ${encoder.encode(body).length}\r\n`;
    await writeAll(conn, encoder.encode(head + "\r\n" + body));
    let buffer: Uint8Array<ArrayBuffer> = new Uint8Array(0);
    for (;;) {
      const end = latin1.decode(buffer).indexOf("\r\n\r\n");
      if (end >= 0) {
        const text = latin1.decode(buffer.subarray(0, end));
        const status = Number(text.split(" ")[1]);
        return new RawTunnel(conn, status, text, buffer.slice(end + 4));
      }
      const chunk = new Uint8Array(64 * 1024);
      const n = await conn.read(chunk);
      if (n === null) {
        conn.close();
        throw new Error(`${method} ${target}: closed before an answer: ${latin1.decode(buffer)}`);
      }
      buffer = concat(buffer, chunk.subarray(0, n));
    }
  }

  write(text: string): Promise<void> {
    return writeAll(this.conn, encoder.encode(text));
  }

  closeWrite(): Promise<void> {
    return this.conn.closeWrite();
  }

  /** Reads until the other side closes (or `timeoutMs` passes, which fails). */
  async readToEnd(what: string, timeoutMs = 20_000): Promise<Uint8Array> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.close();
    }, timeoutMs);
    try {
      for (;;) {
        const chunk = new Uint8Array(64 * 1024);
        const n = await this.conn.read(chunk).catch(() => null);
        if (n === null) break;
        this.received = concat(this.received, chunk.subarray(0, n));
      }
    } finally {
      clearTimeout(timer);
    }
    if (timedOut) throw new Error(`${what}: not ended within ${timeoutMs} ms`);
    return this.received;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
