import assert from "node:assert/strict";
import { compileArgvPattern, formatArgv } from "../../../lib/policy/argv_pattern.ts";
import {
  BodyConstraintError,
  type BodySpec,
  compileBodyConstraint,
} from "../../../lib/policy/body_constraint.ts";
import { BODY_KINDS, BodyError, readBodyFacts } from "../../../lib/policy/body_fields.ts";
import { compileImagePattern, normalizeImage } from "../../../lib/policy/image_reference.ts";

const encoder = new TextEncoder();

function compile(operation: string, spec: BodySpec) {
  return compileBodyConstraint(spec, [operation], [BODY_KINDS[operation]]);
}

function facts(operation: string, body: unknown) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return readBodyFacts(BODY_KINDS[operation], encoder.encode(text));
}

function check(operation: string, spec: BodySpec, body: unknown): string | null {
  return compile(operation, spec).check(facts(operation, body));
}

function compileError(operation: string, spec: BodySpec): string {
  try {
    compile(operation, spec);
  } catch (error) {
    assert.ok(error instanceof BodyConstraintError);
    assert.equal(error.name, "BodyConstraintError");
    return error.message;
  }
  throw new Error("compiled");
}

function bodyError(operation: string, body: string): BodyError {
  try {
    facts(operation, body);
  } catch (error) {
    assert.ok(error instanceof BodyError);
    assert.equal(error.name, "BodyError");
    return error;
  }
  throw new Error("read");
}

Deno.test("argv patterns: ** inside an argument, the rest, long argvs in messages", () => {
  assert.equal(compileArgvPattern(["x**y"]).test(["x/a b/y"]), true);
  assert.equal(compileArgvPattern(["x**y"]).test(["x/a;y"]), false);
  assert.equal(compileArgvPattern(["x**y"]).test(["x/a b/z"]), false, "what follows ** counts");
  assert.equal(compileArgvPattern(["a", "b", "**"]).test(["a", "c"]), false);
  assert.equal(compileArgvPattern(["a", "b", "**"]).test(["a", "b"]), true);
  assert.equal(compileArgvPattern(["a", "b", "**"]).test(["a"]), false);
  assert.equal(compileArgvPattern(["a"]).test(["a", "b"]), false);
  assert.equal(compileArgvPattern(["a", "b"]).test(["a"]), false);
  assert.equal(compileArgvPattern([]).test([]), true);
  assert.equal(compileArgvPattern([]).test(["a"]), false);
  assert.equal(compileArgvPattern(["a", "**"]).text, "[a, **]");
  assert.equal(formatArgv(["a"]), '["a"]');
  const long = formatArgv(["x".repeat(300)]);
  assert.equal(long.length, 201);
  assert.equal(long, '["' + "x".repeat(194) + '..."]');
  assert.equal(formatArgv(["x".repeat(196)]).length, 200, "exactly 200 is kept");
  assert.equal(formatArgv(["x".repeat(196)]), '["' + "x".repeat(196) + '"]');
});

Deno.test("body constraint messages, exactly", async (t) => {
  const cases: [string, string, BodySpec, unknown, string | null][] = [
    [
      "Cmd",
      "ContainerExec",
      { Cmd: [["a"], null] },
      { Cmd: ["b"] },
      'Cmd ["b"] matches none of [[a], null]',
    ],
    ["Cmd null is absent only", "ContainerExec", { Cmd: null }, {}, null],
    [
      "Cmd null refuses a command",
      "ContainerExec",
      { Cmd: null },
      { Cmd: ["a"] },
      'Cmd ["a"] matches none of [null]',
    ],
    [
      "Entrypoint",
      "ContainerCreate",
      { Entrypoint: [["/e"]] },
      { Image: "x", Entrypoint: ["/f"] },
      'Entrypoint ["/f"] matches none of [[/e]]',
    ],
    [
      "Entrypoint absent",
      "ContainerCreate",
      { Entrypoint: [["/e"]] },
      { Image: "x" },
      "Entrypoint is not given",
    ],
    [
      "User, long",
      "ContainerExec",
      { User: "a" },
      { Cmd: ["x"], User: "u".repeat(100) },
      `User "${"u".repeat(80)}..." is none of [a]`,
    ],
    [
      "User, 80 characters",
      "ContainerExec",
      { User: "a" },
      { Cmd: ["x"], User: "u".repeat(80) },
      `User "${"u".repeat(80)}" is none of [a]`,
    ],
    [
      "User, another of the list",
      "ContainerExec",
      { User: ["a", "b"] },
      { Cmd: ["x"], User: "b" },
      null,
    ],
    [
      "WorkingDir absent",
      "ContainerExec",
      { WorkingDir: "/w" },
      { Cmd: ["x"] },
      "WorkingDir absent is none of [/w]",
    ],
    [
      "Image",
      "ContainerCreate",
      { Image: ["a", "b*"] },
      { Image: "q" },
      'Image "q" (docker.io/library/q:latest) matches none of [a, b*]',
    ],
    [
      "Env",
      "ContainerExec",
      { Env: ["A", "B"] },
      { Cmd: ["x"], Env: ["C=1", "D"] },
      'Env sets "C", "D", not in [A, B]',
    ],
    [
      "Env none",
      "ContainerExec",
      { Env: null },
      { Cmd: ["x"], Env: ["C=1"] },
      'Env sets "C", and the rule allows no Env',
    ],
    ["Env name without =", "ContainerExec", { Env: ["FOO"] }, { Cmd: ["x"], Env: ["FOO"] }, null],
    [
      "Env name with a later =",
      "ContainerExec",
      { Env: ["FOO"] },
      { Cmd: ["x"], Env: ["FOO=a=b"] },
      null,
    ],
    ["Labels", "ContainerCreate", { Labels: { a: "x*", b: null } }, {
      Image: "i",
      Labels: { a: "y", b: "1" },
    }, 'Labels a is "y", not x*, Labels has b'],
    ["a label any value matches must be there", "ContainerCreate", { Labels: { a: "*" } }, {
      Image: "i",
    }, "Labels a is absent, not *"],
    ["Labels absent ones pass", "ContainerCreate", { Labels: { b: null } }, { Image: "i" }, null],
    ["Labels matching passes", "ContainerCreate", { Labels: { a: "x*" } }, {
      Image: "i",
      Labels: { a: "xy" },
    }, null],
    [
      "Entrypoint under a Cmd rule",
      "ContainerCreate",
      { Cmd: [["a"]] },
      { Image: "i", Cmd: ["a"], Entrypoint: ["e"] },
      'Entrypoint ["e"] is set, and the engine would run it with Cmd as its arguments: the rule constrains Cmd only (add Entrypoint: to it)',
    ],
    [
      "healthcheck under an Entrypoint rule",
      "ContainerCreate",
      { Entrypoint: [["e"]] },
      { Image: "i", Entrypoint: ["e"], Healthcheck: { Test: ["CMD", "x"] } },
      'its healthcheck runs ["CMD","x"] in the container, and the rule allows only the commands it names',
    ],
    ["a healthcheck without a rule on commands", "ContainerCreate", { User: [null] }, {
      Image: "i",
      Healthcheck: {
        Test: ["CMD", "x"],
        Interval: 1,
        Timeout: 1,
        StartPeriod: 1,
        StartInterval: 1,
        Retries: 1,
      },
    }, null],
    [
      "a startup healthcheck",
      "LibpodContainerCreate",
      { Cmd: [["a"]] },
      {
        image: "docker.io/library/i",
        command: ["a"],
        startupHealthConfig: { Test: ["CMD", "x"], Successes: 1 },
      },
      'its healthcheck runs ["CMD","x"] in the container, and the rule allows only the commands it names',
    ],
    ["an empty healthcheck inherits", "ContainerCreate", { Cmd: [["a"]] }, {
      Image: "i",
      Cmd: ["a"],
      Healthcheck: { Test: [] },
    }, null],
    ["libpod's privileged", "LibpodContainerCreate", { Image: "**" }, {
      image: "docker.io/library/i",
      privileged: true,
    }, null],
  ];
  for (const [name, operation, spec, body, message] of cases) {
    await t.step(name, () => assert.equal(check(operation, spec, body), message));
  }
});

Deno.test("body constraint texts, exactly", () => {
  assert.equal(
    compile("ContainerCreate", {
      Cmd: [["a", "**"], null],
      Image: ["x", "y"],
      Env: ["A", "B"],
      Labels: { a: "x*", b: null },
    }).text,
    "Cmd in [[a, **], null], Image in [x, y], Env names in [A, B], Labels a=x*, !b",
  );
  assert.equal(compile("ContainerExec", { Env: null, Tty: true }).text, "without Env, Tty=true");
  assert.deepEqual(compile("ContainerExec", { Env: null, Tty: true }).fields, ["Env", "Tty"]);
});

Deno.test("body constraint specs, refused exactly", async (t) => {
  const cases: [string, string, BodySpec, string][] = [
    [
      "Cmd empty",
      "ContainerExec",
      { Cmd: [] },
      'body.Cmd must be a list of argv patterns such as [[pg_dump, "**"], [nginx, -s, reload]], or null',
    ],
    [
      "Entrypoint not a list",
      "ContainerCreate",
      { Entrypoint: "e" },
      "body.Entrypoint must be a list of argv patterns such as [[/entry.sh]], or null",
    ],
    [
      "Cmd with a number",
      "ContainerExec",
      { Cmd: [["a", 1]] },
      'body.Cmd must be a list of argv patterns such as [[pg_dump, "**"], [nginx, -s, reload]] (each a list of arguments), not ["a",1]',
    ],
    [
      "User empty text",
      "ContainerExec",
      { User: [""] },
      'body.User must be a text, null, or a list of them, not ""',
    ],
    [
      "User number",
      "ContainerExec",
      { User: 1 },
      "body.User must be a text, null, or a list of them, not 1",
    ],
    [
      "Image empty text",
      "ContainerCreate",
      { Image: ["x", ""] },
      'body.Image must be an image pattern or a list of them, such as ["ghcr.io/acme/**"]',
    ],
    [
      "Image number",
      "ContainerCreate",
      { Image: ["x", 1] },
      'body.Image must be an image pattern or a list of them, such as ["ghcr.io/acme/**"]',
    ],
    [
      "Image text empty",
      "ContainerCreate",
      { Image: "" },
      'body.Image must be an image pattern or a list of them, such as ["ghcr.io/acme/**"]',
    ],
    [
      "Env empty name",
      "ContainerExec",
      { Env: ["A", ""] },
      "body.Env must be a list of variable names (globs such as PG*), or null for none",
    ],
    [
      "Env number",
      "ContainerExec",
      { Env: ["A", 1] },
      "body.Env must be a list of variable names (globs such as PG*), or null for none",
    ],
    [
      "Labels null",
      "ContainerCreate",
      { Labels: null },
      'body.Labels must be a map of labels to globs or null, such as { job: "*" }',
    ],
    [
      "Labels text",
      "ContainerCreate",
      { Labels: "a" },
      'body.Labels must be a map of labels to globs or null, such as { job: "*" }',
    ],
    [
      "Labels list",
      "ContainerCreate",
      { Labels: ["a"] },
      'body.Labels must be a map of labels to globs or null, such as { job: "*" }',
    ],
    ["Labels empty", "ContainerCreate", { Labels: {} }, "body.Labels is empty"],
    [
      "Labels number",
      "ContainerCreate",
      { Labels: { a: 1 } },
      "body.Labels a must be a text (glob) or null, not 1",
    ],
    [
      "Privileged on a create",
      "ContainerCreate",
      { Privileged: false },
      "body.Privileged is not a field of ContainerCreate's body (it has: Image, Cmd, Entrypoint, User, Tty, Env, WorkingDir, Labels)",
    ],
    [
      "Image on a libpod exec",
      "LibpodContainerExec",
      { Image: "x" },
      "body.Image is not a field of LibpodContainerExec's body (it has: Cmd, User, Privileged, Tty, Env, WorkingDir)",
    ],
    [
      "User on a service",
      "ServiceCreate",
      { User: "x" },
      "body.User is not a field of ServiceCreate's body (it has: Image)",
    ],
    [
      "Labels on a libpod create",
      "LibpodContainerCreate",
      { Privileged: true },
      "body.Privileged is not a field of LibpodContainerCreate's body (it has: Image, Cmd, Entrypoint, User, Tty, Env, WorkingDir, Labels)",
    ],
  ];
  for (const [name, operation, spec, message] of cases) {
    await t.step(name, () => assert.equal(compileError(operation, spec), message));
  }
  await t.step("every spelling suggests its field", () => {
    const spellings: [string, string][] = [
      ["command", "Cmd"],
      ["cmd", "Cmd"],
      ["entrypoint", "Entrypoint"],
      ["image", "Image"],
      ["user", "User"],
      ["work_dir", "WorkingDir"],
      ["workingdir", "WorkingDir"],
      ["WORKINGDIR", "WorkingDir"],
      ["privileged", "Privileged"],
      ["terminal", "Tty"],
      ["tty", "Tty"],
      ["env", "Env"],
      ["labels", "Labels"],
    ];
    for (const [spelling, field] of spellings) {
      assert.match(
        compileError("ContainerCreate", { [spelling]: null }),
        new RegExp(`^Unknown body field "${spelling}" \\(did you mean ${field}\\?\\) \\(valid: `),
      );
    }
    assert.equal(
      compileError("ContainerCreate", { Nothing: null }),
      'Unknown body field "Nothing" (valid: Cmd, Entrypoint, Image, User, WorkingDir, Privileged, Tty, Env, Labels)',
    );
  });
});

Deno.test("bodies read by kind, field by field", async (t) => {
  await t.step("a create's facts", () => {
    const create = facts("ContainerCreate", {
      Image: "i",
      WorkingDir: "/w",
      Tty: true,
      Privileged: true, // a root-level HostConfig field, which admission checks
    });
    assert.equal(create.workingDir, "/w");
    assert.equal(create.tty, true);
    assert.equal(create.privileged, false, "a create's Privileged is admission's business");
    assert.equal(create.entrypoint, null);
  });
  await t.step("libpod's facts", () => {
    const spec = facts("LibpodContainerCreate", {
      image: "docker.io/library/i",
      privileged: true,
      raw_image_name: "docker.io/library/i",
    });
    assert.equal(spec.privileged, true);
    assert.equal(spec.imageError, null, "a raw_image_name equal to image");
    assert.equal(
      facts("LibpodContainerCreate", { image: "docker.io/library/i", raw_image_name: "evil" })
        .imageError,
      'raw_image_name "evil" differs from image "docker.io/library/i"',
    );
    assert.equal(bodyError("LibpodContainerCreate", '{"entrypoint":"sh"}').status, 400);
    assert.equal(bodyError("LibpodContainerCreate", '{"Rootfs":1}').status, 400);
  });
  await t.step("a service's facts", () => {
    const service = facts("ServiceCreate", { TaskTemplate: { ContainerSpec: { Image: "x" } } });
    assert.deepEqual(
      [service.privileged, service.tty, service.env, service.user, service.cmd],
      [false, false, [], null, null],
    );
    const runs = (task: unknown) => facts("ServiceCreate", { TaskTemplate: task }).imageError;
    const plugin = "TaskTemplate runs a plugin or attachment, not a container image";
    assert.equal(runs({ Runtime: "plugin" }), plugin);
    assert.equal(runs({ Runtime: "attachment" }), plugin);
    assert.equal(runs({ PluginSpec: { Name: "x" } }), plugin);
    assert.equal(runs({ PluginSpec: null, ContainerSpec: { Image: "x" } }), null);
    assert.equal(runs({ Runtime: "container", ContainerSpec: { Image: "x" } }), null);
    assert.equal(runs({ ContainerSpec: { Image: "x" } }), null);
  });
  await t.step("blank bodies are empty objects", () => {
    for (const blank of ["", " ", "\n", "\r", "\t", " \r\n\t "]) {
      assert.equal(facts("ContainerExec", blank).cmd, null, JSON.stringify(blank));
    }
    assert.equal(readBodyFacts("exec", null).cmd, null);
    assert.equal(bodyError("ContainerExec", "x").status, 400);
    assert.equal(bodyError("ContainerExec", " x").status, 400);
    assert.equal(bodyError("ContainerExec", "\nx").status, 400);
    assert.equal(bodyError("ContainerExec", "\rx").status, 400);
    assert.equal(bodyError("ContainerExec", "\tx").status, 400);
  });
  await t.step("errors, exactly", () => {
    const unknown = bodyError("ContainerExec", '{"Bogus":1}');
    assert.equal(unknown.status, 403);
    assert.equal(
      unknown.message,
      "its body has the field Bogus, which the proxy does not know: a body rule vouches only " +
        "for bodies it reads whole",
    );
    const json = bodyError("ContainerExec", "[");
    assert.equal(json.status, 400);
    assert.equal(json.message, "Invalid JSON at offset 1: expected a value, found end of body");
  });
});

Deno.test("image references, as distribution parses them", async (t) => {
  const cases: [string, string][] = [
    ["my.image", "docker.io/library/my.image:latest"],
    ["a.b/app", "a.b/app:latest"],
    ["reg.a/app", "reg.a/app:latest"],
    ["acme/app.v2", "docker.io/acme/app.v2:latest"],
    ["localhost/app", "localhost/app:latest"],
    ["Registry/app", "Registry/app:latest"],
    ["my-registry.example.com/app:1", "my-registry.example.com/app:1"],
    ["[::1]:5000/app", "[::1]:5000/app:latest"],
    ["x:" + "t".repeat(128), "docker.io/library/x:" + "t".repeat(128)],
    ["x:_t", "docker.io/library/x:_t"],
    ["x@sha256:" + "a".repeat(64), "docker.io/library/x@sha256:" + "a".repeat(64)],
    ["x@sha256+b.c_d:" + "a".repeat(32), "docker.io/library/x@sha256+b.c_d:" + "a".repeat(32)],
    ["x@sha+bc:" + "a".repeat(32), "docker.io/library/x@sha+bc:" + "a".repeat(32)],
    ["a/" + "b".repeat(243), "docker.io/a/" + "b".repeat(243) + ":latest"],
  ];
  for (const [reference, name] of cases) {
    await t.step(
      reference.slice(0, 40),
      () => assert.deepEqual(normalizeImage(reference), { name }),
    );
  }
  const errors: [string, string][] = [
    ["x:-t", '"x:-t" has an invalid tag'],
    ["x:" + "t".repeat(129), `"x:${"t".repeat(129)}" has an invalid tag`],
    ["x:t!", '"x:t!" has an invalid tag'],
    ["x@sha256:abc", `"x@sha256:abc" has an invalid digest`],
    ["@abc", '"@abc" has an invalid digest'],
    ["x@sha256:" + "a".repeat(64) + "!", `"x@sha256:${"a".repeat(64)}!" has an invalid digest`],
    ["x@!sha256:" + "a".repeat(64), `"x@!sha256:${"a".repeat(64)}" has an invalid digest`],
    ["x@sha256..b:" + "a".repeat(64), `"x@sha256..b:${"a".repeat(64)}" has an invalid digest`],
    ["x@sha256.B:" + "a".repeat(64), `"x@sha256.B:${"a".repeat(64)}" has an invalid digest`],
    ["-bad.com/app", '"-bad.com/app" is no valid image reference (names are lower case)'],
    ["bad-.com/app", '"bad-.com/app" is no valid image reference (names are lower case)'],
    ["bad.com:x/app", '"bad.com:x/app" is no valid image reference (names are lower case)'],
    ["a..b/app", '"a..b/app" is no valid image reference (names are lower case)'],
    ["a/" + "b".repeat(244), `"a/${"b".repeat(244)}" is longer than 255 characters`],
    [
      "abc",
      '"abc" may name an image by its ID (or a prefix of one), which no name pattern can vouch for: name the image',
    ],
  ];
  for (const [reference, error] of errors) {
    await t.step(`${reference.slice(0, 40)} is refused`, () => {
      assert.deepEqual(normalizeImage(reference), { error });
    });
  }
  await t.step("podman's short names", () => {
    assert.deepEqual(normalizeImage("nginx", false), {
      error: '"nginx" names no registry, and podman resolves such a name through its search ' +
        "registries and local images: give the full name (docker.io/library/...)",
    });
    assert.deepEqual(normalizeImage("docker.io/nginx", false), {
      name: "docker.io/library/nginx:latest",
    });
  });
});

Deno.test("image patterns are filled in as references are", async (t) => {
  const cases: [string, string, boolean][] = [
    ["**", "ghcr.io/acme/app:1", true],
    ["*", "docker.io/library/x:latest", false],
    ["index.docker.io/library/nginx", "docker.io/library/nginx:latest", true],
    ["acme/app", "docker.io/acme/app:latest", true],
    ["docker.io/nginx", "docker.io/library/nginx:latest", true],
    ["docker.io/nginx:1", "docker.io/library/nginx:1", true],
    ["localhost:5000/app", "localhost:5000/app:latest", true],
    ["localhost:5000/app", "localhost:5000/app", false],
    ["ghcr.io/acme/app@sha256:1", "ghcr.io/acme/app@sha256:1", true],
    ["nginx", "docker.io/library/nginx:latest", true],
    ["acme/app:1", "docker.io/acme/app:1", true],
    ["ghcr.io/app", "ghcr.io/app:latest", true],
    ["x:/c", "x:/c:latest", true],
  ];
  for (const [pattern, name, matches] of cases) {
    await t.step(`${pattern} ${matches ? "matches" : "does not match"} ${name}`, () => {
      const glob = compileImagePattern(pattern);
      assert.equal(glob.text, pattern);
      assert.equal(glob.test(name), matches);
    });
  }
});

Deno.test("explain's lines for body rules, exactly", async () => {
  const { parsePolicy } = await import("../../../lib/policy/policy_loader.ts");
  const { ROUTES, routeMatcher } = await import("../../../lib/routes/engine_routes.ts");
  const { describePolicy, explainRequest } = await import("../../../lib/policy/explain.ts");
  const options = { listeners: ["0.0.0.0:2375"], forceAudit: false };
  const text = "profiles:\n  - name: a\n    rules:\n" +
    "      - allow: ContainerExec\n        target: { labels: { role: web } }\n" +
    "      - allow: ContainerExec\n        body: { Cmd: [[x]] }\n";
  const policy = parsePolicy(text, "/p.yaml", ROUTES, options);
  assert.equal(describePolicy(policy).at(-1), "any other client: nothing is allowed");
  assert.equal(
    describePolicy(parsePolicy(text, "/p.yaml", ROUTES, { ...options, forceAudit: true })).at(-1),
    "any other client: nothing is allowed (audit mode forwards it, logged as would-deny)",
  );
  const client = { listener: "0.0.0.0:2375", address: null, container: null };
  const explain = (read?: (kind: never, body: Uint8Array) => never, body = "{}") =>
    explainRequest(
      policy,
      routeMatcher(),
      client,
      "POST",
      "/containers/c/exec",
      read === undefined ? undefined : { text: body, read: read as never },
    );
  assert.deepEqual(explain().lines.slice(4), [
    "  decision:   allowed only with a body one of these rules allows",
    "  body rule:  rule 1 (ContainerExec on containers with labels role=web, line 4)",
    "  body rule:  rule 2 (ContainerExec with body Cmd in [[x]], line 6)",
    "  body:       give --body '{...}' to see whether a body passes",
  ]);
  const sh = explainRequest(policy, routeMatcher(), client, "POST", "/containers/c/exec", {
    text: '{"Cmd":["sh"]}',
    read: readBodyFacts,
  });
  assert.equal(sh.allowed, true, "rule 1 allows any body (on its targets)");
  assert.deepEqual(sh.lines.slice(4), [
    "  decision:   allowed with this body",
    "  body rule:  rule 1 (ContainerExec on containers with labels role=web, line 4)",
    "  body rule:  rule 2 (ContainerExec with body Cmd in [[x]], line 6)",
    "  body:       rule 1 (ContainerExec on containers with labels role=web, line 4) allows it",
    '  body:       rule 2 (ContainerExec with body Cmd in [[x]], line 6) does not allow it: Cmd ["sh"] matches none of [[x]]',
  ]);
  const only = parsePolicy(
    "profiles:\n  - name: a\n    rules:\n      - allow: ContainerExec\n        body: { Cmd: [[x]] }\n",
    "/p.yaml",
    ROUTES,
    options,
  );
  const denied = explainRequest(only, routeMatcher(), client, "POST", "/containers/c/exec", {
    text: '{"Cmd":["sh"]}',
    read: readBodyFacts,
  });
  assert.equal(denied.allowed, false);
  assert.equal(denied.lines[4], "  decision:   denied (403): no rule allows this body");
  assert.throws(
    () =>
      explain(() => {
        throw new TypeError("not a body error");
      }),
    TypeError,
  );
});

Deno.test("learn learns bodies only from what the log shows of every request", async (t) => {
  const { learnPolicy } = await import("../../../lib/policy/learn.ts");
  const { ROUTES } = await import("../../../lib/routes/engine_routes.ts");
  const line = (fields: Record<string, unknown>) =>
    JSON.stringify({
      msg: "request",
      decision: "allowed",
      client: "10.0.0.1:1",
      method: "POST",
      path: "/containers/x/exec",
      operation: "ContainerExec",
      ...fields,
    });
  const learned = (lines: string[]) => learnPolicy(lines, ROUTES).text;
  const exec = (cmd: unknown, extra: Record<string, unknown> = {}) =>
    line({ cmd: typeof cmd === "string" ? cmd : JSON.stringify(cmd), ...extra });
  const create = (image?: string) =>
    line({ path: "/containers/create", operation: "ContainerCreate", image });
  await t.step("a cmd that is no argv learns nothing", () => {
    for (const cmd of ["x", '"x"', "[1]", '["a",1]', "{}"]) {
      assert.match(learned([exec(cmd)]), /- ContainerExec # 1 request\n/, cmd);
    }
  });
  await t.step("one request without its cmd learns nothing", () => {
    assert.match(learned([exec(["a"]), line({})]), /- ContainerExec # 2 requests\n/);
  });
  await t.step("argvs are sorted", () => {
    assert.match(learned([exec(["b"]), exec(["a"])]), /Cmd: \[\["a"\], \["b"\]\] # as seen/);
  });
  await t.step("past 20 commands, none is learned", () => {
    const twenty = Array.from({ length: 20 }, (_, i) => exec([`c${i}`]));
    assert.match(learned(twenty), /Cmd: /);
    assert.match(learned([...twenty, exec(["c20"])]), /- ContainerExec # 21 requests\n/);
  });
  await t.step("one privileged exec of two learns no Privileged", () => {
    assert.doesNotMatch(learned([exec(["a"]), exec(["a"], { privileged: true })]), /Privileged/);
    assert.match(learned([exec(["a"]), exec(["a"])]), /Privileged: false/);
  });
  await t.step("images: all or nothing, at most 20", () => {
    assert.match(learned([create("a"), create("b")]), /Image: \["a", "b"\] # as sent/);
    assert.match(learned([create("a"), create()]), /- ContainerCreate # 2 requests\n/);
    const twenty = Array.from({ length: 20 }, (_, i) => create(`i${i}`));
    assert.match(learned(twenty), /Image: /);
    assert.match(learned([...twenty, create("i20")]), /- ContainerCreate # 21 requests\n/);
  });
  await t.step("operations without bodies learn none, whatever the record holds", () => {
    assert.match(
      learned([line({ path: "/_ping", operation: "SystemPing", cmd: '["a"]', image: "x" })]),
      /- SystemPing # 1 request\n/,
    );
  });
});
