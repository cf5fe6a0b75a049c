/**
 * Query parameters and constraints at their edges: escapes at every position,
 * signals at the bounds of their ranges, each constraint's text and each
 * refusal's words. Written against the mutants `deno task mutate query`
 * showed surviving.
 */
import assert from "node:assert/strict";
import {
  compileConstraint,
  type ConstraintSpec,
  normalizeReference,
  signalNumber,
} from "../../../lib/policy/query_constraint.ts";
import {
  foldedValues,
  goBoolean,
  isQueryError,
  parseQuery,
  unescapeComponent,
} from "../../../lib/policy/query_params.ts";

function params(query: string) {
  const parsed = parseQuery(query);
  if (isQueryError(parsed)) throw new Error(parsed.error);
  return parsed;
}

Deno.test("unescapeComponent() decodes as Go's QueryUnescape does", async (t) => {
  const cases: [string, string | null][] = [
    ["", ""],
    ["+", " "],
    ["a+b", "a b"],
    ["%2B", "+"],
    ["%2b+", "+ "],
    ["%41", "A"],
    ["%4a%4A%4f", "JJO"],
    ["%30%39", "09"],
    ["a%20", "a "],
    ["%c3%a9", "é"],
    ["%", null],
    ["%4", null],
    ["a%4", null],
    ["%/0", null],
    ["%:0", null],
    ["%0/", null],
    ["%0:", null],
    ["%`0", null],
    ["%g0", null],
    ["%0g", null],
    ["%G0", null],
    ["%ff", null],
    ["%c3", null],
    ["%0a", "\n"],
    ["%4g", null],
    ["%3`", null],
    ["%3@", null],
    ["%g0%9F%98%80", null],
    ["%zz%9F%98%80", null],
    ["%F0%9F%98%80", "😀"],
  ];
  for (const [text, decoded] of cases) {
    await t.step(JSON.stringify(text), () => assert.equal(unescapeComponent(text), decoded));
  }
});

Deno.test("parseQuery() keeps every value of a key, in order, and refuses what engines read differently", () => {
  assert.deepEqual(
    [...params("?a=1&b&a=2&&c=&=d&a=%33")],
    [["a", ["1", "2", "3"]], ["b", [""]], ["c", [""]], ["", ["d"]]],
  );
  assert.deepEqual([...params("a=1")], [["a", ["1"]]]);
  assert.deepEqual([...params("?")], []);
  assert.deepEqual([...params("")], []);
  assert.deepEqual([...params("?x=a=b")], [["x", ["a=b"]]]);
  assert.deepEqual([...params("??x=1")], [["?x", ["1"]]]);
  assert.deepEqual(parseQuery("?a=1;b=2"), {
    error: "Query holds a ';', which engines read differently: use '&'",
  });
  assert.deepEqual(parseQuery("?a=1&b=%zz"), {
    error: 'Malformed escape in query parameter "b=%zz"',
  });
  assert.deepEqual(parseQuery("?%zz=1"), { error: 'Malformed escape in query parameter "%zz=1"' });
  assert.deepEqual(parseQuery("?%zz"), { error: 'Malformed escape in query parameter "%zz"' });
  assert.equal(isQueryError(params("a")), false);
});

Deno.test("goBoolean() reads a value with spaces or in other cases as the engine does", () => {
  assert.equal(goBoolean([" no "]), false);
  assert.equal(goBoolean(["NONE"]), false);
  assert.equal(goBoolean([]), null);
  assert.equal(goBoolean(["1", "0"]), null);
});

Deno.test("signalNumber() reads numbers and real-time signals up to the bounds of their ranges", async (t) => {
  const cases: [string, number | null][] = [
    ["64", 64],
    ["-1", null],
    ["+64", 64],
    ["1x", null],
    ["RTMIN+0", 34],
    ["RTMIN+30", 64],
    ["RTMIN+31", null],
    ["RTMAX-0", 64],
    ["RTMAX-30", 34],
    ["RTMAX-31", null],
    ["SIGRTMIN+1", 35],
    ["rtmax-2", 62],
    ["RTMIN-1", null],
    ["RTMAX+1", null],
    ["xRTMIN+1", null],
    ["RTMIN+1x", null],
    ["SIGSIGHUP", null],
    ["XSIGHUP", null],
    ["toString", null],
    ["ABRT", 6],
    ["WINCH", 28],
    ["SYS", 31],
    ["STKFLT", 16],
    ["0x10", null],
    ["1 ", null],
    ["HUPSIG", null],
    ["XRTMAX-1", null],
    ["RTMAX-1x", null],
  ];
  for (const [text, number] of cases) {
    await t.step(text, () => assert.equal(signalNumber(text), number));
  }
});

Deno.test("each constraint says what it allows, and why a request fails it", async (t) => {
  const cases: [string, ConstraintSpec, string, string, boolean, [string, string | null][]][] = [
    ["follow", null, "boolean", "without follow", true, [
      ["", null],
      ["?follow=0", "follow is given"],
    ]],
    ["tail", null, "string", "without tail", false, [["?tail=1", "tail is given"]]],
    ["follow", false, "boolean", "without follow", true, [
      ["?follow=0", null],
      ["?follow=1", "follow is set"],
      ["?follow=yes", 'follow="yes" is not clearly true or false'],
      ["?follow=1&follow=0", "follow is given more than once"],
    ]],
    ["stream", true, "boolean", "with stream=1", false, [
      ["?stream=1", null],
      ["", "stream is not given, and the engine takes it as 0"],
      ["?stream=0", "stream is not set"],
      ["?stream=" + "x".repeat(81), `stream="${"x".repeat(80)}..." is not clearly true or false`],
      ["?stream=" + "x".repeat(80), `stream="${"x".repeat(80)}" is not clearly true or false`],
    ]],
    ["signal", ["SIGHUP", "10"], "string", "with signal in [SIGHUP, 10]", false, [
      ["?signal=usr1", null],
      ["", "signal is not given (the engine's default applies)"],
      ["?signal=1&signal=1", "signal is given more than once"],
      ["?signal=nope", 'signal="nope"'],
      ["?signal=9", 'signal="9"'],
    ]],
    ["signal", "HUP", "string", "with signal = HUP", false, [["?signal=1", null]]],
    ["fromImage", "ghcr.io/acme/*", "string", "with fromImage matching ghcr.io/acme/*", false, [
      ["?fromImage=ghcr.io/acme/app", null],
      ["?fromImage=ghcr.io/acme/a/b", 'fromImage="ghcr.io/acme/a/b"'],
      ["", "fromImage is not given"],
      ["?fromImage=a&fromImage=b", "fromImage is given more than once"],
    ]],
    ["image", ["docker.io/library/*"], "string", "with image in [docker.io/library/*]", false, [
      ["?image=nginx", null],
      ["?image=acme/app", 'image="acme/app"'],
    ]],
    [
      "reference",
      "docker.io/acme/**",
      "string",
      "with reference matching docker.io/acme/**",
      false,
      [
        ["?reference=acme/app", null],
        ["?reference=acme/a/b", null],
      ],
    ],
    ["tag", "docker.io/library/*", "string", "with tag matching docker.io/library/*", false, [
      ["?tag=nginx", 'tag="nginx"'],
    ]],
    ["tag", ["v1", "v2"], "string", "with tag in [v1, v2]", false, [
      ["?tag=v2", null],
      ["?tag=v3", 'tag="v3"'],
    ]],
  ];
  for (const [name, spec, type, text, forcesFalse, checks] of cases) {
    await t.step(`${name}: ${JSON.stringify(spec)}`, () => {
      const constraint = compileConstraint(name, spec, type);
      assert.equal(constraint.name, name);
      assert.equal(constraint.text, text);
      assert.equal(constraint.forcesFalse, forcesFalse);
      for (const [query, why] of checks) {
        assert.equal(constraint.check(params(query)), why, query);
      }
    });
  }
});

Deno.test("constraints that cannot fit the parameter are refused, saying what would", () => {
  assert.throws(() => compileConstraint("tail", true, "string"), {
    message: "tail is a string parameter: give a text or a list, not true",
  });
  assert.throws(() => compileConstraint("tail", false, "integer"), {
    message: "tail is a integer parameter: give a text or a list, not false",
  });
  assert.throws(() => compileConstraint("tail", [], "string"), {
    message: "tail: an empty list allows nothing, use null",
  });
  assert.throws(() => compileConstraint("follow", "1", "boolean"), {
    message: "follow is a boolean parameter: use true or false",
  });
  assert.throws(() => compileConstraint("follow", [], "boolean"), {
    message: "follow: an empty list allows nothing, use null",
  });
  assert.throws(() => compileConstraint("signal", ["HUP", "NOPE"], "string"), {
    message: 'Unknown signal "NOPE"',
  });
});

Deno.test("normalizeReference() names images as the engine does", () => {
  assert.equal(normalizeReference("nginx"), "docker.io/library/nginx");
  assert.equal(normalizeReference("acme/app"), "docker.io/acme/app");
  assert.equal(normalizeReference("acme/app/x"), "docker.io/acme/app/x");
  assert.equal(normalizeReference("ghcr.io/acme/app"), "ghcr.io/acme/app");
  assert.equal(normalizeReference("registry:5000/app"), "registry:5000/app");
  assert.equal(normalizeReference("localhost/app"), "localhost/app");
  assert.equal(normalizeReference("localhostx/app"), "docker.io/localhostx/app");
  assert.equal(normalizeReference("/app"), "docker.io//app");
});

Deno.test("foldedValues() gathers the values of every name that folds to the one asked for", async (t) => {
  const upper = (text: string) => text.toUpperCase();
  const query = new Map([["all", ["1"]], ["ALL", ["0", "2"]], ["size", ["1"]], ["All", []]]);
  const cases: [string, string, string[] | undefined][] = [
    ["several spellings, in order", "aLl", ["1", "0", "2"]],
    ["one spelling", "SIZE", ["1"]],
    ["none", "limit", undefined],
  ];
  for (const [name, asked, expected] of cases) {
    await t.step(name, () => assert.deepEqual(foldedValues(query, asked, upper), expected));
  }
  await t.step("a name present with no values gives an empty list", () => {
    assert.deepEqual(foldedValues(new Map([["a", []]]), "A", upper), []);
  });
});
