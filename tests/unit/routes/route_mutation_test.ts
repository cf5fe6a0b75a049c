/**
 * Route templates, the matcher and rule patterns at their edges, on small
 * tables where the answer is known: multi-segment params at their shortest
 * and longest, routes starting with a param, each error's words. Written
 * against the mutants `deno task mutate routes` showed surviving.
 */
import assert from "node:assert/strict";
import { PARAM_TYPE_CODES, routeSpec } from "../../../lib/routes/route.ts";
import {
  operationsMatching,
  RouteMatcher,
  routesMatchingTemplate,
} from "../../../lib/routes/route_matcher.ts";
import { parseRouteTemplate, templateShape } from "../../../lib/routes/route_template.ts";
import { ROUTES } from "../../../lib/routes/engine_routes.ts";

Deno.test("parseRouteTemplate() splits templates and refuses what the matcher cannot honour", async (t) => {
  const good: [string, unknown[]][] = [
    ["/", []],
    ["/a", [{ kind: "literal", text: "a" }]],
    ["/a/{id}", [{ kind: "literal", text: "a" }, {
      kind: "param",
      name: "id",
      multi: false,
      min: 1,
    }]],
    ["/{name:.*}", [{ kind: "param", name: "name", multi: true, min: 0 }]],
    ["/{name:.+}", [{ kind: "param", name: "name", multi: true, min: 1 }]],
    ["/{name:.*}/x", [{ kind: "param", name: "name", multi: true, min: 1 }, {
      kind: "literal",
      text: "x",
    }]],
    ["/a/{name:.*}", [{ kind: "literal", text: "a" }, {
      kind: "param",
      name: "name",
      multi: true,
      min: 1,
    }]],
    ["/{_a1}", [{ kind: "param", name: "_a1", multi: false, min: 1 }]],
    ["/a/", [{ kind: "literal", text: "a" }, { kind: "literal", text: "" }]],
  ];
  for (const [template, segments] of good) {
    await t.step(
      template,
      () => assert.deepEqual(parseRouteTemplate(template), segments),
    );
  }
  const bad: [string, string][] = [
    ["a/b", "Route template must start with /: a/b"],
    ["", "Route template must start with /: "],
    ["/a{id}", "Route template param must fill a whole segment: /a{id}"],
    ["/{id}b", "Route template param must fill a whole segment: /{id}b"],
    ["/{1id}", "Route template param must fill a whole segment: /{1id}"],
    ["/x}", "Route template param must fill a whole segment: /x}"],
    [
      "/{id:[0-9]+}",
      "Unsupported route template param regex [0-9]+: /{id:[0-9]+}",
    ],
    ["/{id:.**}", "Unsupported route template param regex .**: /{id:.**}"],
  ];
  for (const [template, message] of bad) {
    await t.step(
      `refuses ${template}`,
      () => assert.throws(() => parseRouteTemplate(template), { message }),
    );
  }
  assert.equal(
    templateShape("/containers/{name:.*}/json/{id}"),
    "/containers/{}/json/{}",
  );
});

Deno.test("routeSpec() builds routes from table rows, and refuses bad rows", () => {
  const spec = routeSpec(
    "s",
    "ContainerList",
    "GET /containers/json",
    "all:b limit:i  x:y:s",
    "1.25",
    "1.40",
  );
  assert.deepEqual(spec, {
    operation: "ContainerList",
    method: "GET",
    template: "/containers/json",
    api: "docker",
    query: { all: "boolean", limit: "integer", "x:y": "string" },
    source: "swagger",
    since: "1.25",
    until: "1.40",
  });
  assert.ok(Object.isFrozen(spec));
  assert.ok(Object.isFrozen(spec.query));
  const libpod = routeSpec("p", "LibpodPing", "GET /libpod/_ping");
  assert.equal(libpod.api, "libpod");
  assert.equal(libpod.source, "podman");
  assert.equal("since" in libpod, false);
  assert.equal("until" in libpod, false);
  assert.equal(routeSpec("r", "X", "GET /").source, "router");
  for (const [type, code] of Object.entries(PARAM_TYPE_CODES)) {
    assert.equal(
      routeSpec("s", "X", "GET /", `p:${code}`).query.p,
      type,
      "the codes the generator writes",
    );
  }
  assert.equal(routeSpec("r", "X", "GET /libpod").api, "libpod");
  assert.equal(routeSpec("r", "X", "GET /libpodx").api, "docker");
  assert.equal(routeSpec("r", "X", "GET /x/libpod/y").api, "docker");
  assert.deepEqual(
    Object.values(
      routeSpec("r", "X", "GET /", "a:i b:n c:s d:a e:o f:b").query,
    ),
    ["integer", "number", "string", "array", "object", "boolean"],
  );
  assert.throws(() => routeSpec("s", "X", "GET /", "all:z"), {
    message: "Bad query parameter in table: all:z",
  });
  assert.throws(() => routeSpec("s", "X", "GET /", ":b"), {
    message: "Bad query parameter in table: :b",
  });
  assert.throws(() => routeSpec("s", "X", "GET /", "all"), {
    message: "Bad query parameter in table: all",
  });
  assert.throws(() => routeSpec("x", "X", "GET /"), {
    message: "Bad route source in table: x",
  });
});

Deno.test("RouteMatcher resolves literal and param first segments and multi-segment params", async (t) => {
  const routes = [
    routeSpec("r", "Root", "GET /"),
    routeSpec("r", "Ping", "GET /_ping"),
    routeSpec("r", "Inspect", "GET /images/{name:.*}/json"),
    routeSpec("r", "Push", "POST /images/{name:.*}/push"),
    routeSpec("r", "History", "GET /images/{name:.*}/history/{n}"),
    routeSpec("r", "Anything", "GET /{path:.*}"),
    routeSpec("r", "ByParam", "DELETE /{kind}/{id}"),
    routeSpec("r", "Literal", "DELETE /volumes/x"),
  ];
  const matcher = new RouteMatcher(routes);
  const cases: [string, string, string | null, Record<string, string>?][] = [
    ["GET", "", "Root", {}],
    ["GET", "_ping", "Ping", {}],
    ["GET", "images/a/json", "Inspect", { name: "a" }],
    ["GET", "images/ghcr.io/acme/app:1/json", "Inspect", {
      name: "ghcr.io/acme/app:1",
    }],
    ["GET", "images/json", "Anything", { path: "images/json" }],
    ["GET", "images/a/json/json", "Inspect", { name: "a/json" }],
    ["GET", "images/a/b/history/3", "History", { name: "a/b", n: "3" }],
    ["GET", "images/history/3", "Anything", { path: "images/history/3" }],
    ["GET", "other/thing", "Anything", { path: "other/thing" }],
    ["POST", "images/a/b/push", "Push", { name: "a/b" }],
    ["POST", "images/push", null],
    ["POST", "other", null],
    ["DELETE", "volumes/x", "ByParam", { kind: "volumes", id: "x" }],
    ["DELETE", "networks/y", "ByParam", { kind: "networks", id: "y" }],
    ["DELETE", "networks/y/z", null],
    ["DELETE", "networks", null],
    ["PUT", "_ping", null],
  ];
  for (const [method, path, operation, params] of cases) {
    await t.step(`${method} /${path}`, () => {
      const found = matcher.match(method, path === "" ? [] : path.split("/"));
      assert.equal(found?.route.operation ?? null, operation);
      if (found !== null) {
        assert.equal(
          found.index,
          routes.findIndex((r) => r.operation === operation),
        );
        assert.deepEqual(found.params, params);
      }
    });
  }
  await t.step(
    "without a catch-all, an empty path and a param-first miss",
    () => {
      const strict = new RouteMatcher([
        routeSpec("r", "A", "GET /a"),
        routeSpec("r", "B", "GET /{x}/b"),
      ]);
      assert.equal(strict.match("GET", []), null);
      assert.equal(strict.match("GET", ["z", "b"])?.route.operation, "B");
      assert.equal(strict.match("GET", ["a", "b"])?.route.operation, "B");
      assert.equal(strict.match("GET", ["z"]), null);
      assert.equal(strict.match("GET", ["a"])?.route.operation, "A");
    },
  );
});

Deno.test("rule patterns glob over literal segments only, take ** anywhere, and name what is wrong", async (t) => {
  const routes = [
    routeSpec("r", "A", "GET /a/{id}/json"),
    routeSpec("r", "B", "GET /a.b/x"),
    routeSpec("r", "C", "GET /axb/x"),
    routeSpec("r", "D", "POST /a/{name:.*}/push"),
    routeSpec("r", "E", "GET /"),
    routeSpec("r", "F", "GET /a"),
  ];
  const names = (method: string, pattern: string) =>
    routesMatchingTemplate(routes, method, pattern).map((i) => routes[i].operation);
  const cases: [string, string, string[]][] = [
    ["GET", "/a.b/x", ["B"]],
    ["GET", "/a.*/x", ["B"]],
    ["GET", "/a*/x", ["B", "C"]],
    ["GET", "/a/{x}/json", ["A"]],
    ["GET", "/a/*/json", []],
    ["GET", "/{x}/{y}/json", []],
    ["*", "/a/{x}/*", ["A", "D"]],
    ["GET", "/**", ["A", "B", "C", "E", "F"]],
    ["GET", "/", ["E"]],
    ["GET", "/a/**", ["A", "F"]],
    ["*", "/**/push", ["D"]],
    ["*", "/a/**/json", ["A"]],
    ["GET", "/a/{id}", []],
    ["GET", "/a/{id}/json/x", []],
    ["POST", "/a/{id}/json", []],
  ];
  for (const [method, pattern, expected] of cases) {
    await t.step(
      `${method} ${pattern}`,
      () => assert.deepEqual(names(method, pattern), expected),
    );
  }
  const bad: [string, string][] = [
    ["a/b", "Route pattern must start with /: a/b"],
    ["/a//b", "Empty segment in route pattern: /a//b"],
    ["/a/", "Empty segment in route pattern: /a/"],
    ["/a{id}", "Route pattern param must fill a whole segment: /a{id}"],
    ["/{id}x", "Route pattern param must fill a whole segment: /{id}x"],
    ["/{a{b}}", "Route pattern param must fill a whole segment: /{a{b}}"],
    ["/containers/{id", "Route pattern param must fill a whole segment: /containers/{id"],
    ["/containers/id}", "Route pattern param must fill a whole segment: /containers/id}"],
    ["/a**", "** must fill a whole segment: /a**"],
    ["/**a", "** must fill a whole segment: /**a"],
  ];
  for (const [pattern, message] of bad) {
    await t.step(`refuses ${pattern}`, () => {
      assert.throws(() => routesMatchingTemplate(routes, "GET", pattern), {
        message,
      });
    });
  }
  await t.step("operation globs are anchored and literal but for *", () => {
    const ops = [
      routeSpec("r", "ContainerList", "GET /a"),
      routeSpec("r", "Container.List", "GET /b"),
      routeSpec("r", "XContainerList", "GET /c"),
    ];
    const found = (glob: string) => operationsMatching(ops, glob).map((i) => ops[i].operation);
    assert.deepEqual(found("Container.List"), ["Container.List"]);
    assert.deepEqual(found("Container*"), ["ContainerList", "Container.List"]);
    assert.deepEqual(found("*List"), [
      "ContainerList",
      "Container.List",
      "XContainerList",
    ]);
    assert.deepEqual(found("ContainerLis"), []);
  });
});

Deno.test("routeSpec() reads a B code as a boolean that is true when absent", async (t) => {
  await t.step(
    "B marks the parameter true by default and keeps its type boolean",
    () => {
      const spec = routeSpec(
        "s",
        "ContainerStats",
        "GET /containers/{name:.*}/stats",
        "stream:B one-shot:b",
      );
      assert.deepEqual(spec.query, {
        stream: "boolean",
        "one-shot": "boolean",
      });
      assert.deepEqual(spec.trueByDefault, ["stream"]);
      assert.ok(Object.isFrozen(spec.trueByDefault));
    },
  );
  await t.step("several B codes are listed in query order", () => {
    const spec = routeSpec("s", "X", "POST /build", "rm:B q:b pull:B");
    assert.deepEqual(spec.trueByDefault, ["rm", "pull"]);
  });
  await t.step("a name holding a colon keeps it", () => {
    assert.deepEqual(routeSpec("s", "X", "GET /", "a:b:B").trueByDefault, [
      "a:b",
    ]);
  });
  await t.step("without a B code there is no trueByDefault at all", () => {
    assert.equal(
      "trueByDefault" in routeSpec("s", "X", "GET /", "all:b"),
      false,
    );
    assert.equal("trueByDefault" in routeSpec("s", "X", "GET /"), false);
  });
  await t.step("the real table's stats routes stream by default", () => {
    const stats = ROUTES.find((route) => route.operation === "ContainerStats");
    assert.deepEqual(stats?.trueByDefault, ["stream"]);
  });
});

Deno.test("PARAM_TYPE_CODES gives every param type the one-letter code routeSpec() decodes", () => {
  assert.deepEqual(PARAM_TYPE_CODES, {
    boolean: "b",
    integer: "i",
    number: "n",
    string: "s",
    array: "a",
    object: "o",
  });
});

Deno.test("RouteMatcher parses a group's templates only when a request first reaches the group", async (t) => {
  const routes = [
    routeSpec("r", "A", "GET /a"),
    routeSpec("r", "Bad", "GET /b/{id:[0-9]+}"),
    routeSpec("r", "C", "GET /c/{id}"),
  ];
  const matcher = new RouteMatcher(routes);
  await t.step(
    "requests under other first segments never parse the bad template",
    () => {
      assert.equal(matcher.match("GET", ["a"])?.route.operation, "A");
      assert.deepEqual(matcher.match("GET", ["c", "1"])?.params, { id: "1" });
      assert.equal(matcher.match("GET", ["z"]), null);
    },
  );
  await t.step("a request under its first segment meets its error", () => {
    assert.throws(() => matcher.match("GET", ["b", "1"]), {
      message: "Unsupported route template param regex [0-9]+: /b/{id:[0-9]+}",
    });
  });
});

Deno.test("OPTIONS /{anyroute:.*} of the real table serves every path", async (t) => {
  // A matcher of its own: the process-wide one keeps groups compiled across mutants.
  const matcher = new RouteMatcher(ROUTES);
  const index = ROUTES.findIndex((route) => route.operation === "SystemOptions");
  for (
    const path of [
      "",
      "_ping",
      "containers/json",
      "images/ghcr.io/acme/app:1/json",
      "libpod/info",
      "nowhere/at/all",
    ]
  ) {
    await t.step(`OPTIONS /${path}`, () => {
      const segments = path === "" ? [] : path.split("/");
      const found = matcher.match("OPTIONS", segments);
      assert.equal(found?.index, index);
      assert.deepEqual(found?.params, { anyroute: path });
    });
  }
});

Deno.test("RouteMatcher tries param-first routes in table order among a first segment's routes", async (t) => {
  const routes = [
    routeSpec("r", "First", "GET /{kind}/json"),
    routeSpec("r", "Literal", "GET /images/json"),
    routeSpec("r", "Images", "GET /images/{name:.*}"),
    routeSpec("r", "Last", "GET /{path:.*}"),
  ];
  const matcher = new RouteMatcher(routes);
  const cases: [string, string][] = [
    ["images/json", "First"],
    ["images/a/b", "Images"],
    ["images", "Last"],
    ["volumes/json", "First"],
    ["volumes/x", "Last"],
  ];
  for (const [path, operation] of cases) {
    await t.step(`GET /${path} runs ${operation}`, () => {
      assert.equal(
        matcher.match("GET", path.split("/"))?.route.operation,
        operation,
      );
    });
  }
});
