/**
 * Scoping at its edges: which scopes restrict anything, the engine filters a
 * scope can be given as, how a client's filters and labels are merged (the
 * query written out exactly), what passes an event stream, which parts of an
 * answer are rewritten, every refusal's message, and every route a scope
 * checks, filters or refuses. Written against the mutants
 * `deno task mutate scoping` showed surviving.
 */
import assert from "node:assert/strict";
import { compileGlob } from "../../../lib/policy/glob.ts";
import { parseLabelMatcher } from "../../../lib/policy/labels.ts";
import { parseRequestTarget, type RequestTarget } from "../../../lib/http/request_target.ts";
import { routeMatcher } from "../../../lib/routes/engine_routes.ts";
import { rewriteAnswer, SCRUBBED, scrubEnv } from "../../../lib/scoping/answer_rewrite.ts";
import { EventFilter, eventVisible, MAX_EVENT_LINE } from "../../../lib/scoping/event_filter.ts";
import { addFilterValues } from "../../../lib/scoping/filters.ts";
import {
  bodyContainer,
  labelBody,
  labelBuildQuery,
  OWNER_FIELDS,
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
import { isNothing, type ScopePlan, scopePlan } from "../../../lib/scoping/scope_plan.ts";
import { fillTemplate } from "../../../lib/proxy/scope_stage.ts";
import { GoJsonObject } from "../../../lib/admission/go_json.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function scope(overrides: Partial<Scope>): Scope {
  return { ...UNSCOPED, ...overrides };
}

const LABEL = scope({ containerLabels: [parseLabelMatcher("team=a")] });
const TWO_LABELS = scope({
  containerLabels: ["a", "b"].map(parseLabelMatcher),
});
const NAMES = scope({ containerNames: [compileGlob("web*")] });
const OWNER = scope({ owner: "ci" });
const SCRUB = scope({ scrubEnvs: true });

/** What `fn` threw: its class, status and whole message. */
function ownerError(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof OwnerLabelError, String(error));
    assert.equal(error.name, "OwnerLabelError");
    return { status: error.status, message: error.message };
  }
  assert.fail("nothing was thrown");
}

Deno.test("the owner label and the scrubbed value are spelled as documented", () => {
  assert.equal(OWNER_LABEL, "socket-proxy.owner");
  assert.equal(SCRUBBED, "<scrubbed by socket-proxy>");
});

Deno.test("each selector alone makes a scope that restricts and hides containers", async (t) => {
  const cases: [string, Scope, boolean, boolean][] = [
    ["none", UNSCOPED, false, false],
    ["CONTAINER_LABELS", LABEL, true, true],
    ["CONTAINER_NAMES", NAMES, true, true],
    ["OWNER", OWNER, true, true],
    ["SCRUB_ENVS", SCRUB, true, false],
  ];
  for (const [name, s, scoped, hides] of cases) {
    await t.step(name, () => {
      assert.equal(isScoped(s), scoped, "isScoped");
      assert.equal(hidesContainers(s), hides, "hidesContainers");
    });
  }
});

Deno.test("an owner label counts only as the object's own label, with the scope's owner", async (t) => {
  await t.step("no labels at all", () => {
    assert.equal(isOwned(OWNER, undefined), false);
    assert.equal(isOwned(OWNER, null), false);
  });
  await t.step("a label inherited, not the object's own", () => {
    assert.equal(isOwned(OWNER, Object.create({ [OWNER_LABEL]: "ci" })), false);
  });
  await t.step("without OWNER, anything is owned", () => {
    assert.equal(isOwned(LABEL, undefined), true);
  });
  await t.step("a container without labels, with OWNER", () => {
    assert.equal(containerVisible(OWNER, "/web", null), false);
  });
});

Deno.test("a name selector alone never shows a container it does not name", () => {
  assert.equal(containerVisible(NAMES, "/db", { team: "a" }), false);
  assert.equal(containerVisible(NAMES, "web1", null), true);
  assert.equal(
    containerVisible(NAMES, "//web1", null),
    false,
    "one leading slash only",
  );
});

Deno.test("the owner label and a single label selector both go to the engine, in that order", () => {
  assert.deepEqual(
    engineLabelFilters(
      scope({ owner: "ci", containerLabels: [parseLabelMatcher("team=a")] }),
    ),
    [`${OWNER_LABEL}=ci`, "team=a"],
  );
  assert.equal(
    engineLabelFilters(
      scope({ owner: "ci", containerNames: [compileGlob("w")] }),
    ),
    null,
  );
  assert.deepEqual(engineLabelFilters(scope({ containerLabels: [] })), []);
});

Deno.test("addFilterValues() writes the query out exactly, the filters where the client put them", async (t) => {
  const cases: [string, string, string | null][] = [
    [
      "filters first",
      "?filters=%7B%7D&all=1",
      `?filters=${enc({ label: { a: true } })}&all=1`,
    ],
    [
      "filters last",
      "?all=1&filters=%7B%7D",
      `?all=1&filters=${enc({ label: { a: true } })}`,
    ],
    [
      "filters as a bare key",
      "?filters&all=1",
      `?filters=${enc({ label: { a: true } })}&all=1`,
    ],
    ["no query", "", `?filters=${enc({ label: { a: true } })}`],
    [
      "a query without its ?",
      "all=1",
      `?all=1&filters=${enc({ label: { a: true } })}`,
    ],
    [
      "a raw ? in a value",
      "?x=a?b",
      `?x=a?b&filters=${enc({ label: { a: true } })}`,
    ],
    [
      "a query without its ?, a ? in a value",
      "x=a?b",
      `?x=a?b&filters=${enc({ label: { a: true } })}`,
    ],
    [
      "empty pairs dropped",
      "?&all=1&",
      `?all=1&filters=${enc({ label: { a: true } })}`,
    ],
    [
      "blank filters",
      "?filters=%20%20",
      `?filters=${enc({ label: { a: true } })}`,
    ],
    [
      "label null",
      `?filters=${enc({ label: null })}`,
      `?filters=${enc({ label: { a: true } })}`,
    ],
    [
      "a mixed map: one list makes it legacy",
      `?filters=${enc({ status: { running: true }, health: ["healthy"] })}`,
      `?filters=${enc({ status: { running: true }, health: ["healthy"], label: ["a"] })}`,
    ],
    ["filters null", "?filters=null", null],
    ["filters a number", "?filters=1", null],
    ["filters a string", '?filters="x"', null],
    ["label a number", `?filters=${enc({ label: 1 })}`, null],
    ["label false", `?filters=${enc({ label: false })}`, null],
    ["label a list with a number", `?filters=${enc({ label: ["x", 1] })}`, null],
    ["label an empty list", `?filters=${enc({ label: [] })}`, `?filters=${enc({ label: ["a"] })}`],
  ];
  for (const [name, query, expected] of cases) {
    await t.step(
      name,
      () => assert.equal(addFilterValues(query, "label", ["a"]), expected),
    );
  }
  await t.step(
    "for Podman, the key spelled as the client spelled it is replaced in place",
    () => {
      assert.equal(
        addFilterValues("?FILTERS=%7B%7D&all=1", "label", ["a"], true),
        `?filters=${enc({ label: { a: true } })}&all=1`,
      );
    },
  );
  await t.step("for Podman, other parameters stay where they are", () => {
    assert.equal(
      addFilterValues("?all=1&Filters=%7B%7D", "label", ["a"], true),
      `?all=1&filters=${enc({ label: { a: true } })}`,
    );
    assert.equal(
      addFilterValues("?all=1", "label", ["a"], true),
      `?all=1&filters=${enc({ label: { a: true } })}`,
    );
  });
});

function enc(value: unknown): string {
  return encodeURIComponent(JSON.stringify(value));
}

Deno.test("an event's type, name and labels are read as Docker and Podman write them", async (t) => {
  const cases: [string, Scope, unknown, boolean][] = [
    ["a lowercase type", NAMES, {
      type: "container",
      Actor: { Attributes: { name: "web" } },
    }, true],
    ["no attributes", NAMES, { Type: "container" }, false],
    [
      "no attributes, Podman's name",
      NAMES,
      { Type: "container", Name: "web1" },
      true,
    ],
    ["a name that is not a string", NAMES, {
      Type: "container",
      Actor: { Attributes: { name: 1 } },
    }, false],
    [
      "Docker's attributes win over Podman's",
      NAMES,
      {
        Type: "container",
        Actor: { Attributes: { name: "db" } },
        Attributes: { name: "web" },
      },
      false,
    ],
    [
      "a label that is not a string is no label",
      scope({ containerLabels: [parseLabelMatcher("a")] }),
      { Type: "container", Actor: { Attributes: { name: "x", a: 1 } } },
      false,
    ],
    [
      "a string label is one",
      scope({ containerLabels: [parseLabelMatcher("a")] }),
      { Type: "container", Actor: { Attributes: { name: "x", a: "1" } } },
      true,
    ],
    [
      "Docker's attributes a list: Podman's are read",
      NAMES,
      { Type: "container", Actor: { Attributes: [] }, Attributes: { name: "web" } },
      true,
    ],
    [
      "Docker's attributes a string: Podman's are read",
      NAMES,
      { Type: "container", Actor: { Attributes: "db" }, Attributes: { name: "web" } },
      true,
    ],
    [
      "attributes a list are no labels",
      scope({ containerLabels: [parseLabelMatcher("0")] }),
      { Type: "container", Actor: { Attributes: ["x"] } },
      false,
    ],
    [
      "no name at all is the empty name",
      scope({ containerNames: [compileGlob("")] }),
      { Type: "container", Actor: { Attributes: {} } },
      true,
    ],
    ["null", NAMES, null, false],
    ["an array", NAMES, [{ Type: "container" }], false],
  ];
  for (const [name, s, event, visible] of cases) {
    await t.step(name, () => assert.equal(eventVisible(s, event), visible));
  }
});

Deno.test("the event filter holds one line at most, and refuses a longer one whole", async (t) => {
  const line = (name: string) =>
    JSON.stringify({ Type: "container", Actor: { Attributes: { name } } }) +
    "\n";
  await t.step("a line exactly as long as allowed, still pending", () => {
    const filter = new EventFilter(NAMES);
    const passed: string[] = [];
    filter.feed(
      new Uint8Array(MAX_EVENT_LINE).fill(32),
      (l) => passed.push(decoder.decode(l)),
    );
    filter.feed(
      encoder.encode(line("web")),
      (l) => passed.push(decoder.decode(l)),
    );
    assert.equal(passed.length, 1);
    assert.equal(passed[0].length, MAX_EVENT_LINE + line("web").length);
    assert.equal(passed[0].trim(), line("web").trim());
  });
  await t.step("one byte more", () => {
    const filter = new EventFilter(NAMES);
    filter.feed(new Uint8Array(MAX_EVENT_LINE - 1).fill(32), () => {});
    assert.throws(() => filter.feed(new Uint8Array(2).fill(32), () => {}), {
      name: "Error",
      message: "An event line longer than 1048576 bytes",
    });
  });
  await t.step("lines split across feeds, and several in one", () => {
    const filter = new EventFilter(NAMES);
    const passed: string[] = [];
    const bytes = encoder.encode(line("web1") + line("db") + line("web2"));
    filter.feed(bytes.subarray(0, 10), (l) => passed.push(decoder.decode(l)));
    filter.feed(bytes.subarray(10, 20), (l) => passed.push(decoder.decode(l)));
    filter.feed(bytes.subarray(20), (l) => passed.push(decoder.decode(l)));
    assert.deepEqual(passed, [line("web1"), line("web2")]);
  });
  await t.step("an empty line first, then a line in the same bytes", () => {
    const filter = new EventFilter(NAMES);
    const passed: string[] = [];
    filter.feed(encoder.encode("\n" + line("web")), (l) => passed.push(decoder.decode(l)));
    assert.deepEqual(passed, [line("web")]);
  });
  await t.step("a line with a no-break space before it, which trim() takes as blank", () => {
    const filter = new EventFilter(NAMES);
    const passed: string[] = [];
    filter.feed(encoder.encode("\u00a0" + line("web")), (l) => passed.push(decoder.decode(l)));
    assert.deepEqual(passed, ["\u00a0" + line("web")]);
  });
  await t.step("a complete line passes as it came", () => {
    const filter = new EventFilter(NAMES);
    const passed: string[] = [];
    filter.feed(
      encoder.encode(" " + line("web") + "\n"),
      (l) => passed.push(decoder.decode(l)),
    );
    assert.deepEqual(passed, [" " + line("web")]);
  });
});

Deno.test("answers are rewritten only where the scope says, and nowhere else", async (t) => {
  await t.step("an environment entry that starts with =", () => {
    assert.deepEqual(scrubEnv(["=C:=C:\\", "A"]), [`=${SCRUBBED}`, "A"]);
    assert.equal(scrubEnv("A=1"), "A=1");
    assert.equal(scrubEnv(null), null);
  });
  await t.step("an inspect answer without an environment gets none", () => {
    assert.deepEqual(
      rewriteAnswer("container-inspect", SCRUB, { Config: {} }),
      { Config: {} },
    );
    assert.deepEqual(
      rewriteAnswer("container-inspect", SCRUB, { Config: { Env: null } }),
      {
        Config: { Env: null },
      },
    );
    assert.deepEqual(rewriteAnswer("container-inspect", SCRUB, {}), {});
    assert.equal(rewriteAnswer("container-inspect", SCRUB, null), null);
  });
  await t.step("without SCRUB_ENVS, an inspect answer is left alone", () => {
    assert.deepEqual(
      rewriteAnswer("container-inspect", NAMES, { Config: { Env: ["A=1"] } }),
      {
        Config: { Env: ["A=1"] },
      },
    );
  });
  await t.step("a listed container's name is its first name, a string", () => {
    const list = [
      { Id: "1", Names: "web1" },
      { Id: "2", Names: [1, "/web2"] },
      { Id: "3", Names: ["/web3", "/db"] },
      { Id: "4", Names: ["/db", "/web4"] },
      { Id: "5" },
      null,
    ];
    assert.deepEqual(
      (rewriteAnswer("container-list", NAMES, list) as { Id: string }[]).map((
        c,
      ) => c.Id),
      ["3"],
    );
  });
  await t.step("a listed container whose names are not a list of strings has no name", () => {
    const list = [
      { Id: "1", Names: "wx" },
      { Id: "2", Names: 5 },
      { Id: "3", Names: [] },
      { Id: "4", Names: ["wx"] },
      { Id: "5", Names: ["w"] },
    ];
    const s = scope({ containerNames: ["w", "S*"].map(compileGlob) });
    assert.deepEqual(
      (rewriteAnswer("container-list", s, list) as { Id: string }[]).map((c) => c.Id),
      ["5"],
    );
  });
  await t.step("labels that are a list or a string are no labels", () => {
    const list = [
      { Id: "1", Names: ["/x"], Labels: ["a"] },
      { Id: "2", Names: ["/x"], Labels: "a" },
      { Id: "3", Names: ["/x"], Labels: { "0": "a" } },
    ];
    const s = scope({ containerLabels: [parseLabelMatcher("0")] });
    assert.deepEqual(
      (rewriteAnswer("container-list", s, list) as { Id: string }[]).map((c) => c.Id),
      ["3"],
    );
  });
  await t.step("a listed container's labels are its string labels", () => {
    const list = [
      { Id: "1", Names: ["/x"], Labels: { team: "a" } },
      { Id: "2", Names: ["/x"], Labels: { team: 1 } },
      { Id: "3", Names: ["/x"], Labels: [["team", "a"]] },
    ];
    const anyTeam = scope({ containerLabels: [parseLabelMatcher("team")] });
    assert.deepEqual(
      (rewriteAnswer("container-list", anyTeam, list) as { Id: string }[]).map((
        c,
      ) => c.Id),
      ["1"],
    );
  });
  await t.step("networks and volumes: owned ones only", () => {
    const items = [
      { Name: "a", Labels: { [OWNER_LABEL]: "ci" } },
      { Name: "b", Labels: { [OWNER_LABEL]: 1 } },
      { Name: "c", Labels: null },
      { Name: "d" },
      "e",
    ];
    assert.deepEqual(rewriteAnswer("network-list", OWNER, items), [items[0]]);
    assert.deepEqual(rewriteAnswer("network-list", OWNER, { not: "a list" }), {
      not: "a list",
    });
    assert.deepEqual(
      rewriteAnswer("volume-list", OWNER, { Volumes: items, Warnings: [] }),
      {
        Volumes: [items[0]],
        Warnings: [],
      },
    );
    assert.deepEqual(rewriteAnswer("volume-list", OWNER, { Volumes: null }), {
      Volumes: null,
    });
    assert.deepEqual(rewriteAnswer("volume-list", OWNER, [items[1]]), [
      items[1],
    ]);
    assert.equal(rewriteAnswer("volume-list", OWNER, null), null);
  });
  await t.step(
    "a network's containers: the visible ones, none without the set",
    () => {
      const network = () => ({ Name: "n", Containers: { "1": {}, "2": {} } });
      assert.deepEqual(rewriteAnswer("network-inspect", NAMES, network()), {
        Name: "n",
        Containers: {},
      });
      assert.deepEqual(
        rewriteAnswer("network-inspect", NAMES, network(), new Set(["2"])),
        {
          Name: "n",
          Containers: { "2": {} },
        },
      );
      assert.deepEqual(
        rewriteAnswer("network-inspect", NAMES, { Name: "n" }, new Set(["1"])),
        {
          Name: "n",
        },
      );
      assert.deepEqual(
        rewriteAnswer("network-inspect", NAMES, {
          Name: "n",
          Containers: ["1"],
        }, new Set(["1"])),
        { Name: "n", Containers: ["1"] },
      );
      assert.equal(
        rewriteAnswer("network-inspect", NAMES, null, new Set(["1"])),
        null,
      );
    },
  );
  await t.step("services: one or a list, their spec and previous spec", () => {
    const spec = () => ({
      TaskTemplate: { ContainerSpec: { Env: ["K=v"], Image: "x" } },
    });
    const scrubbed = {
      TaskTemplate: { ContainerSpec: { Env: [`K=${SCRUBBED}`], Image: "x" } },
    };
    assert.deepEqual(
      rewriteAnswer("service", SCRUB, { Spec: spec(), PreviousSpec: spec() }),
      {
        Spec: scrubbed,
        PreviousSpec: scrubbed,
      },
    );
    assert.deepEqual(
      rewriteAnswer("service", SCRUB, [{ PreviousSpec: spec() }, {
        Spec: spec(),
      }]),
      [
        { PreviousSpec: scrubbed },
        { Spec: scrubbed },
      ],
    );
    assert.deepEqual(
      rewriteAnswer("service", SCRUB, { Spec: { TaskTemplate: null } }),
      {
        Spec: { TaskTemplate: null },
      },
    );
  });
  await t.step("tasks: one or a list", () => {
    const task = () => ({ Spec: { ContainerSpec: { Env: ["K=v"] } } });
    const scrubbed = { Spec: { ContainerSpec: { Env: [`K=${SCRUBBED}`] } } };
    assert.deepEqual(rewriteAnswer("task", SCRUB, [task(), task()]), [
      scrubbed,
      scrubbed,
    ]);
    assert.deepEqual(rewriteAnswer("task", SCRUB, task()), scrubbed);
  });
});

Deno.test("bodyContainer() takes the last key Go would read, and only a string", () => {
  assert.equal(
    bodyContainer(encoder.encode('{"Container":"a","container":"b"}')),
    "b",
  );
  assert.equal(
    bodyContainer(encoder.encode('{"Container":"a","Other":"b"}')),
    "a",
  );
  assert.equal(bodyContainer(encoder.encode("{}")), null);
  assert.equal(bodyContainer(encoder.encode('"web"')), null);
  assert.equal(bodyContainer(encoder.encode('{"Container":null}')), null);
});

Deno.test("labelBody() refuses with whole messages, and writes the body out exactly", async (t) => {
  const label = (body: string, field = "Labels") =>
    decoder.decode(labelBody(encoder.encode(body), field, "ci"));
  const own = `"${OWNER_LABEL}":"ci"`;
  await t.step("the owner label goes last, other labels kept in order", () => {
    assert.equal(
      label(`{"Labels":{${own},"a":"1","b":"2"},"Image":"x"}`),
      `{"Image":"x","Labels":{"a":"1","b":"2",${own}}}`,
    );
  });
  await t.step(
    "a label key that only folds to the owner label is another label",
    () => {
      assert.equal(
        label(`{"Labels":{"Socket-Proxy.Owner":"x"}}`),
        `{"Labels":{"Socket-Proxy.Owner":"x",${own}}}`,
      );
    },
  );
  await t.step("the field under the key the client spelled", () => {
    assert.equal(label('{"LABELS":{"a":"1"}}'), `{"LABELS":{"a":"1",${own}}}`);
    assert.equal(label("{}", "labels"), `{"labels":{${own}}}`);
  });
  await t.step("an empty object body", () => {
    assert.equal(label("{}"), `{"Labels":{${own}}}`);
  });
  const refused: [string, string, number, string][] = [
    [
      "labels not a map",
      '{"Labels":"a"}',
      400,
      "Labels must be a map of labels",
    ],
    [
      "labels not a map, as spelled",
      '{"labels":[]}',
      400,
      "labels must be a map of labels",
    ],
    [
      "another owner",
      `{"Labels":{"${OWNER_LABEL}":"other"}}`,
      403,
      `Labels holds ${OWNER_LABEL}="other": a client may not create objects for another owner`,
    ],
    [
      "two spellings",
      '{"Labels":{},"labels":{},"LABELS":{}}',
      400,
      'Keys "Labels" and "labels" and "LABELS" name the same field: send one',
    ],
    ["not an object", '"x"', 400, "The body must be a JSON object"],
    ["null", "null", 400, "The body must be a JSON object"],
  ];
  for (const [name, body, status, message] of refused) {
    await t.step(`refused: ${name}`, () => {
      assert.deepEqual(
        ownerError(() => labelBody(encoder.encode(body), "Labels", "ci")),
        {
          status,
          message,
        },
      );
    });
  }
  await t.step("refused: malformed JSON, with the decoder's reason", () => {
    const { status, message } = ownerError(() => labelBody(encoder.encode("{"), "Labels", "ci"));
    assert.equal(status, 400);
    assert.equal(
      message,
      "Invalid JSON body: Invalid JSON at offset 1: expected a key, found end of body",
    );
  });
  await t.step("the create operations and where their labels are", () => {
    assert.deepEqual(OWNER_FIELDS, {
      ContainerCreate: "Labels",
      NetworkCreate: "Labels",
      VolumeCreate: "Labels",
      LibpodContainerCreate: "labels",
    });
  });
});

Deno.test("labelBuildQuery() writes the query out exactly, and refuses with whole messages", async (t) => {
  const owner = (labels: Record<string, string>) =>
    "labels=" +
    encodeURIComponent(JSON.stringify({ ...labels, [OWNER_LABEL]: "ci" }));
  const cases: [string, string, string][] = [
    ["no query", "", `?${owner({})}`],
    ["an empty labels parameter", "?labels=&t=x", `?t=x&${owner({})}`],
    ["labels as a bare key", "?labels&t=x", `?t=x&${owner({})}`],
    [
      "labels spelled with an escape",
      `?label%73=${enc({ a: "1" })}&t=x`,
      `?t=x&${owner({ a: "1" })}`,
    ],
    ["empty pairs dropped", "?&t=x&", `?t=x&${owner({})}`],
    ["a query without its ?", "t=x", `?t=x&${owner({})}`],
    ["a raw ? in a value", "?t=a?b", `?t=a?b&${owner({})}`],
    ["a query without its ?, a ? in a value", "t=a?b", `?t=a?b&${owner({})}`],
    ["null labels", "?labels=null", `?${owner({})}`],
  ];
  for (const [name, query, expected] of cases) {
    await t.step(
      name,
      () => assert.equal(labelBuildQuery(query, "ci"), expected),
    );
  }
  const refused: [string, string, number, string][] = [
    [
      "given twice",
      "?labels=%7B%7D&labels=%7B%7D",
      400,
      "labels is given more than once: send it once",
    ],
    [
      "a malformed query",
      "?a=1;b=2",
      400,
      "Query holds a ';', which engines read differently: use '&'",
    ],
    ["not a map", "?labels=%5B%5D", 400, "labels must be a map of labels"],
    [
      "labels under another case, which podman would read as labels",
      `?Labels=${enc({ [OWNER_LABEL]: "x" })}`,
      400,
      "Labels is not labels: send the labels as labels",
    ],
    ["LABELS", "?LABELS=%7B%7D", 400, "LABELS is not labels: send the labels as labels"],
    [
      "another owner",
      `?labels=${enc({ [OWNER_LABEL]: "x" })}`,
      403,
      `labels holds ${OWNER_LABEL}="x": a client may not create objects for another owner`,
    ],
  ];
  for (const [name, query, status, message] of refused) {
    await t.step(`refused: ${name}`, () => {
      assert.deepEqual(ownerError(() => labelBuildQuery(query, "ci")), {
        status,
        message,
      });
    });
  }
  await t.step(
    "refused: labels that are not JSON, with the decoder's reason",
    () => {
      const { status, message } = ownerError(() => labelBuildQuery("?labels=%7B", "ci"));
      assert.equal(status, 400);
      assert.equal(
        message,
        "Invalid labels: Invalid JSON at offset 1: expected a key, found end of body",
      );
    },
  );
});

Deno.test("stringifyGoJson() writes every kind of value", () => {
  assert.equal(stringifyGoJson(null), "null");
  assert.equal(stringifyGoJson(false), "false");
  assert.equal(stringifyGoJson(true), "true");
  assert.equal(stringifyGoJson('a"b'), '"a\\"b"');
  assert.equal(stringifyGoJson([]), "[]");
  assert.equal(stringifyGoJson(new GoJsonObject([])), "{}");
  assert.equal(
    stringifyGoJson(new GoJsonObject([{ key: "k", value: [true, null, "x"] }])),
    '{"k":[true,null,"x"]}',
  );
});

function plan(s: Scope, method: string, path: string): ScopePlan {
  const target = parseRequestTarget(path) as RequestTarget;
  const match = routeMatcher().match(method, target.segments);
  assert.ok(match !== null, `${method} ${path} is a route`);
  return scopePlan(s, match);
}

const NOTHING: ScopePlan = {
  refuse: null,
  object: null,
  queryContainer: null,
  bodyContainer: false,
  labelFilters: null,
  label: null,
  rewrite: null,
  events: false,
};

const SHOWS_ALL =
  "would show containers outside the profile's scope, and the proxy cannot filter it";
const PRUNE = "would prune containers outside the profile's scope: its selectors cannot be given " +
  "to the engine as filters (use OWNER, or a single CONTAINER_LABELS label)";
const LIBPOD = "is a libpod route that names pods, networks or volumes, which a scoped profile " +
  "may not use";

Deno.test("scopePlan() gives each route its whole plan", async (t) => {
  const owned = [`${OWNER_LABEL}=ci`];
  const cases: [string, Scope, string, string, Partial<ScopePlan> | null][] = [
    ["containers by label", LABEL, "GET", "/containers/json", {
      rewrite: "container-list",
      labelFilters: ["team=a"],
    }],
    ["containers, scrubbing only", SCRUB, "GET", "/containers/json", null],
    [
      "libpod containers, scrubbing only",
      SCRUB,
      "GET",
      "/libpod/containers/json",
      null,
    ],
    ["events, scrubbing only", SCRUB, "GET", "/events", null],
    ["libpod events, scrubbing only", SCRUB, "GET", "/libpod/events", null],
    ["libpod events", OWNER, "GET", "/libpod/events", { events: true }],
    [
      "inspect, hiding and scrubbing",
      scope({ owner: "ci", scrubEnvs: true }),
      "GET",
      "/containers/x/json",
      {
        object: { kind: "container", param: "name" },
        rewrite: "container-inspect",
      },
    ],
    ["libpod inspect, hiding", OWNER, "GET", "/libpod/containers/x/json", {
      object: { kind: "container", param: "name" },
    }],
    ["services, hiding only", OWNER, "GET", "/services", null],
    ["a service, hiding only", OWNER, "GET", "/services/x", null],
    ["tasks, hiding only", OWNER, "GET", "/tasks", null],
    ["a task, hiding only", OWNER, "GET", "/tasks/x", null],
    ["services, scrubbing", SCRUB, "GET", "/services", { rewrite: "service" }],
    ["a task, scrubbing", SCRUB, "GET", "/tasks/x", { rewrite: "task" }],
    [
      "a route scrubbing has no part in",
      SCRUB,
      "POST",
      "/containers/x/kill",
      null,
    ],
    ["system df", OWNER, "GET", "/system/df", { refuse: SHOWS_ALL }],
    ["libpod system df", OWNER, "GET", "/libpod/system/df", {
      refuse: SHOWS_ALL,
    }],
    ["libpod stats", OWNER, "GET", "/libpod/containers/stats", {
      refuse: SHOWS_ALL,
    }],
    ["libpod showmounted", OWNER, "GET", "/libpod/containers/showmounted", {
      refuse: SHOWS_ALL,
    }],
    ["libpod generate kube", OWNER, "GET", "/libpod/generate/kube", {
      refuse: SHOWS_ALL,
    }],
    ["libpod kube generate", OWNER, "GET", "/libpod/kube/generate", {
      refuse: SHOWS_ALL,
    }],
    ["libpod system prune", OWNER, "POST", "/libpod/system/prune", {
      refuse: SHOWS_ALL,
    }],
    ["build prune", OWNER, "POST", "/build/prune", { refuse: SHOWS_ALL }],
    ["a container", NAMES, "POST", "/containers/x/start", {
      object: { kind: "container", param: "name" },
    }],
    ["an exec", NAMES, "POST", "/libpod/exec/x/start", {
      object: { kind: "exec", param: "id" },
    }],
    ["a container created, with OWNER", OWNER, "POST", "/containers/create", {
      label: "body",
    }],
    [
      "a container created, without OWNER",
      NAMES,
      "POST",
      "/containers/create",
      null,
    ],
    [
      "a libpod container created, without OWNER",
      LABEL,
      "POST",
      "/libpod/containers/create",
      null,
    ],
    ["a prune by label", LABEL, "POST", "/containers/prune", {
      labelFilters: ["team=a"],
    }],
    ["a libpod prune by owner", OWNER, "POST", "/libpod/containers/prune", {
      labelFilters: owned,
    }],
    ["a libpod prune by name", NAMES, "POST", "/libpod/containers/prune", {
      refuse: PRUNE,
    }],
    ["a prune by two labels", TWO_LABELS, "POST", "/containers/prune", {
      refuse: PRUNE,
    }],
    ["a commit", NAMES, "POST", "/commit", { queryContainer: "container" }],
    ["a libpod commit", NAMES, "POST", "/libpod/commit", {
      queryContainer: "container",
    }],
    ["libpod pods", OWNER, "GET", "/libpod/pods/json", { refuse: LIBPOD }],
    ["libpod networks", NAMES, "GET", "/libpod/networks/json", {
      refuse: LIBPOD,
    }],
    ["libpod volumes", NAMES, "GET", "/libpod/volumes/json", {
      refuse: LIBPOD,
    }],
    ["libpod play", NAMES, "POST", "/libpod/play/kube", { refuse: LIBPOD }],
    ["libpod images", OWNER, "GET", "/libpod/images/json", null],
    ["network disconnect", OWNER, "POST", "/networks/n/disconnect", {
      bodyContainer: true,
      object: { kind: "network", param: "id" },
    }],
    [
      "network disconnect, without OWNER",
      NAMES,
      "POST",
      "/networks/n/disconnect",
      {
        bodyContainer: true,
      },
    ],
    ["network inspect", OWNER, "GET", "/networks/n", {
      rewrite: "network-inspect",
      object: { kind: "network", param: "id" },
    }],
    ["network prune", OWNER, "POST", "/networks/prune", {
      labelFilters: owned,
    }],
    ["image prune", OWNER, "POST", "/images/prune", { labelFilters: owned }],
    ["volume prune", OWNER, "POST", "/volumes/prune", { labelFilters: owned }],
    ["volume prune, without OWNER", LABEL, "POST", "/volumes/prune", null],
    ["network list", OWNER, "GET", "/networks", {
      rewrite: "network-list",
      labelFilters: owned,
    }],
    ["volume list", OWNER, "GET", "/volumes", {
      rewrite: "volume-list",
      labelFilters: owned,
    }],
    ["network create", OWNER, "POST", "/networks/create", { label: "body" }],
    ["volume create", OWNER, "POST", "/volumes/create", { label: "body" }],
    ["build", OWNER, "POST", "/build", { label: "labels-query" }],
    ["network delete", OWNER, "DELETE", "/networks/n", {
      object: { kind: "network", param: "id" },
    }],
    ["volume inspect", OWNER, "GET", "/volumes/v", {
      object: { kind: "volume", param: "name" },
    }],
    ["volume delete", OWNER, "DELETE", "/volumes/v", {
      object: { kind: "volume", param: "name" },
    }],
    ["volume update", OWNER, "PUT", "/volumes/v", {
      object: { kind: "volume", param: "name" },
    }],
    ["image delete", OWNER, "DELETE", "/images/i", {
      object: { kind: "image", param: "name" },
    }],
    ["image tag", OWNER, "POST", "/images/i/tag", {
      object: { kind: "image", param: "name" },
    }],
    ["image push", OWNER, "POST", "/images/i/push", {
      object: { kind: "image", param: "name" },
    }],
    ["image inspect", OWNER, "GET", "/images/i/json", null],
    ["info", OWNER, "GET", "/info", null],
  ];
  for (const [name, s, method, path, expected] of cases) {
    await t.step(`${name}: ${method} ${path}`, () => {
      const got = plan(s, method, path);
      if (expected === null) {
        assert.ok(isNothing(got), JSON.stringify(got));
      } else {
        assert.deepEqual(got, { ...NOTHING, ...expected });
        assert.equal(isNothing(got), false);
      }
    });
  }
});

Deno.test("a plan that only looks like doing nothing is not nothing", () => {
  assert.equal(isNothing({ ...NOTHING }), false);
});

Deno.test("fillTemplate() leaves a missing parameter empty", () => {
  assert.equal(fillTemplate("/volumes/{name:.*}", {}), "/volumes/");
  assert.equal(
    fillTemplate("/a/{x}/b/{y:[^/]+}", { x: "1", y: "2" }),
    "/a/1/b/2",
  );
  assert.equal(fillTemplate("/a/{x}", { x: "{y}" }), "/a/{y}");
});
