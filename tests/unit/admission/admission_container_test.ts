import assert from "node:assert/strict";
import { admissionNeeds, admit } from "../../../lib/admission/admit.ts";
import { parseAdmissionSettings } from "../../../lib/admission/admission_settings.ts";
import { type Case, decide, IMAGE, runCases } from "../../fixtures/admission_corpus.ts";
import { loadYaml } from "../../../lib/admission/yaml_documents.ts";

await loadYaml();

const hc = (
  name: string,
  hostConfig: Record<string, unknown>,
  expect: Case["expect"],
  settings?: Record<string, unknown>,
): Case => ({
  name,
  operation: "ContainerCreate",
  body: { Image: IMAGE, HostConfig: hostConfig },
  settings,
  expect,
});

Deno.test("ContainerCreate binds: whole segments of the allowed prefixes, read-only when asked", async (t) => {
  const media = { ALLOW_BIND_MOUNTS: "/srv/media" };
  const ro = { ALLOW_BIND_MOUNTS: "/srv/media:ro" };
  await runCases(t, [
    hc("a named volume needs nothing", { Binds: ["data:/data", "/anonymous"] }, true),
    hc("the prefix itself", { Binds: ["/srv/media:/m"] }, true, media),
    hc("a path below the prefix", { Binds: ["/srv/media/tv/show:/m:rw"] }, true, media),
    hc("a trailing slash", { Binds: ["/srv/media/:/m"] }, true, media),
    hc("a sibling with the prefix as its start", { Binds: ["/srv/mediax:/m"] }, [
      403,
      "cover /srv/mediax",
    ], media),
    hc("the prefix's parent", { Binds: ["/srv:/m"] }, [403, "cover /srv"], media),
    hc("a dot segment", { Binds: ["/srv/media/./x:/m"] }, [400, "canonical"], media),
    hc("a dot-dot segment", { Binds: ["/srv/media/..:/m"] }, [400, "canonical"], media),
    hc("a control character", { Binds: ["/srv/media/\u0000x:/m"] }, [400, "canonical"], media),
    hc(
      "four colon-separated parts",
      { Binds: ["/srv/media:/m:ro:x"] },
      [400, "not a valid bind"],
      media,
    ),
    hc("read-only under a read-only prefix", { Binds: ["/srv/media:/m:ro"] }, true, ro),
    hc("read-only among other options", { Binds: ["/srv/media:/m:nocopy,ro,rprivate"] }, true, ro),
    hc("read-write under a read-only prefix", { Binds: ["/srv/media:/m"] }, [403, "read-only"], ro),
    hc("read-write under one of two prefixes", { Binds: ["/srv/media/x:/m"] }, true, {
      ALLOW_BIND_MOUNTS: "/srv/media:ro,/srv/media/x",
    }),
    hc("relabelling under a read-write prefix", { Binds: ["/srv/media:/m:z"] }, true, media),
    hc(
      "relabelling under a read-only prefix",
      { Binds: ["/srv/media:/m:ro,z"] },
      [403, "relabels"],
      ro,
    ),
    hc("rslave propagation", { Binds: ["/srv/media:/m:rslave"] }, true, media),
    hc(
      "shared propagation",
      { Binds: ["/srv/media:/m:shared"] },
      [403, "ALLOW_PRIVILEGED=1"],
      media,
    ),
    hc("shared propagation with ALLOW_PRIVILEGED", { Binds: ["/srv/media:/m:shared"] }, true, {
      ...media,
      ALLOW_PRIVILEGED: "1",
    }),
    hc("everything under /", { Binds: ["/:/host"] }, true, { ALLOW_BIND_MOUNTS: "/" }),
    hc("Binds as a string (not Go's type)", { Binds: "/:/host" }, [400, "want an array"]),
  ]);
});

Deno.test("ContainerCreate mounts: binds, inline volume options and types", async (t) => {
  const media = { ALLOW_BIND_MOUNTS: "/srv/media" };
  const ro = { ALLOW_BIND_MOUNTS: "/srv/media:ro" };
  const bind = (extra: Record<string, unknown>) => ({
    Mounts: [{ Type: "bind", Source: "/srv/media", Target: "/m", ...extra }],
  });
  const volume = (options: Record<string, string>, name = "local") => ({
    Mounts: [{
      Type: "volume",
      Source: "v",
      Target: "/v",
      VolumeOptions: { DriverConfig: { Name: name, Options: options } },
    }],
  });
  await runCases(t, [
    hc("a bind mount under the prefix", bind({}), true, media),
    hc("a read-only bind mount under a read-only prefix", bind({ ReadOnly: true }), true, ro),
    hc("a read-write bind mount under a read-only prefix", bind({}), [403, "read-only"], ro),
    hc("rslave propagation", bind({ BindOptions: { Propagation: "rslave" } }), true, media),
    hc("shared propagation", bind({ BindOptions: { Propagation: "shared" } }), [
      403,
      "ALLOW_PRIVILEGED",
    ], media),
    hc(
      "CreateMountpoint under a read-write prefix",
      bind({ BindOptions: { CreateMountpoint: true } }),
      true,
      media,
    ),
    hc(
      "CreateMountpoint under a read-only prefix",
      bind({ ReadOnly: true, BindOptions: { CreateMountpoint: true } }),
      [403, "creates"],
      ro,
    ),
    hc(
      "ReadOnlyNonRecursive under a read-only prefix",
      bind({ ReadOnly: true, BindOptions: { ReadOnlyNonRecursive: true } }),
      [403, "read-only"],
      ro,
    ),
    hc(
      "ReadOnlyForceRecursive under a read-only prefix",
      bind({ ReadOnly: true, BindOptions: { ReadOnlyForceRecursive: true } }),
      true,
      ro,
    ),
    hc("a named volume", { Mounts: [{ Type: "volume", Source: "v", Target: "/v" }] }, true),
    hc(
      "a tmpfs",
      { Mounts: [{ Type: "tmpfs", Target: "/t", TmpfsOptions: { SizeBytes: 1000 } }] },
      true,
    ),
    hc("an image mount", { Mounts: [{ Type: "image", Source: IMAGE, Target: "/i" }] }, true),
    hc("a local volume with no options", volume({}), true),
    hc(
      "a local tmpfs volume",
      volume({ type: "tmpfs", device: "tmpfs", o: "size=100m,uid=1000" }),
      true,
    ),
    hc(
      "a local bind volume under the prefix",
      volume({ type: "none", o: "bind", device: "/srv/media" }),
      true,
      media,
    ),
    hc(
      "a local bind volume, read-only by o=ro",
      volume({ type: "none", o: "bind,ro", device: "/srv/media" }),
      true,
      ro,
    ),
    hc(
      "a local bind volume, ro then rw",
      volume({ type: "none", o: "ro,bind,rw", device: "/srv/media" }),
      [403, "read-only"],
      ro,
    ),
    hc(
      "a local bind volume spelled rbind with spaces",
      volume({ type: "none", o: " rbind ", device: "/etc" }),
      [403, "cover /etc"],
    ),
    hc(
      "a local NFS volume with ALLOW_REMOTE",
      volume({ type: "nfs4", o: "addr=10.0.0.2", device: ":/x" }),
      true,
      { ALLOW_REMOTE: "1" },
    ),
    hc(
      "a local block device under ALLOW_DEVICES",
      volume({ type: "ext4", device: "/dev/sdb1" }),
      true,
      { ALLOW_DEVICES: "/dev/sdb1" },
    ),
    hc("a local volume size quota", volume({ size: "10G" }), true),
    hc("an allowed volume plugin", volume({ anything: "/" }, "rclone"), true, {
      ALLOW_VOLUME_DRIVERS: "rclone",
    }),
    hc("a volume plugin not allowed", volume({}, "rclone"), [
      403,
      "ALLOW_VOLUME_DRIVERS to include rclone",
    ]),
    hc("Mount fields in lower case", { Mounts: [{ type: "bind", source: "/etc", target: "/m" }] }, [
      403,
      "cover /etc",
    ]),
    hc("an unknown Mount field", { Mounts: [{ Type: "volume", Target: "/v", Sneaky: 1 }] }, [
      403,
      "Unknown field HostConfig.Mounts[0].Sneaky",
    ]),
    hc("an empty mount type", { Mounts: [{ Source: "/", Target: "/m" }] }, [403, "mount type"]),
    hc("a null mount", { Mounts: [null] }, [400, "want an object"]),
  ]);
});

Deno.test("ContainerCreate namespaces, capabilities and security options", async (t) => {
  await runCases(t, [
    hc("the default network and a user network", { NetworkMode: "my_net" }, true),
    hc("no network", { NetworkMode: "none" }, true),
    hc("the host network when allowed", { NetworkMode: "host" }, true, { ALLOW_HOST_NETWORK: "1" }),
    hc("slirp4netns options reaching the host", {
      NetworkMode: "slirp4netns:allow_host_loopback=true",
    }, [403, "ALLOW_HOST_NETWORK"]),
    hc("pasta options", { NetworkMode: "pasta:--pid,/x" }, [403, "HOST_ACCESS=1"]),
    hc("another container's network when allowed", { NetworkMode: "container:db" }, true, {
      ALLOW_JOIN_CONTAINERS: "1",
    }),
    hc(
      "host pid with ALLOW_HOST_NETWORK only",
      { PidMode: "host" },
      [403, "ALLOW_HOST_NAMESPACES"],
      { ALLOW_HOST_NETWORK: "1" },
    ),
    hc(
      "host pid when allowed",
      { PidMode: "host", IpcMode: "host", UTSMode: "host", UsernsMode: "host" },
      true,
      { ALLOW_HOST_NAMESPACES: "1" },
    ),
    hc("shareable and private ipc", { IpcMode: "shareable" }, true),
    hc("an ipc mode the proxy does not know", { IpcMode: "hostish" }, [
      403,
      "mode this proxy does not know",
    ]),
    hc("a pid mode with a trailing space", { PidMode: "host " }, [
      403,
      "mode this proxy does not know",
    ]),
    hc("the host cgroup namespace (the v1 default)", { CgroupnsMode: "host" }, true),
    hc("another container's cgroup", { Cgroup: "container:db" }, [403, "ALLOW_JOIN_CONTAINERS"]),
    hc("a default capability", { CapAdd: ["CHOWN", "cap_net_raw", "KILL"] }, true),
    hc("an allowed capability", { CapAdd: ["net_admin"] }, true, {
      ALLOW_CAPABILITIES: "NET_ADMIN",
    }),
    hc("a capability spelled with a long s", { CapAdd: ["\u017fys_admin"] }, [403, "SYS_ADMIN"]),
    hc("every capability when ALL is allowed", { CapAdd: ["ALL"] }, true, {
      ALLOW_CAPABILITIES: "ALL",
    }),
    hc("dropping capabilities", { CapDrop: ["ALL"] }, true),
    hc("no-new-privileges in every form", {
      SecurityOpt: ["no-new-privileges", "no-new-privileges:true", "no-new-privileges=false"],
    }, true),
    hc("the default seccomp and AppArmor profiles", {
      SecurityOpt: ["seccomp=builtin", "apparmor=docker-default"],
    }, true),
    hc("writable-cgroups=false", { SecurityOpt: ["writable-cgroups=false"] }, true),
    hc("a bare disable", { SecurityOpt: ["disable"] }, [403, "ALLOW_UNCONFINED"]),
    hc("an unknown security option", { SecurityOpt: ["secret=1"] }, [403, "does not know"]),
    hc(
      "unconfined when allowed",
      { SecurityOpt: ["seccomp=unconfined", "label=disable"], MaskedPaths: [] },
      true,
      { ALLOW_UNCONFINED: "1" },
    ),
    hc("privileged when allowed", { Privileged: true }, true, { ALLOW_PRIVILEGED: "1" }),
    hc("privileged false", { Privileged: false }, true),
    hc("privileged null", { Privileged: null }, true),
  ]);
});

Deno.test("ContainerCreate masked paths: the defaults, or more", async (t) => {
  const older = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
  ];
  const newer = [
    ...older,
    "/proc/interrupts",
    "/sys/devices/virtual/powercap",
    "/sys/devices/system/cpu/cpu0/thermal_throttle",
  ];
  const readonly = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];
  await runCases(t, [
    hc("null keeps the engine's defaults", { MaskedPaths: null, ReadonlyPaths: null }, true),
    hc(
      "an older engine's defaults, as inspected",
      { MaskedPaths: older, ReadonlyPaths: readonly },
      true,
    ),
    hc(
      "dockerd 24 to 28.0.1's defaults (powercap, not /proc/interrupts), as inspected",
      { MaskedPaths: [...older, "/sys/devices/virtual/powercap"] },
      true,
    ),
    hc("those plus one, without /proc/interrupts", {
      MaskedPaths: [...older, "/sys/devices/virtual/powercap", "/proc/cpuinfo"],
    }, [403, "/proc/interrupts"]),
    hc("a newer engine's defaults", { MaskedPaths: newer }, true),
    hc("the defaults plus one", { MaskedPaths: [...newer, "/proc/cpuinfo"] }, true),
    hc(
      "a parent of every default",
      { MaskedPaths: ["/proc", "/sys"], ReadonlyPaths: ["/proc"] },
      true,
    ),
    hc("one default left out", { MaskedPaths: older.slice(1) }, [403, "/proc/asound unmasked"]),
    hc("an older list plus one, without the newer paths", {
      MaskedPaths: [...older, "/proc/cpuinfo"],
    }, [403, "/proc/interrupts"]),
    hc("read-only paths left out", { ReadonlyPaths: ["/proc/bus"] }, [403, "writable"]),
  ]);
});

Deno.test("ContainerCreate resources, sysctls, runtimes, logs and annotations", async (t) => {
  await runCases(t, [
    hc("limits", {
      Memory: 1 << 28,
      NanoCpus: 5e8,
      PidsLimit: 100,
      Ulimits: [{ Name: "nofile", Soft: 1024, Hard: 2048 }],
    }, true),
    hc("a positive OOM score", { OomScoreAdj: 500 }, true),
    hc("a negative OOM score when allowed", { OomScoreAdj: -500, OomKillDisable: true }, true, {
      ALLOW_OOM_SCORE_ADJ: "1",
    }),
    hc("an OOM score beyond int64", { OomScoreAdj: 9223372036854775808 }, [400, "not an integer"]),
    hc("a cgroup parent when allowed", { CgroupParent: "/docker-apps" }, true, {
      ALLOW_CGROUP_PARENT: "1",
    }),
    hc(
      "a device under an allowed directory",
      {
        Devices: [{
          PathOnHost: "/dev/dri/renderD128",
          PathInContainer: "/dev/dri/renderD128",
          CgroupPermissions: "rw",
        }],
      },
      true,
      { ALLOW_DEVICES: "/dev/dri" },
    ),
    hc(
      "any device when all are allowed",
      {
        Devices: [{ PathOnHost: "/dev/sda" }],
        DeviceCgroupRules: ["c 1:3 mr"],
        DeviceRequests: [{ Count: -1 }],
      },
      true,
      { ALLOW_DEVICES: "ALL" },
    ),
    hc("namespaced sysctls", {
      Sysctls: {
        "net.ipv4.ip_forward": "1",
        "kernel.shmmax": "1",
        "fs.mqueue.msg_max": "10",
        "net/core/somaxconn": "1024",
      },
    }, true),
    hc(
      "an ipc sysctl in the host's ipc namespace",
      { IpcMode: "host", Sysctls: { "kernel.shmmax": "1" } },
      [403, "ALLOW_SYSCTLS"],
      { ALLOW_HOST_NAMESPACES: "1" },
    ),
    hc(
      "a net sysctl in another container's network",
      { NetworkMode: "container:db", Sysctls: { "net.ipv4.ip_forward": "1" } },
      [403, "ALLOW_SYSCTLS"],
      { ALLOW_JOIN_CONTAINERS: "1" },
    ),
    hc("an allowed sysctl prefix", { Sysctls: { "vm.overcommit_memory": "1" } }, true, {
      ALLOW_SYSCTLS: "vm.*",
    }),
    hc("a sysctl outside the allowed prefix", { Sysctls: { "vmx.a": "1" } }, [403, "vmx.a"], {
      ALLOW_SYSCTLS: "vm.*",
    }),
    hc("runc by any of its names", { Runtime: "io.containerd.runc.v2" }, true),
    hc("an allowed runtime", { Runtime: "nvidia" }, true, { ALLOW_RUNTIMES: "nvidia" }),
    hc("local log drivers", { LogConfig: { Type: "local", Config: { "max-size": "10m" } } }, true),
    hc(
      "an allowed network log driver",
      { LogConfig: { Type: "gelf", Config: { "gelf-address": "udp://logs:12201" } } },
      true,
      { ALLOW_LOG_DRIVERS: "gelf" },
    ),
    hc(
      "a unixgram syslog address",
      { LogConfig: { Type: "syslog", Config: { "syslog-address": "unixgram:///dev/log" } } },
      [403, "host path"],
      { ALLOW_LOG_DRIVERS: "ALL" },
    ),
    hc("plain annotations", {
      Annotations: { "io.kubernetes.cri-o.TTY": "false", "com.example": "x" },
    }, true),
    hc("a CRIU configuration annotation", { Annotations: { "org.criu.config": "/tmp/c" } }, [
      403,
      "OCI runtime",
    ]),
    hc("a Kata annotation", { Annotations: { "io.katacontainers.config.hypervisor.path": "/x" } }, [
      403,
      "OCI runtime",
    ]),
    hc("volumes from another container when allowed", { VolumesFrom: ["db:ro"] }, true, {
      ALLOW_JOIN_CONTAINERS: "1",
    }),
    hc("an empty VolumesFrom", { VolumesFrom: [] }, true),
    hc(
      "a legacy field of an old engine",
      { KernelMemory: 0, DiskQuota: 0, Capabilities: null },
      true,
    ),
  ]);
});

Deno.test("ContainerCreate bodies are read as the engine reads them", async (t) => {
  const raw = (name: string, body: string, expect: Case["expect"]): Case => ({
    name,
    operation: "ContainerCreate",
    body,
    expect,
  });
  await runCases(t, [
    raw("an empty body", "", true),
    raw("a whitespace body", " \n", true),
    raw("a JSON null", "null", [400, "want an object"]),
    raw("an array", "[]", [400, "want an object"]),
    raw("HostConfig as an array", `{"HostConfig":[]}`, [400, "want an object"]),
    raw("HostConfig null and no root fields", `{"Image":"x","HostConfig":null}`, true),
    raw(
      "root-level harmless fields without HostConfig",
      `{"Image":"x","Memory":1024,"CpuShares":2}`,
      true,
    ),
    raw(
      "root-level harmless fields alongside HostConfig",
      `{"Image":"x","Memory":1024,"HostConfig":{}}`,
      [400, "alongside HostConfig"],
    ),
    raw(
      "root-level Cpuset alongside HostConfig (20.10's own field)",
      `{"Image":"x","Cpuset":"0","HostConfig":{}}`,
      true,
    ),
    raw(
      "root-level devices without HostConfig",
      `{"Image":"x","Devices":[{"PathOnHost":"/dev/mem"}]}`,
      [403, "at the body's root"],
    ),
    raw("root-level VolumesFrom", `{"Image":"x","VolumesFrom":["proxy"]}`, [
      403,
      "VolumesFrom (at the body's root",
    ]),
    raw("a key with a trailing space", `{"Image":"x","Privileged ":true}`, [403, "Unknown field"]),
    raw("the dockerode name key", `{"Image":"x","name":"n"}`, true),
    raw("labels sent twice", `{"Image":"x","Labels":{"a":"1","a":"2"}}`, [400, "sent twice"]),
    raw("labels differing in case", `{"Image":"x","Labels":{"a":"1","A":"2"}}`, true),
    raw(
      "an endpoint with an unknown field",
      `{"Image":"x","NetworkingConfig":{"EndpointsConfig":{"n":{"Sneaky":1}}}}`,
      [403, "Unknown field"],
    ),
    raw(
      "endpoints sent twice",
      `{"Image":"x","NetworkingConfig":{"EndpointsConfig":{"n":{},"n":{}}}}`,
      [400, "sent twice"],
    ),
    raw(
      "a body as deep as allowed",
      `{"Image":"x","Labels":{"a":"b"},"Healthcheck":${"[".repeat(400)}${"]".repeat(400)}}`,
      true,
    ),
  ]);
});

Deno.test("The legacy start body, update and exec are checked like create", async (t) => {
  await runCases(t, [
    { name: "a start with no body", operation: "ContainerStart", expect: true },
    { name: "a start with an empty object", operation: "ContainerStart", body: {}, expect: true },
    { name: "a start with null", operation: "ContainerStart", body: "null", expect: true },
    {
      name: "a start with a HostConfig",
      operation: "ContainerStart",
      body: { HostConfig: { Privileged: true } },
      expect: [403, "HostConfig.Privileged"],
    },
    {
      name: "a start from a checkpoint",
      operation: "ContainerStart",
      query: [["checkpoint", "c1"]],
      expect: true,
    },
    {
      name: "a start with a form-encoded body",
      operation: "ContainerStart",
      body: "checkpoint-dir=/etc",
      contentType: "application/x-www-form-urlencoded; charset=utf-8",
      expect: [400, "query parameters"],
    },
    {
      name: "an update of limits",
      operation: "ContainerUpdate",
      body: { Memory: 1024, RestartPolicy: { Name: "always" } },
      expect: true,
    },
    {
      name: "an update adding devices",
      operation: "ContainerUpdate",
      body: { DeviceCgroupRules: ["a *:* rwm"] },
      expect: [403, "ALLOW_DEVICES=ALL"],
    },
    {
      name: "an update with a HostConfig field",
      operation: "ContainerUpdate",
      body: { Privileged: true },
      expect: [403, "Unknown field Privileged"],
    },
    {
      name: "an exec as root",
      operation: "ContainerExec",
      body: { User: "0", Cmd: ["id"] },
      expect: true,
    },
    {
      name: "a privileged exec when allowed",
      operation: "ContainerExec",
      body: { Cmd: ["id"], Privileged: true },
      settings: { ALLOW_PRIVILEGED: "1" },
      expect: true,
    },
    {
      name: "an exec passing the service's descriptors",
      operation: "ContainerExec",
      body: { Cmd: ["id"], PreserveFDs: 3 },
      expect: [403, "Unknown field PreserveFDs"],
    },
  ]);
});

Deno.test("admissionNeeds() asks for the body only where the body is checked", () => {
  const strict = parseAdmissionSettings({}, { hostAccess: false });
  const open = parseAdmissionSettings({}, { hostAccess: true });
  assert.equal(admissionNeeds("ContainerCreate", strict), "body");
  assert.equal(admissionNeeds("ContainerStart", strict), "body");
  assert.equal(admissionNeeds("ImageBuild", strict), "query");
  assert.equal(admissionNeeds("PluginPull", strict), "query");
  assert.equal(admissionNeeds("ContainerList", strict), "none");
  assert.equal(admissionNeeds("ContainerCreate", open), "none");
  assert.equal(admissionNeeds("constructor", strict), "none");
});

Deno.test("admit() refuses a body larger than MAX_BODY_SIZE and allows everything with HOST_ACCESS=1", () => {
  const settings = parseAdmissionSettings({ MAX_BODY_SIZE: "1k" }, { hostAccess: false });
  const body = new TextEncoder().encode(JSON.stringify({ Image: "x".repeat(2000) }));
  const verdict = admit({
    operation: "ContainerCreate",
    query: new Map(),
    body,
    contentType: "application/json",
  }, settings);
  assert.equal(verdict.allowed, false);
  assert.deepEqual(
    decide({ operation: "ContainerCreate", body: "not json", settings: { HOST_ACCESS: "1" } }),
    { allowed: true },
  );
});

Deno.test("admit() names the field and the setting in the verdict", () => {
  assert.deepEqual(
    decide({ operation: "ContainerCreate", body: { HostConfig: { Privileged: true } } }),
    {
      allowed: false,
      status: 403,
      reason: "HostConfig.Privileged needs ALLOW_PRIVILEGED=1",
      field: "HostConfig.Privileged",
      needs: "ALLOW_PRIVILEGED=1",
    },
  );
  assert.deepEqual(
    decide({
      operation: "ContainerCreate",
      body: { HostConfig: { Binds: ["/etc:/x"] } },
      settings: { ALLOW_BIND_MOUNTS: "/srv" },
    }),
    {
      allowed: false,
      status: 403,
      reason: 'HostConfig.Binds[0] "/etc:/x" needs ALLOW_BIND_MOUNTS to cover /etc',
      field: "HostConfig.Binds[0]",
      needs: "ALLOW_BIND_MOUNTS",
    },
  );
  const collision = decide({
    operation: "ContainerCreate",
    body: '{"HostConfig":{"Binds":[],"bind\u017f":[]}}',
  });
  assert.equal(collision.allowed, false);
  if (!collision.allowed) {
    assert.equal(collision.status, 400);
    assert.equal(
      collision.reason,
      'Keys "Binds" and "bind\u017f" collide under case folding in HostConfig',
    );
  }
  const root = decide({ operation: "ContainerCreate", body: { Image: "x", Privileged: true } });
  assert.equal(
    root.allowed ? "" : root.reason,
    "Privileged (at the body's root, used when HostConfig is absent) needs ALLOW_PRIVILEGED=1",
  );
});
