// The API_VERSION_FLOOR table and stage, case by case: what each versioned
// change does to a request, and the edges of the target, body and answer
// translations (written for the `version_floor` mutation group).
import assert from "node:assert/strict";
import {
  type ApiVersion,
  compareVersions,
  floorPlan,
  NEWEST_KNOWN,
  parseApiVersion,
  VERSION_CHANGES,
} from "../../../lib/routes/api_versions.ts";
import {
  floorAnswer,
  floorBody,
  readsBody,
  rewriteTarget,
} from "../../../lib/proxy/version_floor_stage.ts";

const FLOOR: ApiVersion = [1, 44];

function plan(operation: string, version: string, floor: ApiVersion = FLOOR) {
  const result = floorPlan(operation, version, floor);
  if (result.kind !== "rewrite") throw new Error(`${operation}: ${result.kind}`);
  return result;
}

const versionOf = (target: string) => target.split("/")[1];

function rewrite(operation: string, forward: string, floor: ApiVersion = FLOOR) {
  return rewriteTarget(forward, plan(operation, versionOf(forward), floor));
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
// deno-lint-ignore no-explicit-any
const decode = (body: Uint8Array): any => JSON.parse(new TextDecoder().decode(body));
const q = (json: string) => `filters=${encodeURIComponent(json)}`;

function body(operation: string, version: string, value: unknown, floor: ApiVersion = FLOOR) {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : encode(value);
  return floorBody(bytes, plan(operation, version, floor), operation);
}

Deno.test("API versions parse around spaces and with two-digit majors, and compare by major first", () => {
  assert.deepEqual(parseApiVersion(" 1.44 "), [1, 44]);
  assert.deepEqual(parseApiVersion("v10.2"), [10, 2]);
  assert.ok(compareVersions([2, 0], [1, 50]) > 0);
  assert.ok(compareVersions([1, 50], [2, 0]) < 0);
});

Deno.test("the newest floor the table knows is at or above every change it lists", () => {
  for (const change of VERSION_CHANGES) {
    assert.ok(compareVersions(NEWEST_KNOWN, change.since) >= 0, change.fact);
  }
});

Deno.test("a version below the table's oldest is refused with the version that works", () => {
  const result = floorPlan("ContainerList", "v1.20", FLOOR);
  assert.deepEqual(result, {
    kind: "refuse",
    reason: "API 1.20 is older than 1.24, the oldest whose changes to 1.44 the proxy knows " +
      "(API_VERSION_FLOOR=1.44): use API 1.24 or later",
  });
});

/** Words of a fact that are not about when: what changed. */
const WHEN = /^(API|from|before|since|in|1\.\d+[,;]?)$/;

Deno.test("every change's fact says what changed and when, as one clause", async (t) => {
  for (const change of VERSION_CHANGES) {
    await t.step(change.fact, () => {
      assert.match(change.fact, new RegExp(`1\\.${change.since[1]}\\b`), "names its version");
      assert.match(change.fact, /^\S.*[\w)`]$/, "no dangling words or separators");
      const what = change.fact.split(" ").filter((word) => !WHEN.test(word));
      assert.ok(what.length >= 2, "names what changed, not only when");
      if (change.effect.kind === "answer") {
        const field = {
          "virtual-size": "VirtualSize",
          "none-placeholders": "RepoTags",
          "zero-created": "Created",
          "unknown-kernel": "KernelVersion",
          "security-option-names": "SecurityOptions",
        }[change.effect.translation];
        assert.ok(change.fact.includes(field), `names ${field}`);
      }
    });
  }
});

Deno.test("query parameters the old version ignored are dropped, each from its own version on", async (t) => {
  const cases: [string, string, string][] = [
    ["ContainerWait", "/v1.29/containers/a/wait?condition=removed", "/v1.44/containers/a/wait"],
    [
      "ContainerWait",
      "/v1.30/containers/a/wait?condition=removed",
      "/v1.44/containers/a/wait?condition=removed",
    ],
    [
      "ImageCreate",
      "/v1.31/images/create?fromImage=a&platform=linux",
      "/v1.44/images/create?fromImage=a",
    ],
    ["ImageBuild", "/v1.31/build?platform=linux&t=a", "/v1.44/build?t=a"],
    ["ImageBuild", "/v1.39/build?platform=linux&outputs=type%3Dtar", "/v1.44/build?platform=linux"],
    [
      "ContainerCreate",
      "/v1.40/containers/create?name=a&platform=linux",
      "/v1.44/containers/create?name=a",
    ],
    ["ServiceList", "/v1.40/services?status=true", "/v1.44/services"],
    ["ImageList", "/v1.41/images/json?all=1&shared-size=1", "/v1.44/images/json?all=1"],
    [
      "ContainerRestart",
      "/v1.41/containers/a/restart?signal=KILL&t=1",
      "/v1.44/containers/a/restart?t=1",
    ],
  ];
  for (const [operation, from, to] of cases) {
    await t.step(`${operation}: ${from}`, () => {
      const result = rewrite(operation, from);
      assert.ok("target" in result);
      assert.equal(result.target, to);
    });
  }
});

Deno.test("each translation of the target is noted with the change it undoes", async (t) => {
  await t.step("the version, then a dropped parameter", () => {
    assert.deepEqual(rewrite("ContainerStop", "/v1.41/containers/a/stop?signal=KILL"), {
      target: "/v1.44/containers/a/stop",
      notes: [
        "/v1.41 forwarded as /v1.44",
        "dropped ?signal (stop and restart read `signal` from API 1.42)",
      ],
    });
  });
  await t.step("nothing dropped when the parameter is not there", () => {
    assert.deepEqual(rewrite("ContainerStop", "/v1.41/containers/a/stop?t=3"), {
      target: "/v1.44/containers/a/stop?t=3",
      notes: ["/v1.41 forwarded as /v1.44"],
    });
  });
  await t.step("the streams set on attach/ws", () => {
    const result = rewrite("ContainerAttachWebsocket", "/v1.41/containers/a/attach/ws");
    assert.ok("notes" in result);
    assert.equal(
      result.notes[1],
      "set stdin=1&stdout=1&stderr=1 (attach/ws reads stdin, stdout and stderr from API 1.42 " +
        "(false when absent); older versions attached every stream)",
    );
  });
  await t.step("the filters added, every value named", () => {
    const result = rewrite("ImageList", "/v1.42/images/json?filter=a&filter=b");
    assert.ok("notes" in result);
    assert.deepEqual(result.notes, ["/v1.42 forwarded as /v1.44"]);
    const old = rewrite("ImageList", "/v1.40/images/json?filter=a&filter=b");
    assert.ok("notes" in old);
    assert.equal(
      old.notes[1],
      "filters reference=a,b (GET /images/json dropped the `filter` parameter (a reference " +
        "filter) in API 1.41)",
    );
  });
});

Deno.test("images' filter parameter becomes a reference filter beside the other parameters and filters", async (t) => {
  const cases: [string, string, string][] = [
    ["a plus is a space", "filter=a+b", q('{"reference":{"a b":true}}')],
    ["a malformed escape is kept as sent", "filter=%zz", q('{"reference":{"%zz":true}}')],
    ["an empty filter is dropped", "all=1&filter=", "all=1"],
    ["no filter, nothing added", "all=1", "all=1"],
    ["the other parameters kept", "filter=a&all=1", `all=1&${q('{"reference":{"a":true}}')}`],
    [
      "added to a reference filter given as a list",
      `${q('{"reference":["x"]}')}&filter=a`,
      q('{"reference":["x","a"]}'),
    ],
    [
      "added to a reference filter given as a map",
      `${q('{"reference":{"x":true}}')}&filter=a`,
      q('{"reference":{"x":true,"a":true}}'),
    ],
  ];
  for (const [name, query, expected] of cases) {
    await t.step(name, () => {
      const result = rewrite("ImageList", `/v1.40/images/json?${query}`);
      assert.ok("target" in result);
      assert.equal(result.target, `/v1.44/images/json?${expected}`);
    });
  }
});

Deno.test("a filter that cannot be added exactly is refused, naming the change", async (t) => {
  const cases: [string, string, string, RegExp][] = [
    [
      "two filters parameters",
      "ImageList",
      `/v1.40/images/json?filter=a&filters=%7B%7D&filters=%7B%7D`,
      /^two filters parameters with GET \/images\/json dropped .*: send one$/,
    ],
    [
      "null",
      "VolumePrune",
      "/v1.41/volumes/prune?filters=null",
      /^the filters parameter is not a JSON object, and POST \/volumes\/prune/,
    ],
    ["a list", "VolumePrune", `/v1.41/volumes/prune?${q("[]")}`, /not a JSON object/],
    ["a number", "VolumePrune", "/v1.41/volumes/prune?filters=5", /not a JSON object/],
    [
      "a reference filter that is a text",
      "ImageList",
      `/v1.40/images/json?${q('{"reference":"x"}')}&filter=a`,
      /not a JSON object/,
    ],
    [
      "a reference filter that is null",
      "ImageList",
      `/v1.40/images/json?${q('{"reference":null}')}&filter=a`,
      /not a JSON object/,
    ],
  ];
  for (const [name, operation, forward, reason] of cases) {
    await t.step(name, () => {
      const result = rewrite(operation, forward);
      assert.ok("refuse" in result, JSON.stringify(result));
      assert.match(result.refuse, reason);
    });
  }
});

Deno.test("a volume prune keeps the client's own all filter, and gets it with empty filters", async (t) => {
  await t.step("the client's all filter", () => {
    const forward = `/v1.41/volumes/prune?${q('{"all":{"false":true}}')}`;
    const result = rewrite("VolumePrune", forward);
    assert.ok("target" in result);
    assert.equal(result.target, forward.replace("v1.41", "v1.44"));
  });
  await t.step("empty filters", () => {
    const result = rewrite("VolumePrune", "/v1.41/volumes/prune?filters=");
    assert.ok("target" in result);
    assert.equal(result.target, `/v1.44/volumes/prune?${q('{"all":{"true":true}}')}`);
  });
});

Deno.test("a target with an empty query or a version written otherwise gets the floor's prefix", async (t) => {
  await t.step("an empty query", () => {
    const result = rewrite("ContainerList", "/v1.25/containers/json?");
    assert.ok("target" in result);
    assert.equal(result.target, "/v1.44/containers/json");
  });
  await t.step("a leading zero", () => {
    const result = rewrite("ContainerList", "/v01.25/containers/json?all=1");
    assert.ok("target" in result);
    assert.equal(result.target, "/v1.44/containers/json?all=1");
  });
});

Deno.test("routes read the body exactly where a body change applies", () => {
  assert.equal(readsBody(plan("ContainerCreate", "v1.40", [1, 41])), true, "CgroupnsMode alone");
  assert.equal(readsBody(plan("ContainerExec", "v1.41")), true);
  assert.equal(readsBody(plan("SwarmInit", "v1.39")), true);
  assert.equal(readsBody(plan("ContainerStop", "v1.41")), false);
});

Deno.test("a body setting a field the old version ignored is refused, for every such field", async (t) => {
  const create = (hostConfig: object, more: object = {}) => ({
    Image: "a",
    HostConfig: { CgroupnsMode: "host", ...hostConfig },
    ...more,
  });
  const spec = (fields: object, more: object = {}) => ({
    TaskTemplate: { ContainerSpec: { Image: "a", ...fields }, ...more },
  });
  const cases: [string, string, unknown, string][] = [
    ["ContainerCreate", "v1.24", create({ AutoRemove: true }), "HostConfig.AutoRemove"],
    ["ContainerCreate", "v1.39", create({ KernelMemoryTCP: 1 }), "HostConfig.KernelMemoryTCP"],
    [
      "ContainerCreate",
      "v1.41",
      create({ Mounts: [{ Type: "bind", BindOptions: { CreateMountpoint: true } }] }),
      "HostConfig.Mounts[].BindOptions.CreateMountpoint",
    ],
    [
      "ContainerCreate",
      "v1.43",
      create({}, { Healthcheck: { StartInterval: 1 } }),
      "Healthcheck.StartInterval",
    ],
    [
      "ContainerCreate",
      "v1.43",
      create({ Mounts: [{ Type: "bind", BindOptions: { ReadOnlyForceRecursive: true } }] }),
      "HostConfig.Mounts[].BindOptions.ReadOnlyForceRecursive",
    ],
    ["SwarmInit", "v1.38", { DefaultAddrPool: ["10.0.0.0/8"] }, "DefaultAddrPool"],
    ["SwarmInit", "v1.38", { SubnetSize: 24 }, "SubnetSize"],
    ["SwarmInit", "v1.39", { DataPathPort: 4789 }, "DataPathPort"],
    ["ContainerUpdate", "v1.39", { PidsLimit: 10 }, "PidsLimit"],
    ["ContainerUpdate", "v1.41", { KernelMemory: 1 }, "KernelMemory"],
    ["ServiceCreate", "v1.39", spec({ Sysctls: { a: "b" } }), "TaskTemplate.ContainerSpec.Sysctls"],
    [
      "ServiceCreate",
      "v1.39",
      spec({ Privileges: { CredentialSpec: { Config: "c" } } }),
      "TaskTemplate.ContainerSpec.Privileges.CredentialSpec.Config",
    ],
    [
      "ServiceCreate",
      "v1.39",
      spec({ Configs: [{ ConfigName: "c" }, { ConfigName: "d", Runtime: {} }] }),
      "TaskTemplate.ContainerSpec.Configs[].Runtime",
    ],
    [
      "ServiceCreate",
      "v1.39",
      spec({}, { Placement: { MaxReplicas: 2 } }),
      "TaskTemplate.Placement.MaxReplicas",
    ],
    [
      "ServiceUpdate",
      "v1.40",
      spec({ CapabilityAdd: ["NET_ADMIN"] }),
      "TaskTemplate.ContainerSpec.CapabilityAdd",
    ],
    [
      "ServiceUpdate",
      "v1.40",
      spec({ CapabilityDrop: ["CHOWN"] }),
      "TaskTemplate.ContainerSpec.CapabilityDrop",
    ],
    [
      "ServiceUpdate",
      "v1.40",
      spec({ Ulimits: [{ Name: "nofile" }] }),
      "TaskTemplate.ContainerSpec.Ulimits",
    ],
    [
      "ServiceUpdate",
      "v1.40",
      spec({}, { Resources: { Limits: { Pids: 5 } } }),
      "TaskTemplate.Resources.Limits.Pids",
    ],
    [
      "ServiceUpdate",
      "v1.40",
      { ...spec({}), Mode: { ReplicatedJob: { MaxConcurrent: 1 } } },
      "Mode.ReplicatedJob",
    ],
    [
      "ServiceUpdate",
      "v1.40",
      { ...spec({}), Mode: { GlobalJob: {} } },
      "Mode.GlobalJob",
    ],
    [
      "ServiceUpdate",
      "v1.40",
      { ...spec({}), Mode: { ReplicatedJob: {} } },
      "Mode.ReplicatedJob",
    ],
    [
      "ServiceCreate",
      "v1.43",
      spec({ Privileges: { Seccomp: { Mode: "default" } } }),
      "TaskTemplate.ContainerSpec.Privileges.Seccomp",
    ],
    [
      "ServiceCreate",
      "v1.43",
      spec({ Privileges: { AppArmor: { Mode: "default" } } }),
      "TaskTemplate.ContainerSpec.Privileges.AppArmor",
    ],
    [
      "ServiceCreate",
      "v1.43",
      spec({ Privileges: { NoNewPrivileges: true } }),
      "TaskTemplate.ContainerSpec.Privileges.NoNewPrivileges",
    ],
    [
      "ServiceCreate",
      "v1.43",
      spec({ Healthcheck: { StartInterval: 1 } }),
      "TaskTemplate.ContainerSpec.Healthcheck.StartInterval",
    ],
  ];
  for (const [operation, version, value, field] of cases) {
    await t.step(`${operation} at ${version}: ${field}`, () => {
      const outcome = body(operation, version, value);
      assert.equal(outcome.kind, "refuse");
      if (outcome.kind === "refuse") {
        assert.ok(outcome.reason.includes(`: ${field} is set: `), outcome.reason);
      }
      const since = VERSION_CHANGES.find((change) =>
        change.operations.includes(operation) &&
        compareVersions(change.since, parseApiVersion(version)!) > 0 &&
        change.effect.kind === "refuse-fields" && change.effect.paths.includes(field)
      )!;
      assert.ok(since !== undefined, `${field} is in the table for ${operation}`);
      if (outcome.kind === "refuse") {
        assert.ok(
          outcome.reason.endsWith(`: use API 1.${since.since[1]} or leave it out`),
          outcome.reason,
        );
      }
    });
  }
});

Deno.test("refusals of a body name the operation, both versions, the change and the way out", async (t) => {
  await t.step("a field set", () => {
    assert.deepEqual(body("ContainerUpdate", "v1.39", { PidsLimit: 10 }), {
      kind: "refuse",
      reason: "ContainerUpdate from API 1.39 forwarded as 1.44 (API_VERSION_FLOOR): PidsLimit is " +
        "set: POST /containers/{id}/update applies PidsLimit from API 1.40: use API 1.40 or leave it out",
    });
  });
  await t.step("a field missing", () => {
    const outcome = body("ContainerCreate", "v1.40", { Image: "a" });
    assert.ok(outcome.kind === "refuse");
    assert.ok(outcome.reason.endsWith(": set it, or use API 1.41"), outcome.reason);
  });
  await t.step("a field twice", () => {
    const outcome = body("ContainerUpdate", "v1.39", { PidsLimit: 1, pidslimit: 2 });
    assert.ok(outcome.kind === "refuse");
    assert.ok(outcome.reason.endsWith(": send each field once"), outcome.reason);
  });
});

Deno.test("fields left at Go's zero values are not set, and bodies of other shapes are not read into", async (t) => {
  const cases: [string, string, string, unknown][] = [
    ["false", "ContainerCreate", "v1.24", {
      HostConfig: { CgroupnsMode: "host", AutoRemove: false },
    }],
    ["an empty list", "ServiceUpdate", "v1.40", {
      TaskTemplate: { ContainerSpec: { CapabilityAdd: [] } },
    }],
    ["an empty map", "ContainerCreate", "v1.42", {
      HostConfig: { CgroupnsMode: "host", Annotations: {} },
    }],
    ["a null HostConfig", "ContainerUpdate", "v1.39", { HostConfig: null, PidsLimit: 0 }],
    ["Mounts as a map", "ContainerCreate", "v1.39", {
      HostConfig: { CgroupnsMode: "host", Mounts: { BindOptions: { NonRecursive: true } } },
    }],
  ];
  for (const [name, operation, version, value] of cases) {
    await t.step(name, () => {
      assert.deepEqual(body(operation, version, value), { kind: "forward", body: null, notes: [] });
    });
  }
});

Deno.test("an empty or unreadable body is forwarded as it is, for the engine to answer", async (t) => {
  for (const text of ["", "{"]) {
    await t.step(JSON.stringify(text), () => {
      assert.deepEqual(body("ContainerCreate", "v1.25", text), {
        kind: "forward",
        body: null,
        notes: [],
      });
    });
  }
});

Deno.test("endpoint fields the old version ignored are dropped from every endpoint, and only from a map of them", async (t) => {
  await t.step("two endpoints", () => {
    const outcome = body("ContainerCreate", "v1.43", {
      HostConfig: { CgroupnsMode: "host" },
      NetworkingConfig: { EndpointsConfig: { a: { MacAddress: "m1" }, b: { MacAddress: "m2" } } },
    });
    assert.ok(outcome.kind === "forward" && outcome.body !== null);
    assert.deepEqual(decode(outcome.body).NetworkingConfig.EndpointsConfig, { a: {}, b: {} });
  });
  await t.step("GwPriority under a 1.48 floor", () => {
    const outcome = body("ContainerCreate", "v1.47", {
      NetworkingConfig: { EndpointsConfig: { a: { GwPriority: 1, Aliases: ["x"] } } },
    }, [1, 48]);
    assert.ok(outcome.kind === "forward" && outcome.body !== null);
    assert.deepEqual(decode(outcome.body).NetworkingConfig.EndpointsConfig, {
      a: { Aliases: ["x"] },
    });
    assert.deepEqual(outcome.notes, [
      "dropped NetworkingConfig.EndpointsConfig.*.GwPriority (an endpoint's GwPriority is applied from API 1.48)",
    ]);
  });
  await t.step("endpoints given as a list", () => {
    assert.deepEqual(
      body("ContainerCreate", "v1.43", {
        HostConfig: { CgroupnsMode: "host" },
        NetworkingConfig: { EndpointsConfig: [{ MacAddress: "m1" }] },
      }),
      { kind: "forward", body: null, notes: [] },
    );
  });
});

const MAC = { NetworkingConfig: { EndpointsConfig: { a: { MacAddress: "m" } } } };
const MAC_NOTE =
  "dropped NetworkingConfig.EndpointsConfig.*.MacAddress (an endpoint's MacAddress is " +
  "applied from API 1.44; older versions ignored it (and took the container-wide Config.MacAddress instead))";

Deno.test("a translated body is refused where a number in it would not survive re-encoding", async (t) => {
  const cases: [string, string, boolean][] = [
    ["a large integer", "92233720368547758", true],
    ["a large exponent", "1e100", true],
    ["a signed large exponent", "1e+100", true],
    ["a small exponent", "1e5", false],
    ["a fraction", "0.12345678901234567", false],
    ["a long number in a text", '"12345678901234567"', false],
  ];
  for (const [name, number, refused] of cases) {
    await t.step(name, () => {
      const text = `{"HostConfig":{"CgroupnsMode":"host"},"Labels":{"n":${number}},` +
        `"NetworkingConfig":{"EndpointsConfig":{"a":{"MacAddress":"m"}}}}`;
      const outcome = body("ContainerCreate", "v1.43", text);
      assert.equal(outcome.kind, refused ? "refuse" : "forward");
    });
  }
  await t.step("the refusal names the translations", () => {
    const text = '{"HostConfig":{"CgroupnsMode":"host"},"Memory":92233720368547758,' +
      '"NetworkingConfig":{"EndpointsConfig":{"a":{"MacAddress":"m"},"b":{"MacAddress":"n"}}}}';
    assert.deepEqual(body("ContainerCreate", "v1.43", text), {
      kind: "refuse",
      reason:
        "ContainerCreate from API 1.43 forwarded as 1.44 (API_VERSION_FLOOR) needs its body " +
        `translated (${MAC_NOTE}; ${MAC_NOTE}), and it holds a number too large to re-encode ` +
        "exactly: use API 1.44",
    });
  });
});

Deno.test("read-only binds and bind mounts are noted by their targets, and no other binds or mounts", () => {
  const outcome = body("ContainerCreate", "v1.43", {
    ...MAC,
    HostConfig: {
      CgroupnsMode: "host",
      Binds: [5, "/a:ro", "/b:/b:rw", "/c:/c:ro,z", "/d:/d"],
      Mounts: [
        null,
        "x",
        { Type: "bind", Source: "/e", Target: "/e", ReadOnly: true },
        { Type: "volume", Source: "v", Target: "/v", ReadOnly: true },
        { Type: "bind", Source: "/f", Target: "/f", ReadOnly: false },
        {
          Type: "bind",
          Source: "/g",
          Target: "/g",
          ReadOnly: true,
          BindOptions: { ReadOnlyNonRecursive: true },
        },
        { Type: "bind", Source: "/h", ReadOnly: true },
      ],
    },
  });
  assert.ok(outcome.kind === "forward");
  const note = (target: string) =>
    `read-only bind at ${JSON.stringify(target)} forwarded as it is: API 1.44 makes it ` +
    "recursively read-only where the kernel can, stricter than API 1.43 (read-only binds are " +
    "recursively read-only from API 1.44, not before)";
  assert.deepEqual(outcome.notes, [note("/c"), note("/e"), note(""), MAC_NOTE]);
});

Deno.test("image answers are translated only where the old version differed", async (t) => {
  await t.step("items that are not images, VirtualSize already there, or no Size", () => {
    const rewrite = floorAnswer(plan("ImageList", "v1.43"), "ImageList")!;
    assert.deepEqual(rewrite([null, 5, { Size: 5, VirtualSize: 9 }, { RepoTags: ["a"] }]), [
      null,
      5,
      { Size: 5, VirtualSize: 9 },
      { RepoTags: ["a"] },
    ]);
  });
  await t.step("placeholders without VirtualSize under a 1.43 floor", () => {
    const rewrite = floorAnswer(plan("ImageList", "v1.42", [1, 43]), "ImageList")!;
    assert.deepEqual(rewrite([{ Size: 5, RepoTags: [] }]), [{
      Size: 5,
      RepoTags: ["<none>:<none>"],
    }]);
  });
  await t.step("an empty Created, and a Created kept", () => {
    const rewrite = floorAnswer(plan("ImageInspect", "v1.43"), "ImageInspect")!;
    assert.deepEqual(rewrite({ Created: "" }), { Created: "0001-01-01T00:00:00Z" });
    assert.deepEqual(rewrite({ Created: "2024-01-01T00:00:00Z" }), {
      Created: "2024-01-01T00:00:00Z",
    });
  });
  await t.step("the images of /system/df, and nothing of another shape", () => {
    const rewrite = floorAnswer(plan("SystemDataUsage", "v1.43"), "SystemDataUsage")!;
    assert.deepEqual(rewrite({ Images: [{ Size: 3 }] }), { Images: [{ Size: 3, VirtualSize: 3 }] });
    assert.deepEqual(rewrite([{ Size: 3 }]), [{ Size: 3 }]);
    assert.equal(rewrite(null), null);
    assert.equal(rewrite("x"), "x");
  });
  await t.step("none for a route whose changes are not in its answer", () => {
    assert.equal(floorAnswer(plan("ContainerStop", "v1.41"), "ContainerStop"), null);
  });
});

Deno.test("/info is translated by the changes crossed, one without the other", async (t) => {
  await t.step("security options only, under a 1.38 floor", () => {
    const rewrite = floorAnswer(plan("SystemInfo", "v1.24", [1, 38]), "SystemInfo")!;
    assert.deepEqual(
      rewrite({
        KernelVersion: "",
        SecurityOptions: ["name=seccomp,profile=x", "apparmor", ["name=y"]],
      }),
      { KernelVersion: "", SecurityOptions: ["seccomp", "apparmor", ["name=y"]] },
    );
  });
  await t.step("the kernel and system names only, from 1.38", () => {
    const rewrite = floorAnswer(plan("SystemInfo", "v1.38"), "SystemInfo")!;
    assert.deepEqual(
      rewrite({ KernelVersion: "", OperatingSystem: "", SecurityOptions: ["name=seccomp"] }),
      {
        KernelVersion: "<unknown>",
        OperatingSystem: "<unknown>",
        SecurityOptions: ["name=seccomp"],
      },
    );
  });
});

Deno.test("routes whose answers changed in 1.45 are refused under a 1.45 floor", () => {
  const result = floorPlan("ImageInspect", "v1.44", [1, 45]);
  assert.equal(result.kind, "refuse");
  if (result.kind === "refuse") {
    assert.match(result.reason, /Container and ContainerConfig.*use API 1\.45/);
  }
});

Deno.test("only the body paths of the changes crossed are read: other fields, whatever their name or shape, are not noted", () => {
  // Any top-level name is left alone, even the one Stryker's mutant adds to the paths.
  const outcome = body("ContainerCreate", "v1.40", {
    HostConfig: { CgroupnsMode: "host", Binds: "/a:/a:ro" },
    "Stryker was here": { Type: "bind", Target: "/x", ReadOnly: true },
  }, [1, 41]);
  assert.deepEqual(outcome, { kind: "forward", body: null, notes: [] });
  assert.deepEqual(
    body("ContainerCreate", "v1.43", { HostConfig: { CgroupnsMode: "host", Binds: "/a:/a:ro" } }),
    { kind: "forward", body: null, notes: [] },
    "Binds that are not a list",
  );
});

Deno.test("an answer of another shape than the route's is left as it is", () => {
  const rewrite = floorAnswer(plan("ImageList", "v1.43"), "ImageList")!;
  assert.deepEqual(rewrite({ Images: [{ Size: 1 }] }), { Images: [{ Size: 1 }] });
});

Deno.test("a job mode or runtime target is set by being there, even empty; null leaves it unset", async (t) => {
  const service = (fields: object) => ({
    TaskTemplate: { ContainerSpec: { Image: "a" } },
    ...fields,
  });
  await t.step("null modes and a null runtime target are forwarded", () => {
    assert.deepEqual(
      body("ServiceCreate", "v1.40", {
        ...service({ Mode: { GlobalJob: null, ReplicatedJob: null } }),
        TaskTemplate: { ContainerSpec: { Configs: [{ ConfigName: "c", Runtime: null }] } },
      }),
      { kind: "forward", body: null, notes: [] },
    );
  });
  await t.step("an empty map is still no setting", () => {
    assert.deepEqual(
      body("ServiceCreate", "v1.39", {
        TaskTemplate: { ContainerSpec: { Sysctls: {} } },
      }),
      { kind: "forward", body: null, notes: [] },
    );
  });
});
