import assert from "node:assert/strict";
import { floorPlan } from "../../../lib/routes/api_versions.ts";
import {
  floorAnswer,
  floorBody,
  readsBody,
  rewriteTarget,
} from "../../../lib/proxy/version_floor_stage.ts";

const FLOOR = [1, 44] as const;

function plan(operation: string, version = "v1.25") {
  const result = floorPlan(operation, version, FLOOR);
  if (result.kind !== "rewrite") throw new Error(`${operation}: ${result.kind}`);
  return result;
}

function target(operation: string, forward: string, version = "v1.25"): string {
  const result = rewriteTarget(forward, plan(operation, version));
  if ("refuse" in result) throw new Error(result.refuse);
  return result.target;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
// deno-lint-ignore no-explicit-any
const decode = (body: Uint8Array): any => JSON.parse(new TextDecoder().decode(body));

Deno.test("the version prefix becomes the floor's, and the query is kept", () => {
  assert.equal(
    target("ContainerList", "/v1.25/containers/json?filters=%7B%7D&all=1"),
    "/v1.44/containers/json?filters=%7B%7D&all=1",
  );
  assert.equal(target("ContainerKill", "/v1.25/containers/abc/kill"), "/v1.44/containers/abc/kill");
});

Deno.test("query translations undo exactly what the newer version would read", async (t) => {
  const cases: [string, string, string, string?][] = [
    ["ContainerStop", "/v1.25/containers/a/stop?t=5&signal=KILL", "/v1.44/containers/a/stop?t=5"],
    [
      "ContainerStats",
      "/v1.40/containers/a/stats?stream=0&one-shot=1",
      "/v1.44/containers/a/stats?stream=0",
    ],
    [
      "ContainerAttachWebsocket",
      "/v1.41/containers/a/attach/ws?stream=1&stdout=0",
      "/v1.44/containers/a/attach/ws?stream=1&stdin=1&stdout=1&stderr=1",
    ],
    [
      "ContainerAttach",
      "/v1.41/containers/a/attach?stream=1&stdout=1",
      "/v1.44/containers/a/attach?stream=1&stdout=1",
    ],
    [
      "VolumePrune",
      "/v1.41/volumes/prune",
      `/v1.44/volumes/prune?filters=${encodeURIComponent('{"all":{"true":true}}')}`,
    ],
    [
      "VolumePrune",
      `/v1.41/volumes/prune?filters=${encodeURIComponent('{"label":{"a":true}}')}`,
      `/v1.44/volumes/prune?filters=${
        encodeURIComponent('{"label":{"a":true},"all":{"true":true}}')
      }`,
    ],
    [
      "ImageList",
      "/v1.40/images/json?filter=busybox",
      `/v1.44/images/json?filters=${encodeURIComponent('{"reference":{"busybox":true}}')}`,
    ],
    [
      "ContainerStop",
      "/v1.42/containers/a/stop?signal=KILL",
      "/v1.44/containers/a/stop?signal=KILL",
    ],
  ];
  for (const [operation, from, to] of cases) {
    await t.step(`${operation}: ${from}`, () => {
      const version = from.split("/")[1];
      assert.equal(target(operation, from, version), to);
    });
  }
});

Deno.test("a filters parameter that is not a JSON object is refused where a filter must be added", () => {
  const result = rewriteTarget(
    "/v1.41/volumes/prune?filters=nonsense",
    plan("VolumePrune", "v1.41"),
  );
  assert.ok("refuse" in result);
});

Deno.test("only the routes with body changes read the body", () => {
  assert.equal(readsBody(plan("ContainerCreate")), true);
  assert.equal(readsBody(plan("ContainerList")), false);
});

Deno.test("a create body with fields the old version ignored is refused, naming the field", async (t) => {
  const base = { Image: "busybox", HostConfig: { CgroupnsMode: "private" } };
  const cases: [string, unknown, RegExp][] = [
    [
      "Annotations",
      { ...base, HostConfig: { CgroupnsMode: "host", Annotations: { a: "b" } } },
      /HostConfig\.Annotations is set.*1\.43/,
    ],
    [
      "KernelMemory",
      { ...base, HostConfig: { CgroupnsMode: "host", KernelMemory: 1024 } },
      /KernelMemory/,
    ],
    ["no CgroupnsMode", { Image: "busybox" }, /CgroupnsMode is not set/],
    [
      "a NonRecursive bind mount",
      {
        ...base,
        HostConfig: {
          CgroupnsMode: "host",
          Mounts: [{
            Type: "bind",
            Source: "/a",
            Target: "/a",
            BindOptions: { NonRecursive: true },
          }],
        },
      },
      /NonRecursive/,
    ],
    ["two spellings of one field", { ...base, hostconfig: {} }, /HostConfig and hostconfig/],
  ];
  for (const [name, body, reason] of cases) {
    await t.step(name, () => {
      const outcome = floorBody(encode(body), plan("ContainerCreate"), "ContainerCreate");
      assert.equal(outcome.kind, "refuse");
      if (outcome.kind === "refuse") assert.match(outcome.reason, reason);
    });
  }
});

Deno.test("a create body the old version read the same way is forwarded untouched", () => {
  const body = encode({
    Image: "busybox",
    HostConfig: {
      CgroupnsMode: "host",
      Binds: ["/srv/a:/data"],
      KernelMemory: 0,
      Annotations: null,
    },
    NetworkingConfig: { EndpointsConfig: { none: { MacAddress: "" } } },
  });
  assert.deepEqual(floorBody(body, plan("ContainerCreate"), "ContainerCreate"), {
    kind: "forward",
    body: null,
    notes: [],
  });
});

Deno.test("read-only binds are forwarded as sent and noted; endpoint MAC addresses the old version ignored are dropped", () => {
  const body = encode({
    Image: "busybox",
    HostConfig: {
      CgroupnsMode: "host",
      Binds: ["/srv/a:/a:ro", "/srv/b:/b"],
      Mounts: [
        { Type: "bind", Source: "/c", Target: "/c", ReadOnly: true },
        { Type: "bind", Source: "/d", Target: "/d" },
        { Type: "volume", Source: "v", Target: "/v", ReadOnly: true },
      ],
    },
    NetworkingConfig: { EndpointsConfig: { web: { MacAddress: "02:42:ac:11:00:02" } } },
  });
  const outcome = floorBody(body, plan("ContainerCreate"), "ContainerCreate");
  assert.equal(outcome.kind, "forward");
  if (outcome.kind !== "forward") return;
  const sent = decode(outcome.body!);
  assert.deepEqual(sent.HostConfig, decode(body).HostConfig, "binds and mounts as sent");
  assert.deepEqual(sent.NetworkingConfig.EndpointsConfig.web, {});
  assert.equal(outcome.notes.filter((note) => note.includes("recursively read-only")).length, 2);
  assert.ok(outcome.notes.some((note) => note.startsWith("dropped NetworkingConfig")));
});

Deno.test("a body that needs translating but holds a number JavaScript cannot keep is refused", () => {
  const text = '{"Image":"b","HostConfig":{"CgroupnsMode":"host","Memory":92233720368547758},' +
    '"NetworkingConfig":{"EndpointsConfig":{"web":{"MacAddress":"02:42:ac:11:00:02"}}}}';
  const outcome = floorBody(
    new TextEncoder().encode(text),
    plan("ContainerCreate"),
    "ContainerCreate",
  );
  assert.equal(outcome.kind, "refuse");
});

Deno.test("exec's ConsoleSize, which API 1.41 ignored, is dropped", () => {
  const outcome = floorBody(
    encode({ Cmd: ["sh"], ConsoleSize: [24, 80] }),
    plan("ContainerExec", "v1.41"),
    "ContainerExec",
  );
  assert.ok(outcome.kind === "forward" && outcome.body !== null);
  if (outcome.kind === "forward") assert.deepEqual(decode(outcome.body!), { Cmd: ["sh"] });
});

Deno.test("image answers get back the fields the old version had", async (t) => {
  await t.step("VirtualSize and the <none> placeholders in a list", () => {
    const rewrite = floorAnswer(plan("ImageList", "v1.42"), "ImageList")!;
    const answer = rewrite([{ Size: 5, RepoTags: [], RepoDigests: [] }, {
      Size: 6,
      RepoTags: ["a:1"],
      RepoDigests: ["a@sha256:1"],
    }]);
    assert.deepEqual(answer, [
      { Size: 5, VirtualSize: 5, RepoTags: ["<none>:<none>"], RepoDigests: ["<none>@<none>"] },
      { Size: 6, VirtualSize: 6, RepoTags: ["a:1"], RepoDigests: ["a@sha256:1"] },
    ]);
  });
  await t.step("VirtualSize and the zero Created in an inspect", () => {
    const rewrite = floorAnswer(plan("ImageInspect", "v1.43"), "ImageInspect")!;
    assert.deepEqual(rewrite({ Size: 7 }), {
      Size: 7,
      VirtualSize: 7,
      Created: "0001-01-01T00:00:00Z",
    });
  });
  await t.step("no placeholders from 1.43 on", () => {
    const rewrite = floorAnswer(plan("ImageList", "v1.43"), "ImageList")!;
    assert.deepEqual(rewrite([{ Size: 5, RepoTags: [] }]), [{
      Size: 5,
      VirtualSize: 5,
      RepoTags: [],
    }]);
  });
  await t.step("<unknown> kernel in /info before 1.39", () => {
    const rewrite = floorAnswer(plan("SystemInfo", "v1.38"), "SystemInfo")!;
    assert.deepEqual(rewrite({ KernelVersion: "", OperatingSystem: "Debian" }), {
      KernelVersion: "<unknown>",
      OperatingSystem: "Debian",
    });
  });
  await t.step("security options as names before 1.25", () => {
    const rewrite = floorAnswer(plan("SystemInfo", "v1.24"), "SystemInfo")!;
    const answer = rewrite({
      KernelVersion: "6.1",
      SecurityOptions: ["name=seccomp,profile=builtin", "name=cgroupns"],
    });
    assert.deepEqual(answer, {
      KernelVersion: "6.1",
      SecurityOptions: ["seccomp", "cgroupns"],
    });
  });
  await t.step("none for a route without answer changes", () => {
    assert.equal(floorAnswer(plan("ContainerList"), "ContainerList"), null);
  });
});
