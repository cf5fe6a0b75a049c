import assert from "node:assert/strict";
import { compileGlob } from "../../../lib/policy/glob.ts";
import { parseLabelMatcher } from "../../../lib/policy/labels.ts";
import { parseQuery } from "../../../lib/policy/query_params.ts";
import { rewriteAnswer, SCRUBBED, scrubEnv } from "../../../lib/scoping/answer_rewrite.ts";
import { EventFilter, eventVisible, MAX_EVENT_LINE } from "../../../lib/scoping/event_filter.ts";
import { addFilterValues } from "../../../lib/scoping/filters.ts";
import {
  bodyContainer,
  labelBody,
  labelBuildQuery,
  OwnerLabelError,
  stringifyGoJson,
} from "../../../lib/scoping/owner_label.ts";
import {
  containerVisible,
  engineLabelFilters,
  hidesContainers,
  isOwned,
  isScoped,
  OWNER_LABEL,
  type Scope,
  UNSCOPED,
} from "../../../lib/policy/scope.ts";
import { parseGoJson } from "../../../lib/admission/go_json.ts";

function scope(overrides: Partial<Scope>): Scope {
  return { ...UNSCOPED, ...overrides };
}

const LABELS = scope({ containerLabels: ["traefik.enable=true", "public"].map(parseLabelMatcher) });
const NAMES = scope({ containerNames: ["web", "app-*"].map(compileGlob) });
const OWNER = scope({ owner: "ci" });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("a container is visible when it matches any selector, and with OWNER only when owned", async (t) => {
  const cases: [string, Scope, string, Record<string, string>, boolean][] = [
    ["unscoped", UNSCOPED, "/x", {}, true],
    ["a label with its value", LABELS, "/x", { "traefik.enable": "true" }, true],
    ["a label with another value", LABELS, "/x", { "traefik.enable": "false" }, false],
    ["a bare label, any value", LABELS, "/x", { public: "" }, true],
    ["no label", LABELS, "/x", {}, false],
    ["an exact name", NAMES, "/web", {}, true],
    ["a name without its slash", NAMES, "web", {}, true],
    ["a longer name", NAMES, "/web2", {}, false],
    ["a name by glob", NAMES, "/app-1", {}, true],
    ["a name the glob misses", NAMES, "/myapp-1", {}, false],
    ["owned", OWNER, "/x", { [OWNER_LABEL]: "ci" }, true],
    ["another owner's", OWNER, "/x", { [OWNER_LABEL]: "other" }, false],
    ["unowned", OWNER, "/x", {}, false],
    [
      "owned and selected",
      scope({ owner: "ci", containerNames: [compileGlob("web")] }),
      "/web",
      { [OWNER_LABEL]: "ci" },
      true,
    ],
    [
      "selected but not owned",
      scope({ owner: "ci", containerNames: [compileGlob("web")] }),
      "/web",
      {},
      false,
    ],
    [
      "either selector",
      scope({ containerNames: [compileGlob("web")], containerLabels: [parseLabelMatcher("a")] }),
      "/db",
      { a: "1" },
      true,
    ],
  ];
  for (const [name, s, container, labels, visible] of cases) {
    await t.step(name, () => assert.equal(containerVisible(s, container, labels), visible));
  }
  assert.equal(containerVisible(LABELS, "/x", null), false);
  assert.equal(isOwned(OWNER, null), false);
  assert.equal(isOwned(UNSCOPED, null), true);
  assert.equal(isScoped(UNSCOPED), false);
  assert.equal(isScoped(scope({ scrubEnvs: true })), true);
  assert.equal(hidesContainers(scope({ scrubEnvs: true })), false);
  assert.equal(hidesContainers(OWNER), true);
});

Deno.test("engine filters are given only where they select exactly the scope", () => {
  assert.deepEqual(engineLabelFilters(OWNER), [`${OWNER_LABEL}=ci`]);
  assert.deepEqual(
    engineLabelFilters(scope({ containerLabels: [parseLabelMatcher("a=b")] })),
    ["a=b"],
  );
  assert.deepEqual(engineLabelFilters(scope({ containerLabels: [parseLabelMatcher("a")] })), [
    "a",
  ]);
  assert.equal(engineLabelFilters(LABELS), null, "alternatives: the engine ANDs labels");
  assert.equal(engineLabelFilters(NAMES), null, "globs: the engine's name filter is a regex");
  assert.deepEqual(engineLabelFilters(UNSCOPED), []);
});

Deno.test("addFilterValues() merges labels into the client's filters, in its format", async (t) => {
  const filters = (query: string) =>
    JSON.parse((parseQuery(query) as Map<string, string[]>).get("filters")![0]);
  await t.step("no filters", () => {
    const query = addFilterValues("?all=1", "label", ["o=ci"])!;
    assert.match(query, /^\?all=1&filters=/);
    assert.deepEqual(filters(query), { label: { "o=ci": true } });
  });
  await t.step("the map format", () => {
    const given = encodeURIComponent('{"label":{"x":true},"status":{"running":true}}');
    assert.deepEqual(filters(addFilterValues(`?filters=${given}&all=1`, "label", ["o=ci"])!), {
      label: { x: true, "o=ci": true },
      status: { running: true },
    });
  });
  await t.step("the legacy list format, sent raw", () => {
    const query = addFilterValues(
      '?filters={"health":["unhealthy"],"label":["autoheal=true"]}',
      "label",
      ["o=ci"],
    )!;
    assert.deepEqual(filters(query), {
      health: ["unhealthy"],
      label: ["autoheal=true", "o=ci"],
    });
  });
  await t.step("a legacy map without labels gets a list", () => {
    assert.deepEqual(filters(addFilterValues('?filters={"status":["exited"]}', "label", ["a"])!), {
      status: ["exited"],
      label: ["a"],
    });
  });
  await t.step("an empty filters parameter", () => {
    assert.deepEqual(filters(addFilterValues("?filters=", "label", ["a"])!), {
      label: { a: true },
    });
  });
  await t.step("what cannot be merged unambiguously", () => {
    assert.equal(addFilterValues("?filters=%7B&x", "label", ["a"]), null);
    assert.equal(addFilterValues("?filters={}&filters={}", "label", ["a"]), null);
    assert.equal(addFilterValues("?filters=[1]", "label", ["a"]), null);
    assert.equal(addFilterValues('?filters={"label":"x"}', "label", ["a"]), null);
    assert.equal(addFilterValues('?filters={"label":[1]}', "label", ["a"]), null);
    assert.equal(addFilterValues("?a=1;b=2", "label", ["a"]), null);
  });
});

Deno.test("list answers lose what the scope hides", () => {
  const list = [
    { Id: "1", Names: ["/web"], Labels: {} },
    { Id: "2", Names: ["/db"], Labels: {} },
    { Id: "3", Names: ["/app-1"], Labels: null },
    "junk",
  ];
  assert.deepEqual(
    (rewriteAnswer("container-list", NAMES, list) as { Id: string }[]).map((c) => c.Id),
    ["1", "3"],
  );
  const networks = [{ Name: "a", Labels: { [OWNER_LABEL]: "ci" } }, { Name: "b", Labels: {} }];
  assert.deepEqual(rewriteAnswer("network-list", OWNER, networks), [networks[0]]);
  const volumes = { Volumes: [{ Name: "a", Labels: { [OWNER_LABEL]: "ci" } }, { Name: "b" }] };
  assert.deepEqual(rewriteAnswer("volume-list", OWNER, volumes), { Volumes: [volumes.Volumes[0]] });
  const network = { Name: "n", Containers: { "1": { Name: "web" }, "2": { Name: "db" } } };
  assert.deepEqual(
    rewriteAnswer("network-inspect", NAMES, network, new Set(["1"])),
    { Name: "n", Containers: { "1": { Name: "web" } } },
  );
  assert.deepEqual(rewriteAnswer("container-list", NAMES, { not: "a list" }), { not: "a list" });
});

Deno.test("environment values are scrubbed, their names kept", () => {
  assert.deepEqual(scrubEnv(["A=1", "PASSWORD=hunter2", "EMPTY=", "BARE", 3]), [
    `A=${SCRUBBED}`,
    `PASSWORD=${SCRUBBED}`,
    `EMPTY=${SCRUBBED}`,
    "BARE",
    3,
  ]);
  const inspect = { Id: "1", Config: { Env: ["TOKEN=abc"], Image: "x" } };
  const scrubbing = scope({ scrubEnvs: true });
  assert.deepEqual(rewriteAnswer("container-inspect", scrubbing, inspect), {
    Id: "1",
    Config: { Env: [`TOKEN=${SCRUBBED}`], Image: "x" },
  });
  assert.deepEqual(rewriteAnswer("container-inspect", scrubbing, { Config: null }), {
    Config: null,
  });
  const services = [{ Spec: { TaskTemplate: { ContainerSpec: { Env: ["K=v"] } } } }];
  assert.deepEqual(rewriteAnswer("service", scrubbing, services), [
    { Spec: { TaskTemplate: { ContainerSpec: { Env: [`K=${SCRUBBED}`] } } } },
  ]);
  const task = { Spec: { ContainerSpec: { Env: ["K=v"] } } };
  assert.deepEqual(rewriteAnswer("task", scrubbing, task), {
    Spec: { ContainerSpec: { Env: [`K=${SCRUBBED}`] } },
  });
});

Deno.test("event lines pass only for containers the scope shows", async (t) => {
  const event = (type: string, attributes: Record<string, string>) =>
    JSON.stringify({ Type: type, Action: "start", Actor: { ID: "1", Attributes: attributes } });
  const cases: [string, string, boolean][] = [
    ["a visible container", event("container", { name: "web", image: "x" }), true],
    ["a hidden container", event("container", { name: "db" }), false],
    ["by label", event("container", { name: "x", "traefik.enable": "true" }), false],
    ["an image event", event("image", { name: "web" }), false],
    ["a network event naming a container", event("network", { container: "1" }), false],
    ["libpod's format", JSON.stringify({ Type: "container", Name: "web", Attributes: {} }), true],
    ["not an object", "[]", false],
  ];
  for (const [name, line, visible] of cases) {
    await t.step(name, () => assert.equal(eventVisible(NAMES, JSON.parse(line)), visible));
  }
  const filter = new EventFilter(NAMES);
  const passed: string[] = [];
  const stream = [
    event("container", { name: "web" }) + "\n",
    event("container", { name: "db" }) + "\n",
    "not json\n",
    event("container", { name: "app-2" }) + "\n",
  ].join("");
  const bytes = encoder.encode(stream);
  // In pieces that split lines anywhere.
  for (let at = 0; at < bytes.length; at += 7) {
    filter.feed(bytes.subarray(at, at + 7), (line) => passed.push(decoder.decode(line)));
  }
  assert.equal(passed.length, 2);
  assert.match(passed[0], /"name":"web"/);
  assert.ok(passed[1].endsWith("\n"));
  assert.throws(
    () => new EventFilter(NAMES).feed(new Uint8Array(MAX_EVENT_LINE + 1).fill(32), () => {}),
    /longer than/,
  );
});

Deno.test("labelBody() puts the owner label where the engine reads labels", async (t) => {
  const labelled = (body: string, field = "Labels") =>
    JSON.parse(decoder.decode(labelBody(encoder.encode(body), field, "ci")));
  await t.step("no labels yet", () => {
    assert.deepEqual(labelled('{"Image":"x"}'), { Image: "x", Labels: { [OWNER_LABEL]: "ci" } });
  });
  await t.step("labels of its own, keys as sent", () => {
    assert.deepEqual(labelled('{"labels":{"a":"1"},"Image":"x"}'), {
      Image: "x",
      labels: { a: "1", [OWNER_LABEL]: "ci" },
    });
  });
  await t.step("null labels", () => {
    assert.deepEqual(labelled('{"Labels":null}'), { Labels: { [OWNER_LABEL]: "ci" } });
  });
  await t.step("its own owner label already", () => {
    assert.deepEqual(labelled(`{"Labels":{"${OWNER_LABEL}":"ci"}}`), {
      Labels: { [OWNER_LABEL]: "ci" },
    });
  });
  await t.step("an empty body", () => {
    assert.deepEqual(JSON.parse(decoder.decode(labelBody(new Uint8Array(0), "Labels", "ci"))), {
      Labels: { [OWNER_LABEL]: "ci" },
    });
  });
  await t.step("numbers and duplicates elsewhere are kept as sent", () => {
    const out = decoder.decode(
      labelBody(encoder.encode('{"A":1.50,"A":2,"B":[1e3]}'), "Labels", "ci"),
    );
    assert.equal(out, `{"A":1.50,"A":2,"B":[1e3],"Labels":{"${OWNER_LABEL}":"ci"}}`);
  });
  const refused: [string, number, RegExp][] = [
    [`{"Labels":{"${OWNER_LABEL}":"other"}}`, 403, /another owner/],
    [`{"Labels":{"${OWNER_LABEL}":"ci","${OWNER_LABEL}":"other"}}`, 403, /another owner/],
    ['{"Labels":{"a":"1"},"labels":{"b":"2"}}', 400, /name the same field/],
    ['{"Labels":["a"]}', 400, /must be a map/],
    ["[1]", 400, /JSON object/],
    ["{", 400, /Invalid JSON/],
  ];
  for (const [body, status, error] of refused) {
    await t.step(`refused: ${body}`, () => {
      try {
        labelBody(encoder.encode(body), "Labels", "ci");
        assert.fail("labelled");
      } catch (e) {
        assert.ok(e instanceof OwnerLabelError);
        assert.equal(e.status, status);
        assert.match(e.message, error);
      }
    });
  }
});

Deno.test("labelBuildQuery() adds the owner to a build's labels", () => {
  const labels = (query: string) =>
    JSON.parse((parseQuery(query) as Map<string, string[]>).get("labels")![0]);
  assert.deepEqual(labels(labelBuildQuery("?t=x", "ci")), { [OWNER_LABEL]: "ci" });
  const given = encodeURIComponent('{"a":"1"}');
  const query = labelBuildQuery(`?labels=${given}&t=x`, "ci");
  assert.match(query, /^\?t=x&labels=/);
  assert.deepEqual(labels(query), { a: "1", [OWNER_LABEL]: "ci" });
  assert.throws(() => labelBuildQuery("?labels={}&labels={}", "ci"), /more than once/);
  assert.throws(
    () => labelBuildQuery(`?labels=${encodeURIComponent(`{"${OWNER_LABEL}":"x"}`)}`, "ci"),
    /another owner/,
  );
  assert.throws(() => labelBuildQuery("?labels=%7B", "ci"), /Invalid labels/);
});

Deno.test("bodyContainer() reads the container a network connect names, as the engine does", () => {
  assert.equal(bodyContainer(encoder.encode('{"Container":"web"}')), "web");
  assert.equal(bodyContainer(encoder.encode('{"container":"a","CONTAINER":"b"}')), "b");
  assert.equal(bodyContainer(encoder.encode('{"Container":1}')), null);
  assert.equal(bodyContainer(encoder.encode("nope")), null);
  assert.equal(bodyContainer(encoder.encode("[]")), null);
});

Deno.test("stringifyGoJson() writes back what it read", () => {
  const text = '{"a":[1,2.5e3,-0],"b":{"c":null,"d":true},"e":"\\u00e9\\n"}';
  assert.equal(
    stringifyGoJson(parseGoJson(encoder.encode(text))),
    '{"a":[1,2.5e3,-0],"b":{"c":null,"d":true},"e":"é\\n"}',
  );
});

Deno.test("for Podman, every spelling of filters is the one parameter it reads", () => {
  const given = encodeURIComponent('{"status":["exited"]}');
  const merged = addFilterValues(`?Filters=${given}`, "label", ["o=ci"], true)!;
  assert.equal(merged.includes("Filters="), false, "the client's spelling is replaced");
  const filters = JSON.parse((parseQuery(merged) as Map<string, string[]>).get("filters")![0]);
  assert.deepEqual(filters, { status: ["exited"], label: ["o=ci"] });
  assert.equal(addFilterValues("?filters={}&Filters={}", "label", ["a"], true), null);
  assert.equal(addFilterValues("?FILTERS={}&filters={}", "label", ["a"], true), null);
  // Docker reads names exactly: `Filters` is some other parameter.
  assert.match(addFilterValues("?Filters={}", "label", ["a"])!, /^\?Filters=\{\}&filters=/);
});
