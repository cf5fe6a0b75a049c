import assert from "node:assert/strict";
import {
  compileConstraint,
  type ConstraintSpec,
  normalizeReference,
  signalNumber,
} from "../../../lib/policy/query_constraint.ts";
import { isQueryError, parseQuery } from "../../../lib/policy/query_params.ts";

function check(name: string, spec: ConstraintSpec, type: string, query: string): string | null {
  const params = parseQuery(query);
  if (isQueryError(params)) throw new Error(params.error);
  return compileConstraint(name, spec, type).check(params);
}

Deno.test("signalNumber() reads signals as the engine's ParseSignal does", async (t) => {
  const cases: [string, number | null][] = [
    ["HUP", 1],
    ["SIGHUP", 1],
    ["hup", 1],
    ["sigHup", 1],
    ["1", 1],
    ["+1", 1],
    ["01", 1],
    ["KILL", 9],
    ["9", 9],
    ["USR1", 10],
    ["SIGUSR1", 10],
    ["CLD", 17],
    ["CHLD", 17],
    ["IOT", 6],
    ["RTMIN", 34],
    ["RTMIN+2", 36],
    ["RTMAX-1", 63],
    ["RTMAX", 64],
    ["0", null],
    ["-9", null],
    ["65", null],
    ["SIGNOPE", null],
    ["", null],
    ["RTMIN+40", null],
  ];
  for (const [text, number] of cases) {
    await t.step(JSON.stringify(text), () => assert.equal(signalNumber(text), number));
  }
});

Deno.test("a signal list allows each spelling of its signals and nothing else", async (t) => {
  const spec = ["SIGHUP", "SIGUSR1"];
  const cases: [string, boolean][] = [
    ["?signal=HUP", true],
    ["?signal=SIGHUP", true],
    ["?signal=hup", true],
    ["?signal=1", true],
    ["?signal=10", true],
    ["?signal=usr1", true],
    ["?signal=KILL", false],
    ["?signal=9", false],
    ["?signal=SIGKILL", false],
    ["", false],
    ["?signal=HUP&signal=HUP", false],
    ["?signal=HUP&signal=KILL", false],
    ["?signal=", false],
    ["?Signal=KILL", false],
  ];
  for (const [query, ok] of cases) {
    await t.step(query || "(no signal)", () => {
      assert.equal(check("signal", spec, "string", query) === null, ok);
    });
  }
  assert.match(check("signal", spec, "string", "")!, /not given/);
  assert.match(check("signal", spec, "string", "?signal=1&signal=1")!, /more than once/);
  assert.match(check("signal", spec, "string", "?signal=KILL")!, /signal="KILL"/);
  assert.throws(() => compileConstraint("signal", ["SIGNOPE"], "string"), /Unknown signal/);
});

Deno.test("false allows a boolean only when absent or clearly false", async (t) => {
  const cases: [string, boolean][] = [
    ["", true],
    ["?follow=0", true],
    ["?follow=false", true],
    ["?follow=False", true],
    ["?follow=", true],
    ["?follow", true],
    ["?follow=no", true],
    ["?follow=1", false],
    ["?follow=true", false],
    ["?follow=yes", false],
    ["?follow=f", false],
    ["?follow=0&follow=0", false],
    ["?follow=0&follow=1", false],
    ["?Follow=1", true],
  ];
  for (const [query, ok] of cases) {
    await t.step(query || "(absent)", () => {
      assert.equal(check("follow", false, "boolean", query) === null, ok);
    });
  }
  assert.match(check("follow", false, "boolean", "?follow=1")!, /follow is set/);
  assert.match(check("follow", false, "boolean", "?follow=f")!, /not clearly true or false/);
  assert.match(check("follow", false, "boolean", "?follow=0&follow=0")!, /more than once/);
  assert.equal(compileConstraint("stdin", false, "boolean").forcesFalse, true);
  assert.equal(compileConstraint("stdin", true, "boolean").forcesFalse, false);
  assert.equal(compileConstraint("follow", false, "boolean").text, "without follow");
});

Deno.test("true allows a boolean only when clearly true", async (t) => {
  const cases: [string, boolean][] = [
    ["?all=1", true],
    ["?all=true", true],
    ["?all=t", true],
    ["", false],
    ["?all=0", false],
    ["?all=yes", false],
  ];
  for (const [query, ok] of cases) {
    await t.step(query || "(absent)", () => {
      assert.equal(check("all", true, "boolean", query) === null, ok);
    });
  }
  assert.match(
    check("all", true, "boolean", "")!,
    /all is not given, and the engine takes it as 0/,
  );
  assert.equal(compileConstraint("all", true, "boolean").text, "with all=1");
});

Deno.test("null allows a parameter only when it is absent", () => {
  assert.equal(check("tail", null, "string", ""), null);
  assert.match(check("tail", null, "string", "?tail=")!, /tail is given/);
  assert.match(check("tail", null, "string", "?tail=10")!, /tail is given/);
  assert.equal(compileConstraint("stdin", null, "boolean").forcesFalse, true);
  assert.equal(compileConstraint("tail", null, "string").forcesFalse, false);
});

Deno.test("texts and lists match values as globs", async (t) => {
  const cases: [ConstraintSpec, string, boolean][] = [
    ["ghcr.io/acme/*", "?fromImage=ghcr.io/acme/app", true],
    ["ghcr.io/acme/*", "?fromImage=ghcr.io/acme/app:1", true],
    ["ghcr.io/acme/*", "?fromImage=ghcr.io%2Facme%2Fapp", true],
    ["ghcr.io/acme/*", "?fromImage=ghcr.io/acme/team/app", false],
    ["ghcr.io/acme/**", "?fromImage=ghcr.io/acme/team/app", true],
    ["ghcr.io/acme/*", "?fromImage=ghcr.io/acmex/app", false],
    ["ghcr.io/acme/*", "?fromImage=evil.io/ghcr.io/acme/app", false],
    ["ghcr.io/acme/*", "", false],
    ["ghcr.io/acme/*", "?fromImage=ghcr.io/acme/a&fromImage=evil/b", false],
    ["busybox", "?fromImage=busybox", true],
    ["busybox", "?fromImage=busybox2", false],
    ["docker.io/library/*", "?fromImage=busybox", true],
    ["docker.io/acme/*", "?fromImage=acme/app", true],
    ["docker.io/library/*", "?fromImage=ghcr.io/busybox", false],
    [["a", "b*"], "?fromImage=bee", true],
    [["a", "b*"], "?fromImage=c", false],
    ["a.c", "?fromImage=abc", false],
  ];
  for (const [spec, query, ok] of cases) {
    await t.step(`${JSON.stringify(spec)} ${query}`, () => {
      assert.equal(check("fromImage", spec, "string", query) === null, ok);
    });
  }
  assert.match(check("fromImage", "x", "string", "")!, /fromImage is not given/);
  assert.equal(compileConstraint("fromImage", "a/*", "string").text, "with fromImage matching a/*");
  assert.equal(compileConstraint("fromImage", "a", "string").text, "with fromImage = a");
  assert.equal(compileConstraint("x", ["a", "b"], "string").text, "with x in [a, b]");
});

Deno.test("compileConstraint() refuses a constraint that does not fit the parameter", () => {
  assert.throws(() => compileConstraint("follow", "1", "boolean"), /boolean parameter/);
  assert.throws(() => compileConstraint("follow", ["1"], "boolean"), /boolean parameter/);
  assert.throws(() => compileConstraint("signal", true, "string"), /string parameter/);
  assert.throws(() => compileConstraint("tail", [], "string"), /empty list/);
});

Deno.test("normalizeReference() names images as the engine does", () => {
  assert.equal(normalizeReference("busybox"), "docker.io/library/busybox");
  assert.equal(normalizeReference("busybox:1"), "docker.io/library/busybox:1");
  assert.equal(normalizeReference("acme/app"), "docker.io/acme/app");
  assert.equal(normalizeReference("ghcr.io/acme/app"), "ghcr.io/acme/app");
  assert.equal(normalizeReference("localhost/app"), "localhost/app");
  assert.equal(normalizeReference("registry:5000/app"), "registry:5000/app");
});

Deno.test("a boolean the engine reads as true when absent must be given as false", () => {
  const stream = compileConstraint("stream", false, "boolean", true);
  const check = (query: string) => {
    const params = parseQuery(query);
    if (isQueryError(params)) throw new Error(params.error);
    return stream.check(params);
  };
  assert.equal(stream.text, "with stream=0");
  assert.match(check("")!, /stream is not given, and the engine takes it as 1/);
  assert.equal(check("?stream=0"), null);
  assert.equal(check("?stream=false"), null);
  assert.match(check("?stream=1")!, /stream is set/);
  const allowed = compileConstraint("stream", true, "boolean", true);
  assert.equal(allowed.check(new Map()), null, "absent is true");
});
