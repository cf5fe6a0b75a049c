/**
 * Admission of Docker's container bodies at its edges: every message a refusal
 * gives (status, reason, field and setting, asserted whole), the operations
 * refused outright, and the bounds of each check. Written against the mutants
 * `deno task mutate admission_container` showed surviving.
 */
import assert from "node:assert/strict";
import {
  admissionNeeds,
  type AdmissionVerdict,
  admit,
  prepareAdmission,
} from "../../../lib/admission/admit.ts";
import { parseAdmissionSettings } from "../../../lib/admission/admission_settings.ts";
import { forbid, malformed, quote } from "../../../lib/admission/refusal.ts";

// No import of the corpus fixture: it loads the YAML parser, which the first
// test needs not loaded (each test file runs in its own isolate).
const IMAGE = "sp-busybox:latest";

/** Runs a request through `admit` under `HOST_ACCESS=0` plus `settings`. */
function decide(request: {
  operation: string;
  query?: [string, string][];
  body?: unknown;
  contentType?: string;
  settings?: Record<string, string>;
}): AdmissionVerdict {
  const settings = parseAdmissionSettings({ HOST_ACCESS: "0", ...request.settings }, {
    hostAccess: false,
  });
  const body = request.body === undefined || request.body === null
    ? null
    : new TextEncoder().encode(
      typeof request.body === "string" ? request.body : JSON.stringify(request.body),
    );
  return admit({
    operation: request.operation,
    query: new Map((request.query ?? []).map(([key, value]) => [key, [value]])),
    body,
    contentType: request.contentType ?? (body === null ? "" : "application/json"),
  }, settings);
}

/** A refusal verdict, as `admit` returns it. */
function refused(
  status: 400 | 403,
  reason: string,
  field?: string,
  needs?: string,
): AdmissionVerdict {
  const verdict: AdmissionVerdict = { allowed: false, status, reason };
  if (field !== undefined) verdict.field = field;
  if (needs !== undefined) verdict.needs = needs;
  return verdict;
}

const ALLOWED: AdmissionVerdict = { allowed: true };

Deno.test("prepareAdmission() loads the YAML parser for kube play only, and admit() needs it", async () => {
  const settings = parseAdmissionSettings({}, { hostAccess: false });
  const request = {
    operation: "LibpodKubePlay",
    query: new Map(),
    body: new TextEncoder().encode("kind: Pod\nspec:\n  hostNetwork: true\n"),
    contentType: "application/yaml",
  };
  // Not a refusal: a proxy that skipped prepareAdmission() must fail, not allow.
  const unloaded = {
    name: "Error",
    message: "The YAML parser is not loaded: call loadYaml() first",
  };
  // Loaded once per process: where test files share one (deno task mutate:fast),
  // another may have loaded it already, and only what follows can be checked.
  let loaded = true;
  try {
    admit(request, settings);
  } catch (error) {
    if (!(error instanceof Error) || error.message !== unloaded.message) throw error;
    loaded = false;
  }
  if (!loaded) {
    assert.throws(() => admit(request, settings), unloaded);
    await prepareAdmission("ContainerCreate");
    await prepareAdmission("LibpodKubeApply");
    assert.throws(() => admit(request, settings), unloaded);
  }
  await prepareAdmission("LibpodKubePlay");
  assert.deepEqual(
    admit({ ...request, operation: "LibpodPlayKube" }, settings),
    refused(
      403,
      "document 1.spec.hostNetwork needs ALLOW_HOST_NETWORK=1",
      "document 1.spec.hostNetwork",
      "ALLOW_HOST_NETWORK=1",
    ),
  );
  assert.deepEqual(
    admit(request, settings),
    refused(
      403,
      "document 1.spec.hostNetwork needs ALLOW_HOST_NETWORK=1",
      "document 1.spec.hostNetwork",
      "ALLOW_HOST_NETWORK=1",
    ),
  );
});

Deno.test("admit() lets an error that is not a refusal through as it is, never as a verdict", () => {
  const settings = parseAdmissionSettings({}, { hostAccess: false });
  const broken = new Error("the body could not be read");
  const body = {
    get length(): number {
      throw broken;
    },
  } as unknown as Uint8Array;
  assert.throws(
    () =>
      admit({ operation: "ContainerCreate", query: new Map(), body, contentType: "" }, settings),
    (error) => error === broken,
  );
});

Deno.test("admit() refuses the operations it cannot inspect, saying what they would do", async (t) => {
  const cases: [string, string, string][] = [
    [
      "PluginPull",
      "Installing a plugin (it runs as root with the host access it asks for)",
      "ALLOW_PLUGINS=1",
    ],
    [
      "PluginUpgrade",
      "Upgrading a plugin (it runs as root with the host access it asks for)",
      "ALLOW_PLUGINS=1",
    ],
    [
      "PluginCreate",
      "Creating a plugin (it runs as root with the host access it asks for)",
      "ALLOW_PLUGINS=1",
    ],
    [
      "PluginSet",
      "Configuring a plugin (its mounts and devices are host paths)",
      "ALLOW_PLUGINS=1",
    ],
    [
      "Grpc",
      "BuildKit's /grpc API (the proxy cannot inspect it; builds may use the host network)",
      "ALLOW_BUILDKIT=1",
    ],
    [
      "SwarmInit",
      "Initialising a swarm (managers can then run anything on this host)",
      "HOST_ACCESS=1",
    ],
    [
      "SwarmJoin",
      "Joining a swarm (its managers can then run anything on this host)",
      "HOST_ACCESS=1",
    ],
    [
      "SwarmUpdate",
      "Updating the swarm (its CA and join tokens let other nodes in)",
      "HOST_ACCESS=1",
    ],
    [
      "LibpodQuadletInstall",
      "Installing quadlets (systemd units run as the service's user)",
      "HOST_ACCESS=1",
    ],
    ["LibpodLocalBuild", "Building from a directory on the server", "HOST_ACCESS=1"],
    ["LibpodLocalImages", "Loading images from a path on the server", "HOST_ACCESS=1"],
    ["LibpodArtifactLocal", "Adding an artifact from a path on the server", "HOST_ACCESS=1"],
    ["LibpodImageScp", "Copying an image over SSH with the server's keys", "HOST_ACCESS=1"],
    ["LibpodKubeApply", "Applying to a cluster with the server's kubeconfig", "HOST_ACCESS=1"],
  ];
  for (const [operation, what, needs] of cases) {
    await t.step(operation, () => {
      assert.deepEqual(
        decide({ operation }),
        refused(403, `${what} needs ${needs}`, operation, needs),
      );
    });
  }
});

Deno.test("admit() lets plugins and BuildKit through only with their own settings", async (t) => {
  const everything = { ALLOW_PLUGINS: "1", ALLOW_BUILDKIT: "1", ALLOW_PRIVILEGED: "1" };
  await t.step("ALLOW_PLUGINS allows the plugin operations", () => {
    for (const operation of ["PluginPull", "PluginUpgrade", "PluginCreate", "PluginSet"]) {
      assert.deepEqual(decide({ operation, settings: { ALLOW_PLUGINS: "1" } }), ALLOWED);
    }
  });
  await t.step("ALLOW_BUILDKIT allows /grpc", () => {
    assert.deepEqual(decide({ operation: "Grpc", settings: { ALLOW_BUILDKIT: "1" } }), ALLOWED);
  });
  await t.step("ALLOW_PLUGINS does not allow /grpc", () => {
    assert.equal(decide({ operation: "Grpc", settings: { ALLOW_PLUGINS: "1" } }).allowed, false);
  });
  await t.step("no setting but HOST_ACCESS allows a swarm or the server's paths", () => {
    for (const operation of ["SwarmInit", "LibpodLocalBuild", "LibpodKubeApply"]) {
      assert.equal(decide({ operation, settings: everything }).allowed, false);
    }
  });
});

Deno.test("admit() reads blank bodies as none and refuses what is not JSON, or too large", async (t) => {
  await t.step("a body of spaces, tabs, CRs and LFs asks nothing", () => {
    assert.deepEqual(decide({ operation: "ContainerCreate", body: "\t\r\n " }), ALLOWED);
    assert.deepEqual(decide({ operation: "LibpodKubePlay", body: " \n\t\r" }), ALLOWED);
  });
  await t.step("a form feed is not JSON whitespace", () => {
    assert.deepEqual(
      decide({ operation: "ContainerCreate", body: "\f" }),
      refused(400, 'Invalid JSON at offset 0: expected a value, found "\\f"'),
    );
  });
  await t.step("JSON cut short", () => {
    assert.deepEqual(
      decide({ operation: "ContainerCreate", body: "{" }),
      refused(400, "Invalid JSON at offset 1: expected a key, found end of body"),
    );
  });
  await t.step("a body one byte over MAX_BODY_SIZE", () => {
    const settings = parseAdmissionSettings({ MAX_BODY_SIZE: "1k" }, { hostAccess: false });
    const request = (size: number) => ({
      operation: "ContainerCreate",
      query: new Map(),
      body: new TextEncoder().encode(" ".repeat(size)),
      contentType: "application/json",
    });
    assert.deepEqual(admit(request(1024), settings), ALLOWED);
    assert.deepEqual(
      admit(request(1025), settings),
      refused(400, "Body is larger than MAX_BODY_SIZE (1024 bytes)"),
    );
  });
  await t.step("with HOST_ACCESS=1, nothing is read", () => {
    const open = parseAdmissionSettings({ MAX_BODY_SIZE: "1k" }, { hostAccess: true });
    const verdict = admit({
      operation: "SwarmInit",
      query: new Map(),
      body: new TextEncoder().encode("{".repeat(2000)),
      contentType: "application/x-www-form-urlencoded",
    }, open);
    assert.deepEqual(verdict, ALLOWED);
  });
});

Deno.test("admit() refuses a form-encoded body where the engine would read it as the query", async (t) => {
  const reason =
    "A body of type application/x-www-form-urlencoded would be read as query parameters by the engine; send the parameters in the query";
  const settings = { ALLOW_PLUGINS: "1" };
  for (
    const operation of [
      "ImageBuild",
      "ImageCreate",
      "ContainerStart",
      "PluginPull",
      "PluginUpgrade",
      "PluginCreate",
    ]
  ) {
    await t.step(operation, () => {
      assert.deepEqual(
        decide({
          operation,
          body: "a=b",
          contentType: "application/x-www-form-urlencoded",
          settings,
        }),
        refused(400, reason),
      );
    });
  }
  await t.step("but not for operations whose query is not merged with it", () => {
    assert.deepEqual(
      decide({
        operation: "PluginSet",
        body: "a=b",
        contentType: "application/x-www-form-urlencoded",
        settings,
      }),
      ALLOWED,
    );
  });
});

Deno.test("admissionNeeds() asks for the body, the query or nothing by operation", async (t) => {
  const strict = parseAdmissionSettings({}, { hostAccess: false });
  const cases: [string, string][] = [
    ["ContainerUpdate", "body"],
    ["ContainerExec", "body"],
    ["LibpodContainerExec", "body"],
    ["LibpodPlayKube", "body"],
    ["LibpodKubePlay", "body"],
    ["LibpodImageBuild", "query"],
    ["ImageCreate", "query"],
    ["LibpodContainerRestore", "query"],
    ["Grpc", "query"],
    ["SwarmInit", "query"],
    ["LibpodKubeApply", "query"],
    ["ContainerInspect", "none"],
    ["toString", "none"],
    ["hasOwnProperty", "none"],
  ];
  for (const [operation, needs] of cases) {
    await t.step(`${operation}: ${needs}`, () => {
      assert.equal(admissionNeeds(operation, strict), needs);
    });
  }
});

/** A table case: its name, the request, and the whole verdict expected. */
type VerdictCase = [
  name: string,
  request: {
    operation: string;
    query?: [string, string][];
    body?: unknown;
    contentType?: string;
    settings?: Record<string, string>;
  },
  expected: AdmissionVerdict,
];

async function runVerdicts(t: Deno.TestContext, cases: readonly VerdictCase[]): Promise<void> {
  for (const [name, request, expected] of cases) {
    await t.step(name, () => assert.deepEqual(decide(request), expected));
  }
}

/** A `ContainerCreate` request with this `HostConfig`, as a table case's request. */
function hcRequest(hostConfig: Record<string, unknown>, settings?: Record<string, string>) {
  return { operation: "ContainerCreate", body: { Image: IMAGE, HostConfig: hostConfig }, settings };
}

const UNKNOWN = (field: string) =>
  refused(
    403,
    `Unknown field ${field} is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through`,
    field,
    "HOST_ACCESS=1",
  );

const create = (body: unknown) => ({ operation: "ContainerCreate", body });

Deno.test("ContainerCreate reads the root, HostConfig and NetworkingConfig as the engine does", async (t) => {
  const note = " (at the body's root, used when HostConfig is absent)";
  await runVerdicts(t, [
    [
      "root HostConfig fields alongside HostConfig are named, the first as the field",
      create(`{"Image":"x","Memory":1,"CpuShares":2,"HostConfig":{}}`),
      refused(
        400,
        "HostConfig fields at the body's root (Memory, CpuShares) alongside HostConfig are ambiguous",
        "Memory",
      ),
    ],
    [
      "root fields with a null HostConfig are the HostConfig",
      create(`{"Image":"x","Privileged":true,"HostConfig":null}`),
      refused(
        403,
        `Privileged${note} needs ALLOW_PRIVILEGED=1`,
        "Privileged",
        "ALLOW_PRIVILEGED=1",
      ),
    ],
    [
      "root binds without HostConfig",
      create(`{"Image":"x","Binds":["/etc:/e"]}`),
      refused(
        403,
        `Binds[0]${note} "/etc:/e" needs ALLOW_BIND_MOUNTS to cover /etc`,
        "Binds[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    [
      "root fields without HostConfig, allowed by the settings",
      {
        ...create(`{"Image":"x","Privileged":true,"Memory":1}`),
        settings: { ALLOW_PRIVILEGED: "1" },
      },
      ALLOWED,
    ],
    [
      "a HostConfig's own fields do not count as root fields",
      create(`{"Image":"x","HostConfig":{"Memory":1,"Privileged":false}}`),
      ALLOWED,
    ],
    [
      "every Config and wrapper field, each harmless",
      create({
        Hostname: "h",
        Domainname: "d",
        User: "u",
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        ExposedPorts: {},
        Tty: true,
        OpenStdin: true,
        StdinOnce: true,
        Env: [],
        Cmd: [],
        Healthcheck: {},
        ArgsEscaped: true,
        Image: "x",
        Volumes: {},
        WorkingDir: "/",
        Entrypoint: [],
        NetworkDisabled: true,
        MacAddress: "",
        OnBuild: [],
        Labels: {},
        StopSignal: "TERM",
        StopTimeout: 1,
        Shell: [],
        NetworkingConfig: {},
        Name: "n",
        EnvMerge: [],
        UnsetEnv: [],
        UnsetEnvAll: true,
        Cpuset: "0",
        HostConfig: {},
      }),
      ALLOWED,
    ],
    [
      "a null endpoint",
      create({ NetworkingConfig: { EndpointsConfig: { n: null } } }),
      ALLOWED,
    ],
    [
      "a null NetworkingConfig",
      create({ NetworkingConfig: null }),
      ALLOWED,
    ],
    [
      "every endpoint field",
      create({
        NetworkingConfig: {
          EndpointsConfig: {
            n: {
              IPAMConfig: { IPv4Address: "10.0.0.2", IPv6Address: "", LinkLocalIPs: [] },
              Links: [],
              Aliases: [],
              DriverOpts: {},
              GwPriority: 0,
              NetworkID: "",
              EndpointID: "",
              Gateway: "",
              IPAddress: "",
              IPPrefixLen: 0,
              IPv6Gateway: "",
              GlobalIPv6Address: "",
              GlobalIPv6PrefixLen: 0,
              MacAddress: "",
              DNSNames: [],
            },
          },
        },
      }),
      ALLOWED,
    ],
    [
      "an unknown NetworkingConfig field",
      create({ NetworkingConfig: { Sneaky: {} } }),
      UNKNOWN("NetworkingConfig.Sneaky"),
    ],
    [
      "an unknown IPAMConfig field",
      create({ NetworkingConfig: { EndpointsConfig: { n: { IPAMConfig: { Sneaky: 1 } } } } }),
      UNKNOWN('NetworkingConfig.EndpointsConfig["n"].IPAMConfig.Sneaky'),
    ],
    [
      "DriverOpts as an array",
      create({ NetworkingConfig: { EndpointsConfig: { n: { DriverOpts: [] } } } }),
      refused(
        400,
        'NetworkingConfig.EndpointsConfig["n"].DriverOpts: want an object, got an array',
        'NetworkingConfig.EndpointsConfig["n"].DriverOpts',
      ),
    ],
    [
      "Labels as an array",
      create({ Labels: [] }),
      refused(400, "Labels: want an object, got an array", "Labels"),
    ],
  ]);
});

Deno.test("The legacy start body, update and exec name what they refuse", async (t) => {
  await runVerdicts(t, [
    [
      "a start body's root fields",
      { operation: "ContainerStart", body: { Privileged: true } },
      refused(
        403,
        "Privileged (at the body's root, used when HostConfig is absent) needs ALLOW_PRIVILEGED=1",
        "Privileged",
        "ALLOW_PRIVILEGED=1",
      ),
    ],
    [
      "a start body that is an array",
      { operation: "ContainerStart", body: [] },
      refused(400, "The body: want an object, got an array", ""),
    ],
    [
      "an update of the cgroup parent",
      { operation: "ContainerUpdate", body: { CgroupParent: "x" } },
      refused(
        403,
        'CgroupParent "x" needs ALLOW_CGROUP_PARENT=1',
        "CgroupParent",
        "ALLOW_CGROUP_PARENT=1",
      ),
    ],
    [
      "an update of every resource, harmlessly",
      {
        operation: "ContainerUpdate",
        body: {
          CpuShares: 0,
          Memory: 0,
          NanoCpus: 0,
          CgroupParent: "",
          BlkioWeight: 0,
          BlkioWeightDevice: [],
          BlkioDeviceReadBps: [],
          BlkioDeviceWriteBps: [],
          BlkioDeviceReadIOps: [],
          BlkioDeviceWriteIOps: [],
          CpuPeriod: 0,
          CpuQuota: 0,
          CpuRealtimePeriod: 0,
          CpuRealtimeRuntime: 0,
          CpusetCpus: "",
          CpusetMems: "",
          Devices: [],
          DeviceCgroupRules: [],
          DeviceRequests: [],
          DiskQuota: 0,
          KernelMemory: 0,
          KernelMemoryTCP: 0,
          MemoryReservation: 0,
          MemorySwap: 0,
          MemorySwappiness: null,
          OomKillDisable: false,
          PidsLimit: null,
          Ulimits: [],
          CpuCount: 0,
          CpuPercent: 0,
          IOMaximumIOps: 0,
          IOMaximumBandwidth: 0,
          RestartPolicy: { Name: "always" },
        },
      },
      ALLOWED,
    ],
    [
      "a privileged exec",
      { operation: "ContainerExec", body: { Privileged: true, Cmd: ["sh"] } },
      refused(403, "Privileged needs ALLOW_PRIVILEGED=1", "Privileged", "ALLOW_PRIVILEGED=1"),
    ],
    [
      "a privileged libpod exec",
      { operation: "LibpodContainerExec", body: { Privileged: true } },
      refused(403, "Privileged needs ALLOW_PRIVILEGED=1", "Privileged", "ALLOW_PRIVILEGED=1"),
    ],
    [
      "every exec field, harmlessly",
      {
        operation: "ContainerExec",
        body: {
          User: "",
          Privileged: false,
          Tty: true,
          ConsoleSize: [1, 2],
          AttachStdin: true,
          AttachStderr: true,
          AttachStdout: true,
          Detach: false,
          DetachKeys: "",
          Env: [],
          WorkingDir: "/",
          Cmd: [],
        },
      },
      ALLOWED,
    ],
  ]);
});

/** A 403 naming the field and the setting, in `what needs <needs>` form. */
const needs = (field: string, what: string, setting: string) =>
  refused(403, `${what} needs ${setting}`, field, setting);

Deno.test("HostConfig namespace modes: each refused with the setting that allows it", async (t) => {
  const mode = (name: string, value: string, settings?: Record<string, string>) =>
    hcRequest({ [name]: value }, settings);
  const unknown = (name: string, value: string) =>
    refused(
      403,
      `HostConfig.${name} "${value}" is a mode this proxy does not know; it needs HOST_ACCESS=1`,
      `HostConfig.${name}`,
      "HOST_ACCESS=1",
    );
  const byPath = (name: string, value: string) =>
    needs(
      `HostConfig.${name}`,
      `HostConfig.${name} "${value}" (a namespace by path, such as the host's)`,
      "HOST_ACCESS=1",
    );
  const join = (name: string, value: string) =>
    needs(`HostConfig.${name}`, `HostConfig.${name} "${value}"`, "ALLOW_JOIN_CONTAINERS=1");
  const host = (name: string) =>
    needs(`HostConfig.${name}`, `HostConfig.${name} "host"`, "ALLOW_HOST_NAMESPACES=1");
  await runVerdicts(t, [
    [
      "the host network",
      mode("NetworkMode", "host"),
      needs("HostConfig.NetworkMode", 'HostConfig.NetworkMode "host"', "ALLOW_HOST_NETWORK=1"),
    ],
    [
      "the host network with ALLOW_HOST_NAMESPACES only",
      mode("NetworkMode", "host", { ALLOW_HOST_NAMESPACES: "1" }),
      needs("HostConfig.NetworkMode", 'HostConfig.NetworkMode "host"', "ALLOW_HOST_NETWORK=1"),
    ],
    [
      "slirp4netns options with ALLOW_HOST_NETWORK",
      mode("NetworkMode", "slirp4netns:x", {
        ALLOW_HOST_NETWORK: "1",
      }),
      ALLOWED,
    ],
    ["slirp4netns without options", mode("NetworkMode", "slirp4netns"), ALLOWED],
    [
      "another container's network",
      mode("NetworkMode", "container:db"),
      join("NetworkMode", "container:db"),
    ],
    [
      "a bare container network",
      mode("NetworkMode", "container"),
      join("NetworkMode", "container"),
    ],
    [
      "a network namespace by ns: path",
      mode("NetworkMode", "ns:/proc/1/ns/net"),
      byPath("NetworkMode", "ns:/proc/1/ns/net"),
    ],
    [
      "a network namespace by path",
      mode("NetworkMode", "/proc/1/ns/net"),
      byPath("NetworkMode", "/proc/1/ns/net"),
    ],
    ["pasta", mode("NetworkMode", "pasta:x"), byPath("NetworkMode", "pasta:x")],
    [
      "the host pid namespace with ALLOW_HOST_NETWORK only",
      mode("PidMode", "host", {
        ALLOW_HOST_NETWORK: "1",
      }),
      host("PidMode"),
    ],
    ["another container's pids", mode("PidMode", "container:db"), join("PidMode", "container:db")],
    ["a bare container pid mode", mode("PidMode", "container"), join("PidMode", "container")],
    ["a pid namespace by ns: path", mode("PidMode", "ns:/x"), byPath("PidMode", "ns:/x")],
    ["a pid namespace by path", mode("PidMode", "/x"), byPath("PidMode", "/x")],
    [
      "a private pid mode (no such Docker mode)",
      mode("PidMode", "private"),
      unknown("PidMode", "private"),
    ],
    ["private ipc", mode("IpcMode", "private"), ALLOWED],
    ["no ipc", mode("IpcMode", "none"), ALLOWED],
    ["shareable ipc", mode("IpcMode", "shareable"), ALLOWED],
    ["the host ipc", mode("IpcMode", "host"), host("IpcMode")],
    ["the host uts", mode("UTSMode", "host"), host("UTSMode")],
    [
      "a private uts mode (no such Docker mode)",
      mode("UTSMode", "private"),
      unknown("UTSMode", "private"),
    ],
    ["the host user namespace", mode("UsernsMode", "host"), host("UsernsMode")],
    ["a private user namespace", mode("UsernsMode", "private"), ALLOWED],
    ["an automatic user namespace", mode("UsernsMode", "auto"), ALLOWED],
    ["keep-id", mode("UsernsMode", "keep-id"), ALLOWED],
    ["nomap", mode("UsernsMode", "nomap"), ALLOWED],
    ["an unknown user namespace", mode("UsernsMode", "other"), unknown("UsernsMode", "other")],
    ["the host cgroup namespace", mode("CgroupnsMode", "host"), ALLOWED],
    ["a private cgroup namespace", mode("CgroupnsMode", "private"), ALLOWED],
    [
      "another container's cgroup namespace",
      mode("CgroupnsMode", "container:db"),
      join("CgroupnsMode", "container:db"),
    ],
    [
      "an unknown cgroup namespace",
      mode("CgroupnsMode", "other"),
      unknown("CgroupnsMode", "other"),
    ],
    ["the host cgroup", mode("Cgroup", "host"), host("Cgroup")],
    [
      "a private cgroup (no such Docker mode)",
      mode("Cgroup", "private"),
      unknown("Cgroup", "private"),
    ],
  ]);
});

Deno.test("HostConfig resources and the other checked fields name the field and value", async (t) => {
  await runVerdicts(t, [
    [
      "a cgroup parent",
      hcRequest({ CgroupParent: "/x" }),
      needs("HostConfig.CgroupParent", 'HostConfig.CgroupParent "/x"', "ALLOW_CGROUP_PARENT=1"),
    ],
    [
      "the OOM killer disabled",
      hcRequest({ OomKillDisable: true }),
      needs("HostConfig.OomKillDisable", "HostConfig.OomKillDisable", "ALLOW_OOM_SCORE_ADJ=1"),
    ],
    [
      "an OOM score of -1",
      hcRequest({ OomScoreAdj: -1 }),
      needs("HostConfig.OomScoreAdj", "HostConfig.OomScoreAdj -1", "ALLOW_OOM_SCORE_ADJ=1"),
    ],
    ["an OOM score of 0", hcRequest({ OomScoreAdj: 0 }), ALLOWED],
    [
      "a device",
      hcRequest({ Devices: [{ PathOnHost: "/dev/sda" }] }),
      refused(
        403,
        'HostConfig.Devices[0] "/dev/sda" needs ALLOW_DEVICES to cover /dev/sda',
        "HostConfig.Devices[0]",
        "ALLOW_DEVICES",
      ),
    ],
    [
      "a device outside ALLOW_DEVICES",
      hcRequest({ Devices: [{ PathOnHost: "/dev/sda" }] }, { ALLOW_DEVICES: "/dev/sdb" }),
      refused(
        403,
        'HostConfig.Devices[0] "/dev/sda" needs ALLOW_DEVICES to cover /dev/sda',
        "HostConfig.Devices[0]",
        "ALLOW_DEVICES",
      ),
    ],
    [
      "a device path with a dot-dot",
      hcRequest({ Devices: [{ PathOnHost: "/dev/../etc" }] }),
      refused(
        400,
        'HostConfig.Devices[0] "/dev/../etc" has a host path that is not absolute and canonical (no .., ., //, \\ or control characters): "/dev/../etc"',
        "HostConfig.Devices[0]",
      ),
    ],
    [
      "an unknown device field",
      hcRequest({ Devices: [{ PathOnHost: "/dev/null", Sneaky: 1 }] }),
      UNKNOWN("HostConfig.Devices[0].Sneaky"),
    ],
    [
      "every device field",
      hcRequest(
        {
          Devices: [{
            PathOnHost: "/dev/fuse",
            PathInContainer: "/dev/fuse",
            CgroupPermissions: "rwm",
          }],
        },
        { ALLOW_DEVICES: "/dev/fuse" },
      ),
      ALLOWED,
    ],
    [
      "a device cgroup rule",
      hcRequest({ DeviceCgroupRules: ["a"] }),
      needs("HostConfig.DeviceCgroupRules", "HostConfig.DeviceCgroupRules", "ALLOW_DEVICES=ALL"),
    ],
    [
      "a device request",
      hcRequest({ DeviceRequests: [{}] }),
      needs("HostConfig.DeviceRequests", "HostConfig.DeviceRequests (GPUs)", "ALLOW_DEVICES=ALL"),
    ],
    [
      "empty device rules and requests",
      hcRequest({ DeviceCgroupRules: [], DeviceRequests: [] }),
      ALLOWED,
    ],
    [
      "volumes from two containers",
      hcRequest({ VolumesFrom: ["a", "b:ro"] }),
      needs("HostConfig.VolumesFrom", 'HostConfig.VolumesFrom "a,b:ro"', "ALLOW_JOIN_CONTAINERS=1"),
    ],
    [
      "a volume driver plugin",
      hcRequest({ VolumeDriver: "rclone" }),
      refused(
        403,
        'HostConfig.VolumeDriver volume driver "rclone" (a plugin) needs ALLOW_VOLUME_DRIVERS to include rclone',
        "HostConfig.VolumeDriver",
        "ALLOW_VOLUME_DRIVERS",
      ),
    ],
    ["the local volume driver", hcRequest({ VolumeDriver: "local" }), ALLOWED],
    [
      "privileged",
      hcRequest({ Privileged: true }),
      needs("HostConfig.Privileged", "HostConfig.Privileged", "ALLOW_PRIVILEGED=1"),
    ],
    [
      "a runtime",
      hcRequest({ Runtime: "kata" }),
      refused(
        403,
        'HostConfig.Runtime "kata" needs ALLOW_RUNTIMES to include kata',
        "HostConfig.Runtime",
        "ALLOW_RUNTIMES",
      ),
    ],
    [
      "a masked path list that is empty",
      hcRequest({ MaskedPaths: [] }),
      needs(
        "HostConfig.MaskedPaths",
        "HostConfig.MaskedPaths leaves /proc/acpi unmasked, which",
        "ALLOW_UNCONFINED=1",
      ),
    ],
    [
      "a read-only path list that is empty",
      hcRequest({ ReadonlyPaths: [] }),
      needs(
        "HostConfig.ReadonlyPaths",
        "HostConfig.ReadonlyPaths leaves /proc/bus writable, which",
        "ALLOW_UNCONFINED=1",
      ),
    ],
    [
      "masked paths as a string",
      hcRequest({ MaskedPaths: "x" }),
      refused(400, "HostConfig.MaskedPaths: want an array, got a string", "HostConfig.MaskedPaths"),
    ],
    [
      "read-only paths as an object",
      hcRequest({ ReadonlyPaths: {} }),
      refused(
        400,
        "HostConfig.ReadonlyPaths: want an array, got an object",
        "HostConfig.ReadonlyPaths",
      ),
    ],
    [
      "storage options as an array",
      hcRequest({ StorageOpt: [] }),
      refused(400, "HostConfig.StorageOpt: want an object, got an array", "HostConfig.StorageOpt"),
    ],
    [
      "tmpfs as an array",
      hcRequest({ Tmpfs: [] }),
      refused(400, "HostConfig.Tmpfs: want an object, got an array", "HostConfig.Tmpfs"),
    ],
    [
      "an unknown log config field",
      hcRequest({ LogConfig: { Type: "syslog", Config: {}, Sneaky: 1 } }, {
        ALLOW_LOG_DRIVERS: "ALL",
      }),
      UNKNOWN("HostConfig.LogConfig.Sneaky"),
    ],
    ["a null log config", hcRequest({ LogConfig: null }), ALLOWED],
    [
      "a log driver",
      hcRequest({ LogConfig: { Type: "syslog" } }),
      refused(
        403,
        'HostConfig.LogConfig log driver "syslog" needs ALLOW_LOG_DRIVERS to include syslog',
        "HostConfig.LogConfig",
        "ALLOW_LOG_DRIVERS",
      ),
    ],
    [
      "a log path option",
      hcRequest({ LogConfig: { Type: "json-file", Config: { path: "/x" } } }),
      needs(
        "HostConfig.LogConfig",
        'HostConfig.LogConfig log option path="/x" (a host path)',
        "HOST_ACCESS=1",
      ),
    ],
    [
      "a runtime annotation",
      hcRequest({ Annotations: { "run.oci.hooks": "x" } }),
      needs(
        'HostConfig.Annotations["run.oci.hooks"]',
        'HostConfig.Annotations["run.oci.hooks"] (read by the OCI runtime or its hooks)',
        "HOST_ACCESS=1",
      ),
    ],
    [
      "every HostConfig field, each harmless",
      hcRequest({
        Binds: [],
        ContainerIDFile: "",
        LogConfig: { Type: "", Config: {} },
        NetworkMode: "",
        PortBindings: {},
        RestartPolicy: {},
        AutoRemove: false,
        VolumeDriver: "",
        VolumesFrom: [],
        ConsoleSize: [0, 0],
        Annotations: {},
        CapAdd: [],
        CapDrop: [],
        Capabilities: null,
        CgroupnsMode: "",
        Dns: [],
        DnsOptions: [],
        DnsSearch: [],
        ExtraHosts: [],
        GroupAdd: [],
        IpcMode: "",
        Cgroup: "",
        Links: [],
        OomScoreAdj: 0,
        PidMode: "",
        Privileged: false,
        PublishAllPorts: false,
        ReadonlyRootfs: false,
        SecurityOpt: [],
        StorageOpt: {},
        Tmpfs: {},
        UTSMode: "",
        UsernsMode: "",
        ShmSize: 0,
        Sysctls: {},
        Runtime: "",
        Isolation: "",
        CpuShares: 0,
        Memory: 0,
        NanoCpus: 0,
        CgroupParent: "",
        BlkioWeight: 0,
        BlkioWeightDevice: [],
        BlkioDeviceReadBps: [],
        BlkioDeviceWriteBps: [],
        BlkioDeviceReadIOps: [],
        BlkioDeviceWriteIOps: [],
        CpuPeriod: 0,
        CpuQuota: 0,
        CpuRealtimePeriod: 0,
        CpuRealtimeRuntime: 0,
        CpusetCpus: "",
        CpusetMems: "",
        Devices: [],
        DeviceCgroupRules: [],
        DeviceRequests: [],
        DiskQuota: 0,
        KernelMemory: 0,
        KernelMemoryTCP: 0,
        MemoryReservation: 0,
        MemorySwap: 0,
        MemorySwappiness: null,
        OomKillDisable: false,
        PidsLimit: null,
        Ulimits: [],
        CpuCount: 0,
        CpuPercent: 0,
        IOMaximumIOps: 0,
        IOMaximumBandwidth: 0,
        Mounts: [],
        MaskedPaths: null,
        ReadonlyPaths: null,
        Init: false,
      }),
      ALLOWED,
    ],
  ]);
});

Deno.test("Mounts and Binds name the mount, its source and what would allow it", async (t) => {
  const media = { ALLOW_BIND_MOUNTS: "/srv/media" };
  const ro = { ALLOW_BIND_MOUNTS: "/srv/media:ro" };
  const mount = (value: Record<string, unknown>, settings?: Record<string, string>) =>
    hcRequest({ Mounts: [value] }, settings);
  const bind = (extra: Record<string, unknown>) => ({
    Type: "bind",
    Source: "/srv/media",
    Target: "/m",
    ...extra,
  });
  const bindWhat = 'HostConfig.Mounts[0] (type "bind", source "/srv/media")';
  const readWrite = (field: string, what: string) =>
    refused(
      403,
      `${what} is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)`,
      field,
      "ALLOW_BIND_MOUNTS",
    );
  const binds = (raw: string, settings?: Record<string, string>) =>
    hcRequest({ Binds: [raw] }, settings);
  const bindsWhat = (raw: string) => `HostConfig.Binds[0] ${JSON.stringify(raw)}`;
  await runVerdicts(t, [
    [
      "a bind mount of /etc",
      mount({ Type: "bind", Source: "/etc", Target: "/e" }),
      refused(
        403,
        'HostConfig.Mounts[0] (type "bind", source "/etc") needs ALLOW_BIND_MOUNTS to cover /etc',
        "HostConfig.Mounts[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    [
      "a read-write bind under a read-only prefix",
      mount(bind({}), ro),
      readWrite("HostConfig.Mounts[0]", bindWhat),
    ],
    [
      "CreateMountpoint under a read-only prefix",
      mount(bind({ ReadOnly: true, BindOptions: { CreateMountpoint: true } }), ro),
      refused(
        403,
        `${bindWhat} creates the host path (CreateMountpoint), and ALLOW_BIND_MOUNTS allows /srv/media read-only`,
        "HostConfig.Mounts[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    [
      "read-only only at the top under a read-only prefix",
      mount(bind({ ReadOnly: true, BindOptions: { ReadOnlyNonRecursive: true } }), ro),
      readWrite("HostConfig.Mounts[0]", bindWhat),
    ],
    [
      "read-only only at the top under a read-write prefix",
      mount(bind({ ReadOnly: true, BindOptions: { ReadOnlyNonRecursive: true } }), media),
      ALLOWED,
    ],
    [
      "ReadOnlyNonRecursive on a read-write bind under a read-only prefix",
      mount(bind({ BindOptions: { ReadOnlyNonRecursive: true } }), ro),
      readWrite("HostConfig.Mounts[0]", bindWhat),
    ],
    [
      "rshared propagation",
      mount(bind({ BindOptions: { Propagation: "rshared" } }), media),
      needs(
        "HostConfig.Mounts[0]",
        `${bindWhat} (propagation rshared: mounts made in the container appear on the host)`,
        "ALLOW_PRIVILEGED=1",
      ),
    ],
    [
      "a relative bind source",
      mount({ Type: "bind", Source: "srv", Target: "/e" }, media),
      refused(
        400,
        'HostConfig.Mounts[0] (type "bind", source "srv") has a host path that is not absolute and canonical (no .., ., //, \\ or control characters): "srv"',
        "HostConfig.Mounts[0]",
      ),
    ],
    [
      "shared propagation on a volume",
      mount({ Type: "volume", Source: "v", Target: "/e", BindOptions: { Propagation: "shared" } }),
      needs(
        "HostConfig.Mounts[0]",
        'HostConfig.Mounts[0] (type "volume", source "v") (propagation shared: mounts made in the container appear on the host)',
        "ALLOW_PRIVILEGED=1",
      ),
    ],
    [
      "rslave propagation on a volume",
      mount({ Type: "volume", Source: "v", Target: "/e", BindOptions: { Propagation: "rslave" } }),
      ALLOWED,
    ],
    [
      "a named pipe",
      mount({ Type: "npipe", Source: "p", Target: "/e" }),
      needs(
        "HostConfig.Mounts[0]",
        'HostConfig.Mounts[0] (type "npipe", source "p"): a host named pipe',
        "HOST_ACCESS=1",
      ),
    ],
    ["a cluster volume", mount({ Type: "cluster", Source: "c", Target: "/e" }), ALLOWED],
    [
      "an unknown mount type",
      mount({ Type: "weird", Source: "c", Target: "/e" }),
      refused(
        403,
        'HostConfig.Mounts[0] (type "weird", source "c") has a mount type this proxy does not know; it needs HOST_ACCESS=1',
        "HostConfig.Mounts[0]",
        "HOST_ACCESS=1",
      ),
    ],
    [
      "volume options on a tmpfs mount are checked too",
      mount({ Type: "tmpfs", Target: "/e", VolumeOptions: { DriverConfig: { Name: "rclone" } } }),
      refused(
        403,
        'HostConfig.Mounts[0].VolumeOptions.DriverConfig volume driver "rclone" (a plugin) needs ALLOW_VOLUME_DRIVERS to include rclone',
        "HostConfig.Mounts[0].VolumeOptions.DriverConfig",
        "ALLOW_VOLUME_DRIVERS",
      ),
    ],
    [
      "volume labels as an array",
      mount({ Type: "volume", Target: "/e", VolumeOptions: { Labels: [] } }),
      refused(
        400,
        "HostConfig.Mounts[0].VolumeOptions.Labels: want an object, got an array",
        "HostConfig.Mounts[0].VolumeOptions.Labels",
      ),
    ],
    [
      "a null driver config",
      mount({ Type: "volume", Target: "/e", VolumeOptions: { DriverConfig: null } }),
      ALLOWED,
    ],
    ...["TmpfsOptions", "ImageOptions", "ClusterOptions", "BindOptions"].map((
      options,
    ): VerdictCase => [
      `an unknown ${options} field`,
      mount({ Type: "volume", Target: "/e", [options]: { Sneaky: 1 } }),
      UNKNOWN(`HostConfig.Mounts[0].${options}.Sneaky`),
    ]),
    [
      // ClusterOptions has no field: any name is refused, even the one Stryker's mutant adds.
      "any ClusterOptions field",
      mount({ Type: "cluster", Target: "/e", ClusterOptions: { "Stryker was here": 1 } }),
      UNKNOWN("HostConfig.Mounts[0].ClusterOptions.Stryker was here"),
    ],
    [
      "an unknown driver config field",
      mount({ Type: "volume", Target: "/e", VolumeOptions: { DriverConfig: { Sneaky: 1 } } }),
      UNKNOWN("HostConfig.Mounts[0].VolumeOptions.DriverConfig.Sneaky"),
    ],
    [
      "every Mount field",
      mount({
        Type: "volume",
        Source: "v",
        Target: "/v",
        ReadOnly: false,
        Consistency: "default",
        BindOptions: {
          Propagation: "",
          NonRecursive: false,
          CreateMountpoint: false,
          ReadOnlyNonRecursive: false,
          ReadOnlyForceRecursive: false,
        },
        VolumeOptions: {
          NoCopy: false,
          Labels: {},
          Subpath: "",
          DriverConfig: { Name: "local", Options: {} },
        },
        ImageOptions: { Subpath: "" },
        TmpfsOptions: { SizeBytes: 0, Mode: 0, Options: [] },
        ClusterOptions: {},
      }),
      ALLOWED,
    ],
    [
      "a bind chowning under a read-only prefix",
      binds("/srv/media:/m:ro,U", ro),
      refused(
        403,
        `${
          bindsWhat("/srv/media:/m:ro,U")
        } changes the host files' owner (:U), and ALLOW_BIND_MOUNTS allows /srv/media read-only`,
        "HostConfig.Binds[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    [
      "a bind chowning by name under a read-only prefix",
      binds("/srv/media:/m:ro,chown", ro),
      refused(
        403,
        `${
          bindsWhat("/srv/media:/m:ro,chown")
        } changes the host files' owner (:U), and ALLOW_BIND_MOUNTS allows /srv/media read-only`,
        "HostConfig.Binds[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    [
      "a read-only bind relabelled privately under a read-only prefix",
      binds("/srv/media:/m:ro,Z", ro),
      refused(
        403,
        `${
          bindsWhat("/srv/media:/m:ro,Z")
        } relabels the host files (:z/:Z), and ALLOW_BIND_MOUNTS allows /srv/media read-only`,
        "HostConfig.Binds[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    [
      "a read-write bind relabelled under a read-only prefix",
      binds("/srv/media:/m:Z", ro),
      readWrite("HostConfig.Binds[0]", bindsWhat("/srv/media:/m:Z")),
    ],
    [
      "an overlay upper directory outside the prefix",
      binds("/srv/media:/m:upperdir=/etc", media),
      refused(
        403,
        `${bindsWhat("/srv/media:/m:upperdir=/etc")} needs ALLOW_BIND_MOUNTS to cover /etc`,
        "HostConfig.Binds[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    [
      "an overlay work directory outside the prefix",
      binds("/srv/media:/m:workdir=/etc", media),
      refused(
        403,
        `${bindsWhat("/srv/media:/m:workdir=/etc")} needs ALLOW_BIND_MOUNTS to cover /etc`,
        "HostConfig.Binds[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    [
      "overlay directories under a read-only prefix are written to",
      binds("/srv/media:/m:ro,upperdir=/srv/media/u", ro),
      readWrite("HostConfig.Binds[0]", bindsWhat("/srv/media:/m:ro,upperdir=/srv/media/u")),
    ],
    [
      "overlay directories under the prefix",
      binds("/srv/media:/m:workdir=/srv/media/w,upperdir=/srv/media/u", media),
      ALLOWED,
    ],
    [
      "an upperdir option without a value (podman takes the name by prefix: refused)",
      binds("/srv/media:/m:upperdir", media),
      refused(
        400,
        'HostConfig.Binds[0] "/srv/media:/m:upperdir" has a host path that is not absolute and canonical (no .., ., //, \\ or control characters): ""',
        "HostConfig.Binds[0]",
      ),
    ],
    [
      "another option with a value (podman's idmap)",
      binds("/srv/media:/m:idmap=uids=0-1-10", media),
      ALLOWED,
    ],
    [
      "a bind with an empty source",
      binds(":/m", media),
      refused(
        400,
        'HostConfig.Binds[0]: ":/m" is not a valid bind (want src:dst[:options])',
        "HostConfig.Binds[0]",
      ),
    ],
    [
      "a bind of four parts",
      binds("a:b:c:d", media),
      refused(
        400,
        'HostConfig.Binds[0]: "a:b:c:d" is not a valid bind (want src:dst[:options])',
        "HostConfig.Binds[0]",
      ),
    ],
    ["a bind of three parts naming a volume", binds("v:/m:ro"), ALLOWED],
    ["an anonymous volume", binds("/m"), ALLOWED],
    [
      "rshared propagation in a bind",
      binds("/srv/media:/m:rshared", media),
      needs(
        "HostConfig.Binds[0]",
        `${
          bindsWhat("/srv/media:/m:rshared")
        } (propagation rshared: mounts made in the container appear on the host)`,
        "ALLOW_PRIVILEGED=1",
      ),
    ],
    [
      "a trailing slash under a read-only prefix",
      binds("/srv/media/:/m", ro),
      readWrite("HostConfig.Binds[0]", bindsWhat("/srv/media/:/m")),
    ],
    [
      "the root under a narrower prefix",
      binds("/:/m", ro),
      refused(
        403,
        `${bindsWhat("/:/m")} needs ALLOW_BIND_MOUNTS to cover /`,
        "HostConfig.Binds[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    ["the root under /", binds("/:/m", { ALLOW_BIND_MOUNTS: "/" }), ALLOWED],
    [
      "a path under two read-only prefixes",
      binds("/srv/media/x:/m", { ALLOW_BIND_MOUNTS: "/srv/media:ro,/srv/media/x:ro" }),
      readWrite("HostConfig.Binds[0]", bindsWhat("/srv/media/x:/m")),
    ],
    [
      "a double slash",
      binds("/x//y:/m", { ALLOW_BIND_MOUNTS: "/" }),
      refused(
        400,
        `${
          bindsWhat("/x//y:/m")
        } has a host path that is not absolute and canonical (no .., ., //, \\ or control characters): "/x//y"`,
        "HostConfig.Binds[0]",
      ),
    ],
    [
      "a long path, shortened in the quote but whole in the setting",
      binds(`/${"a".repeat(100)}:/m`),
      refused(
        403,
        `HostConfig.Binds[0] "/${"a".repeat(74)}..." needs ALLOW_BIND_MOUNTS to cover /${
          "a".repeat(100)
        }`,
        "HostConfig.Binds[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
  ]);
});

Deno.test("Local volume options: binds, devices, network filesystems and the rest", async (t) => {
  const ro = { ALLOW_BIND_MOUNTS: "/srv/media:ro" };
  const volume = (
    options: Record<string, string>,
    driver = "local",
    settings?: Record<string, string>,
  ) =>
    hcRequest({
      Mounts: [{
        Type: "volume",
        Source: "v",
        Target: "/v",
        VolumeOptions: { DriverConfig: { Name: driver, Options: options } },
      }],
    }, settings);
  const at = "HostConfig.Mounts[0].VolumeOptions.DriverConfig";
  const local = (type: string, device: string, o: string) =>
    `${at} (local volume type=${JSON.stringify(type)} device=${JSON.stringify(device)} o=${
      JSON.stringify(o)
    })`;
  const readWrite = (what: string) =>
    refused(
      403,
      `${what} is read-write, and ALLOW_BIND_MOUNTS allows /srv/media read-only (mount it read-only, or allow /srv/media without :ro)`,
      at,
      "ALLOW_BIND_MOUNTS",
    );
  await runVerdicts(t, [
    [
      "an option the local driver does not have",
      volume({ sneaky: "1" }),
      refused(
        403,
        `${at}["sneaky"] is not a local volume option this proxy knows; it needs HOST_ACCESS=1`,
        `${at}["sneaky"]`,
        "HOST_ACCESS=1",
      ),
    ],
    [
      "a Docker option in upper case (Docker matches exactly)",
      volume({ Type: "tmpfs" }),
      refused(
        403,
        `${at}["Type"] is not a local volume option this proxy knows; it needs HOST_ACCESS=1`,
        `${at}["Type"]`,
        "HOST_ACCESS=1",
      ),
    ],
    [
      "an NFS volume",
      volume({ type: "nfs", device: ":/x" }),
      needs(
        at,
        `${local("nfs", ":/x", "")}: the host mounts a network filesystem, which`,
        "ALLOW_REMOTE=1",
      ),
    ],
    [
      "a network filesystem type in capitals with spaces",
      volume({ type: "  CIFS ", device: "x" }),
      needs(
        at,
        `${local("cifs", "x", "")}: the host mounts a network filesystem, which`,
        "ALLOW_REMOTE=1",
      ),
    ],
    [
      "a block device",
      volume({ type: "ext4", device: "/dev/sda" }),
      refused(
        403,
        `${local("ext4", "/dev/sda", "")} needs ALLOW_DEVICES to cover /dev/sda`,
        at,
        "ALLOW_DEVICES",
      ),
    ],
    [
      "an overlay with a device path",
      volume({ type: "overlay", device: "/dev/sda" }),
      needs(at, `${local("overlay", "/dev/sda", "")}: the host mounts it`, "HOST_ACCESS=1"),
    ],
    [
      "a filesystem on a device that is not under /dev",
      volume({ type: "btrfs", device: "x" }),
      needs(at, `${local("btrfs", "x", "")}: the host mounts it`, "HOST_ACCESS=1"),
    ],
    [
      "a device without a type",
      volume({ device: "x" }),
      needs(at, `${local("", "x", "")}: the host mounts it`, "HOST_ACCESS=1"),
    ],
    [
      "a type without a device",
      volume({ type: "ext4" }),
      needs(at, `${local("ext4", "", "")}: the host mounts it`, "HOST_ACCESS=1"),
    ],
    ["a tmpfs whatever its device", volume({ type: "tmpfs", device: "/etc" }), ALLOWED],
    ["a ramfs whatever its device", volume({ type: "ramfs", device: "/etc" }), ALLOWED],
    [
      "a read-write bind under a read-only prefix",
      volume({ o: "bind", device: "/srv/media" }, "local", ro),
      readWrite(local("", "/srv/media", "bind")),
    ],
    [
      "a bind read-only in capitals",
      volume({ o: "BIND,RO", device: "/srv/media" }, "local", ro),
      ALLOWED,
    ],
    [
      "a bind read-only, then read-write",
      volume({ o: "bind,ro,rw", device: "/srv/media" }, "local", ro),
      readWrite(local("", "/srv/media", "bind,ro,rw")),
    ],
    [
      "a bind under the unnamed driver",
      volume({ o: "bind", device: "/srv/media" }, "", ro),
      readWrite(local("", "/srv/media", "bind")),
    ],
    [
      "other mount options of a device path",
      volume({ o: "addr=1", device: "/srv/media" }, "local", ro),
      needs(at, `${local("", "/srv/media", "addr=1")}: the host mounts it`, "HOST_ACCESS=1"),
    ],
    [
      "a plugin's options are its own",
      volume({ sneaky: "1" }, "rclone", { ALLOW_VOLUME_DRIVERS: "ALL" }),
      ALLOWED,
    ],
    [
      "a plugin listed second",
      volume({ type: "ext4" }, "rclone", { ALLOW_VOLUME_DRIVERS: "x,rclone" }),
      ALLOWED,
    ],
  ]);
});

Deno.test("Capabilities, sysctls and security options name the entry and the setting", async (t) => {
  const sysctl = (name: string, normal = name) =>
    refused(
      403,
      `HostConfig.Sysctls[${
        JSON.stringify(name)
      }] (not namespaced, or in a namespace shared with the host) needs ALLOW_SYSCTLS to include ${normal}`,
      `HostConfig.Sysctls[${JSON.stringify(name)}]`,
      "ALLOW_SYSCTLS",
    );
  const opt = (...options: string[]) => hcRequest({ SecurityOpt: options });
  const unconfined = (option: string, i = 0) =>
    needs(
      `HostConfig.SecurityOpt[${i}]`,
      `HostConfig.SecurityOpt[${i}] ${JSON.stringify(option)}`,
      "ALLOW_UNCONFINED=1",
    );
  const unknownOpt = (option: string) =>
    refused(
      403,
      `HostConfig.SecurityOpt[0] ${
        JSON.stringify(option)
      } is a security option this proxy does not know; it needs ALLOW_UNCONFINED=1`,
      "HostConfig.SecurityOpt[0]",
      "ALLOW_UNCONFINED=1",
    );
  const hostNs = { ALLOW_HOST_NAMESPACES: "1" };
  await runVerdicts(t, [
    [
      "a capability after a default one",
      hcRequest({ CapAdd: ["CHOWN", "SYS_ADMIN"] }, { ALLOW_CAPABILITIES: "NET_ADMIN" }),
      refused(
        403,
        'HostConfig.CapAdd[1] "SYS_ADMIN" needs ALLOW_CAPABILITIES to include SYS_ADMIN',
        "HostConfig.CapAdd[1]",
        "ALLOW_CAPABILITIES",
      ),
    ],
    [
      "ALL when only some are allowed",
      hcRequest({ CapAdd: ["ALL"] }, { ALLOW_CAPABILITIES: "NET_ADMIN" }),
      needs("HostConfig.CapAdd[0]", 'HostConfig.CapAdd[0] "ALL"', "ALLOW_CAPABILITIES=ALL"),
    ],
    [
      "a capability by its CAP_ name in Capabilities",
      hcRequest({ Capabilities: ["CAP_SYS_ADMIN"] }),
      refused(
        403,
        'HostConfig.Capabilities[0] "CAP_SYS_ADMIN" needs ALLOW_CAPABILITIES to include SYS_ADMIN',
        "HostConfig.Capabilities[0]",
        "ALLOW_CAPABILITIES",
      ),
    ],
    [
      "any capability under ALL",
      hcRequest({ CapAdd: ["cap_sys_admin"] }, { ALLOW_CAPABILITIES: "ALL" }),
      ALLOWED,
    ],
    [
      "every default capability",
      hcRequest({
        CapAdd: [
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
        ],
      }),
      ALLOWED,
    ],
    [
      "every namespaced sysctl in private namespaces",
      hcRequest({
        Sysctls: {
          "kernel.msgmax": "1",
          "kernel.msgmnb": "1",
          "kernel.msgmni": "1",
          "kernel.sem": "1",
          "kernel.shmall": "1",
          "kernel.shmmax": "1",
          "kernel.shmmni": "1",
          "kernel.shm_rmid_forced": "1",
          "fs.mqueue.x": "1",
          "kernel.domainname": "x",
          "kernel.hostname": "y",
          "net.x": "1",
        },
      }),
      ALLOWED,
    ],
    [
      "an ipc sysctl by slashes in the host's ipc namespace",
      hcRequest({ Sysctls: { "kernel/msgmax": "1" }, IpcMode: "host" }, hostNs),
      sysctl("kernel/msgmax", "kernel.msgmax"),
    ],
    [
      "the domain name in the host's uts namespace",
      hcRequest({ Sysctls: { "kernel.domainname": "x" }, UTSMode: "host" }, hostNs),
      sysctl("kernel.domainname"),
    ],
    [
      "the host name in the host's uts namespace",
      hcRequest({ Sysctls: { "kernel.hostname": "x" }, UTSMode: "host" }, hostNs),
      sysctl("kernel.hostname"),
    ],
    [
      "the host name with the host's ipc namespace only",
      hcRequest({ Sysctls: { "kernel.hostname": "x" }, IpcMode: "host" }, hostNs),
      ALLOWED,
    ],
    [
      "a net sysctl in the host's network",
      hcRequest({ NetworkMode: "host", Sysctls: { "net.a": "x" } }, { ALLOW_HOST_NETWORK: "1" }),
      sysctl("net.a"),
    ],
    [
      "a net sysctl with the host's ipc namespace only",
      hcRequest({ IpcMode: "host", Sysctls: { "net.a": "x" } }, hostNs),
      ALLOWED,
    ],
    [
      "an ipc sysctl in another container's ipc namespace",
      hcRequest({ IpcMode: "container:db", Sysctls: { "kernel.sem": "x" } }, {
        ALLOW_JOIN_CONTAINERS: "1",
      }),
      sysctl("kernel.sem"),
    ],
    [
      "an ipc sysctl in the host's network namespace only",
      hcRequest({ NetworkMode: "host", Sysctls: { "kernel.sem": "x" } }, {
        ALLOW_HOST_NETWORK: "1",
      }),
      ALLOWED,
    ],
    [
      "every sysctl under ALLOW_SYSCTLS=ALL",
      hcRequest({ Sysctls: { "kernel.domainname": "x", "vm.x": "1" }, UTSMode: "host" }, {
        ...hostNs,
        ALLOW_SYSCTLS: "ALL",
      }),
      ALLOWED,
    ],
    [
      "a sysctl listed second, sent with slashes",
      hcRequest({ Sysctls: { "vm/x": "1" } }, { ALLOW_SYSCTLS: "vm.y,vm.x" }),
      ALLOWED,
    ],
    [
      "a sysctl below a listed name",
      hcRequest({ Sysctls: { "vm.x.y": "1" } }, { ALLOW_SYSCTLS: "vm.x" }),
      sysctl("vm.x.y"),
    ],
    [
      "a sysctl that only starts like a prefix",
      hcRequest({ Sysctls: { vmx: "1" } }, { ALLOW_SYSCTLS: "vm.*" }),
      sysctl("vmx"),
    ],
    ["a kernel sysctl", hcRequest({ Sysctls: { "kernel.x": "1" } }), sysctl("kernel.x")],
    ["fs.mqueue itself", hcRequest({ Sysctls: { "fs.mqueue": "1" } }), sysctl("fs.mqueue")],
    ["net itself", hcRequest({ Sysctls: { net: "1" } }), sysctl("net")],
    ["no-new-privileges with a colon", opt("no-new-privileges:true"), ALLOWED],
    ["seccomp with an empty value", opt("seccomp="), ALLOWED],
    ["the default seccomp profile", opt("seccomp=default"), ALLOWED],
    ["the builtin seccomp profile after a colon", opt("seccomp:builtin"), ALLOWED],
    ["a seccomp profile file", opt("seccomp=/x.json"), unconfined("seccomp=/x.json")],
    ["a bare seccomp", opt("seccomp"), unknownOpt("seccomp")],
    ["apparmor with an empty value", opt("apparmor="), ALLOWED],
    ["apparmor unconfined", opt("apparmor=unconfined"), unconfined("apparmor=unconfined")],
    ["docker-default after a colon", opt("apparmor:docker-default"), ALLOWED],
    ...["0", "f", "F", "false", "FALSE", "False"].map((value): VerdictCase => [
      `writable-cgroups=${value}`,
      opt(`writable-cgroups=${value}`),
      ALLOWED,
    ]),
    ...["true", "xfalse", "falsex", "fAlse"].map((value): VerdictCase => [
      `writable-cgroups=${value}`,
      opt(`writable-cgroups=${value}`),
      unconfined(`writable-cgroups=${value}`),
    ]),
    ["a bare writable-cgroups", opt("writable-cgroups"), unconfined("writable-cgroups")],
    ["a mask", opt("mask=/proc/x"), ALLOWED],
    ["a bare mask", opt("mask"), unknownOpt("mask")],
    ["a bare word starting with mask", opt("maskx"), unknownOpt("maskx")],
    ["a bare word starting with seccomp", opt("seccompx"), unknownOpt("seccompx")],
    [
      "a false value for a key other than writable-cgroups",
      opt("label=false"),
      unconfined("label=false"),
    ],
    ["a zero for an unknown key", opt("other=0"), unknownOpt("other=0")],
    ["label=disable", opt("label=disable"), unconfined("label=disable")],
    ["a label type", opt("label:type:x"), unconfined("label:type:x")],
    ["systempaths=unconfined", opt("systempaths=unconfined"), unconfined("systempaths=unconfined")],
    ["unmask", opt("unmask=ALL"), unconfined("unmask=ALL")],
    ["a bare disable", opt("disable"), unconfined("disable")],
    ["an unknown key", opt("other=1"), unknownOpt("other=1")],
    ["an unknown word", opt("other"), unknownOpt("other")],
    ["a colon before an equals sign", opt("a:b=c"), unknownOpt("a:b=c")],
    ["an equals sign before a colon", opt("a=b:c"), unknownOpt("a=b:c")],
    [
      "a known key after a harmless option",
      opt("no-new-privileges", "label=disable"),
      unconfined("label=disable", 1),
    ],
    [
      "anything with ALLOW_UNCONFINED",
      hcRequest({ SecurityOpt: ["seccomp=unconfined", "whatever"] }, { ALLOW_UNCONFINED: "1" }),
      ALLOWED,
    ],
  ]);
});

Deno.test("Masked and read-only paths, runtimes, log drivers and annotations", async (t) => {
  const base = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/firmware",
  ];
  const masked = (missing: string) =>
    needs(
      "HostConfig.MaskedPaths",
      `HostConfig.MaskedPaths leaves ${missing} unmasked, which`,
      "ALLOW_UNCONFINED=1",
    );
  const syslog = (address: string) =>
    hcRequest({ LogConfig: { Type: "syslog", Config: { "syslog-address": address } } }, {
      ALLOW_LOG_DRIVERS: "syslog",
    });
  const annotation = (key: string) =>
    needs(
      `HostConfig.Annotations[${JSON.stringify(key)}]`,
      `HostConfig.Annotations[${JSON.stringify(key)}] (read by the OCI runtime or its hooks)`,
      "HOST_ACCESS=1",
    );
  await runVerdicts(t, [
    [
      "/proc alone leaves /sys/firmware",
      hcRequest({ MaskedPaths: ["/proc"] }),
      masked("/sys/firmware"),
    ],
    [
      "read-only /proc/sys alone leaves /proc/bus",
      hcRequest({ MaskedPaths: ["/proc", "/sys"], ReadonlyPaths: ["/proc/sys"] }),
      needs(
        "HostConfig.ReadonlyPaths",
        "HostConfig.ReadonlyPaths leaves /proc/bus writable, which",
        "ALLOW_UNCONFINED=1",
      ),
    ],
    [
      "an older engine's list with a path twice",
      hcRequest({ MaskedPaths: [...base, "/sys/firmware"] }),
      ALLOWED,
    ],
    [
      "ten paths covering the older list, not equal to it",
      hcRequest({ MaskedPaths: [...base.slice(0, 9), "/sys"] }),
      masked("/proc/interrupts"),
    ],
    [
      "the older list plus /proc/interrupts",
      hcRequest({ MaskedPaths: [...base, "/proc/interrupts"] }),
      masked("/sys/devices/virtual/powercap"),
    ],
    ["everything masked by /", hcRequest({ MaskedPaths: ["/"] }), ALLOWED],
    [
      "an empty list with ALLOW_UNCONFINED",
      hcRequest({ MaskedPaths: [], ReadonlyPaths: [] }, { ALLOW_UNCONFINED: "1" }),
      ALLOWED,
    ],
    ["runc", hcRequest({ Runtime: "runc" }), ALLOWED],
    ["crun", hcRequest({ Runtime: "crun" }), ALLOWED],
    ["any runtime under ALL", hcRequest({ Runtime: "kata" }, { ALLOW_RUNTIMES: "ALL" }), ALLOWED],
    [
      "a runtime listed second",
      hcRequest({ Runtime: "kata" }, { ALLOW_RUNTIMES: "x,kata" }),
      ALLOWED,
    ],
    ...["json-file", "journald", "k8s-file", "none", ""].map((driver): VerdictCase => [
      `the ${JSON.stringify(driver)} log driver`,
      hcRequest({ LogConfig: { Type: driver } }),
      ALLOWED,
    ]),
    [
      "a log driver listed second",
      hcRequest({ LogConfig: { Type: "gelf" } }, { ALLOW_LOG_DRIVERS: "syslog,gelf" }),
      ALLOWED,
    ],
    [
      "a unix address in capitals after spaces",
      syslog(" UNIX:///x"),
      needs(
        "HostConfig.LogConfig",
        'HostConfig.LogConfig log option syslog-address=" UNIX:///x" (a host path)',
        "HOST_ACCESS=1",
      ),
    ],
    ["a tcp address naming a host unix", syslog("tcp://unix:1"), ALLOWED],
    ["a scheme that only starts with unix", syslog("unixx:/x"), ALLOWED],
    [
      "an option named like path",
      hcRequest({ LogConfig: { Type: "syslog", Config: { xpath: "/x" } } }, {
        ALLOW_LOG_DRIVERS: "ALL",
      }),
      ALLOWED,
    ],
    [
      "podman's own run.oci annotations, in any case",
      hcRequest({
        Annotations: { "RUN.OCI.KEEP_ORIGINAL_GROUPS": "1", "run.oci.mount_context_type": "x" },
      }),
      ALLOWED,
    ],
    [
      "a run.oci annotation in mixed case",
      hcRequest({ Annotations: { "Run.Oci.Hooks": "1" } }),
      annotation("Run.Oci.Hooks"),
    ],
    [
      "a gVisor annotation",
      hcRequest({ Annotations: { "dev.gvisor.x": "1" } }),
      annotation("dev.gvisor.x"),
    ],
    [
      "the syscall tracing hook",
      hcRequest({ Annotations: { "io.containers.trace-syscall": "1" } }),
      annotation("io.containers.trace-syscall"),
    ],
    [
      "a wasm image variant",
      hcRequest({ Annotations: { "module.wasm.image/variant": "1" } }),
      annotation("module.wasm.image/variant"),
    ],
    ["a prefix in the middle of a key", hcRequest({ Annotations: { "x.run.oci.": "1" } }), ALLOWED],
  ]);
});

Deno.test("Refusals carry their status, field and setting, and quote values up to 80 characters", async (t) => {
  await t.step("malformed() throws a Refusal with status 400", () => {
    assert.throws(() => malformed("Bad", "Field"), {
      name: "Refusal",
      message: "Bad",
      status: 400,
      reason: "Bad",
      field: "Field",
      needs: undefined,
    });
  });
  await t.step("forbid() throws a Refusal with status 403 and the setting", () => {
    assert.throws(() => forbid("F", "F 1", "ALLOW_X=1"), {
      name: "Refusal",
      message: "F 1 needs ALLOW_X=1",
      status: 403,
      field: "F",
      needs: "ALLOW_X=1",
    });
    assert.throws(() => forbid("F", "F 1", "ALLOW_X", "is too much"), {
      message: "F 1 is too much",
      needs: "ALLOW_X",
    });
  });
  await t.step("a value quoted in 80 characters is quoted whole", () => {
    assert.equal(quote("a".repeat(78)), `"${"a".repeat(78)}"`);
    assert.equal(quote("a".repeat(79)), `"${"a".repeat(75)}..."`);
    assert.equal(quote("abcdef", 8), '"abcdef"');
    assert.equal(quote("abcdefg", 8), '"abc..."');
  });
  await t.step("a bind of 78 characters is quoted whole in the verdict", () => {
    const raw = `/${"a".repeat(74)}:/m`;
    assert.deepEqual(
      decide(hcRequest({ Binds: [raw] })),
      refused(
        403,
        `HostConfig.Binds[0] "${raw}" needs ALLOW_BIND_MOUNTS to cover /${"a".repeat(74)}`,
        "HostConfig.Binds[0]",
        "ALLOW_BIND_MOUNTS",
      ),
    );
  });
});

Deno.test("admit() checks the query of each operation whose query reaches the host", async (t) => {
  const build = (key: string) =>
    refused(
      403,
      `Build parameter "${key}" is not one this proxy knows (it may reach the host); it needs HOST_ACCESS=1`,
      key,
      "HOST_ACCESS=1",
    );
  const kube = refused(
    403,
    'Kube play parameter "sneaky" is not one this proxy knows; it needs HOST_ACCESS=1',
    "sneaky",
    "HOST_ACCESS=1",
  );
  await runVerdicts(t, [
    ["ImageBuild", { operation: "ImageBuild", query: [["sneaky", "1"]] }, build("sneaky")],
    [
      "LibpodImageBuild",
      { operation: "LibpodImageBuild", query: [["sneaky", "1"]] },
      build("sneaky"),
    ],
    [
      "ImageCreate",
      { operation: "ImageCreate", query: [["fromSrc", "/etc/x"]] },
      needs(
        "fromSrc",
        'fromSrc="/etc/x" (a path or URL the engine opens on the host)',
        "HOST_ACCESS=1",
      ),
    ],
    [
      "LibpodImageImport",
      { operation: "LibpodImageImport", query: [["url", "/etc/x"]] },
      needs("url", 'url="/etc/x" (a path or URL the engine opens on the host)', "HOST_ACCESS=1"),
    ],
    [
      "LibpodSecretCreate",
      { operation: "LibpodSecretCreate", query: [["driver", "shell"]] },
      needs("driver", 'Secret driver "shell" (runs host programs)', "HOST_ACCESS=1"),
    ],
    [
      "LibpodContainerRestore",
      { operation: "LibpodContainerRestore", query: [["import", "1"]] },
      needs(
        "import",
        "Restoring an imported checkpoint (its configuration cannot be inspected)",
        "HOST_ACCESS=1",
      ),
    ],
    [
      "ContainerStart",
      { operation: "ContainerStart", query: [["checkpoint-dir", "/x"]] },
      needs("checkpoint-dir", 'Start checkpoint-dir="/x" (a host directory)', "HOST_ACCESS=1"),
    ],
    [
      "LibpodPlayKube",
      {
        operation: "LibpodPlayKube",
        query: [["sneaky", "1"]],
        body: "",
        contentType: "application/yaml",
      },
      kube,
    ],
    [
      "LibpodKubePlay",
      {
        operation: "LibpodKubePlay",
        query: [["sneaky", "1"]],
        body: "",
        contentType: "application/yaml",
      },
      kube,
    ],
  ]);
});

Deno.test("Podman's volume options are matched without case, and its image driver is built in", async (t) => {
  const podman = (body: Record<string, unknown>) => ({ operation: "LibpodVolumeCreate", body });
  const unknownOption = (key: string, field = "Options") =>
    refused(
      403,
      `${field}[${
        JSON.stringify(key)
      }] is not a local volume option this proxy knows; it needs HOST_ACCESS=1`,
      `${field}[${JSON.stringify(key)}]`,
      "HOST_ACCESS=1",
    );
  await runVerdicts(t, [
    ["the image driver", podman({ Driver: "image", Options: { image: "x" } }), ALLOWED],
    [
      "every option podman's local driver has, in any case",
      podman({
        Options: {
          TYPE: "tmpfs",
          Size: "1",
          inodes: "1",
          uid: "1",
          gid: "1",
          noquota: "1",
          timeout: "1",
          copy: "1",
          nocopy: "1",
          image: "x",
          O: "",
          Device: "tmpfs",
        },
      }),
      ALLOWED,
    ],
    [
      "an option sent twice in two cases",
      podman({ Options: { type: "tmpfs", TYPE: "tmpfs" } }),
      unknownOption("TYPE"),
    ],
    [
      "an option podman does not have",
      podman({ Options: { sneaky: "1" } }),
      unknownOption("sneaky"),
    ],
    [
      "a bind of /etc",
      podman({ Options: { o: "bind", device: "/etc" } }),
      refused(
        403,
        'Options (local volume type="" device="/etc" o="bind") needs ALLOW_BIND_MOUNTS to cover /etc',
        "Options",
        "ALLOW_BIND_MOUNTS",
      ),
    ],
    [
      "a plugin",
      podman({ Driver: "rclone" }),
      refused(
        403,
        'Driver volume driver "rclone" (a plugin) needs ALLOW_VOLUME_DRIVERS to include rclone',
        "Driver",
        "ALLOW_VOLUME_DRIVERS",
      ),
    ],
    [
      "Docker's image driver is a plugin",
      { operation: "VolumeCreate", body: { Driver: "image" } },
      refused(
        403,
        'Driver volume driver "image" (a plugin) needs ALLOW_VOLUME_DRIVERS to include image',
        "Driver",
        "ALLOW_VOLUME_DRIVERS",
      ),
    ],
    [
      "every option Docker's local driver has",
      {
        operation: "VolumeCreate",
        body: { DriverOpts: { type: "tmpfs", device: "tmpfs", o: "size=1", size: "1" } },
      },
      ALLOWED,
    ],
    ["a podman option sent to Docker", {
      operation: "VolumeCreate",
      body: { DriverOpts: { inodes: "1" } },
    }, unknownOption("inodes", "DriverOpts")],
  ]);
});

Deno.test("Docker's bodies have no image volume driver, and kube play without a body asks nothing", async (t) => {
  const plugin = (field: string) =>
    refused(
      403,
      `${field} volume driver "image" (a plugin) needs ALLOW_VOLUME_DRIVERS to include image`,
      field,
      "ALLOW_VOLUME_DRIVERS",
    );
  await runVerdicts(t, [
    [
      "HostConfig.VolumeDriver image",
      hcRequest({ VolumeDriver: "image" }),
      plugin("HostConfig.VolumeDriver"),
    ],
    [
      "a mount's image driver",
      hcRequest({
        Mounts: [{
          Type: "volume",
          Target: "/v",
          VolumeOptions: { DriverConfig: { Name: "image" } },
        }],
      }),
      plugin("HostConfig.Mounts[0].VolumeOptions.DriverConfig"),
    ],
    ["a kube play with no body", { operation: "LibpodKubePlay" }, ALLOWED],
    ["a kube play with a blank body", {
      operation: "LibpodPlayKube",
      body: " \n",
      contentType: "application/yaml",
    }, ALLOWED],
  ]);
});
