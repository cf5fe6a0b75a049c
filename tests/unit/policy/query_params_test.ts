import assert from "node:assert/strict";
import {
  goBoolean,
  isQueryError,
  parseQuery,
  unescapeComponent,
} from "../../../lib/policy/query_params.ts";

function params(query: string): Record<string, readonly string[]> {
  const parsed = parseQuery(query);
  if (isQueryError(parsed)) throw new Error(parsed.error);
  return Object.fromEntries(parsed);
}

Deno.test("parseQuery() decodes a query as Go's url.ParseQuery does", async (t) => {
  const cases: [string, Record<string, string[]>][] = [
    ["", {}],
    ["?", {}],
    ["?all=1", { all: ["1"] }],
    ["all=1", { all: ["1"] }],
    ["?a=1&b=2", { a: ["1"], b: ["2"] }],
    ["?signal=HUP&signal=KILL", { signal: ["HUP", "KILL"] }],
    ["?follow", { follow: [""] }],
    ["?follow=", { follow: [""] }],
    ["?a=1&&b=2", { a: ["1"], b: ["2"] }],
    ["?%73ignal=KILL", { signal: ["KILL"] }],
    ["?fromImage=ghcr.io%2Facme%2Fapp", { fromImage: ["ghcr.io/acme/app"] }],
    ["?t=a+b", { t: ["a b"] }],
    ["?t=a%2Bb", { t: ["a+b"] }],
    ["?x=a=b", { x: ["a=b"] }],
    ["?Follow=1", { Follow: ["1"] }],
    ['?filters={"label":["a=b"]}', { filters: ['{"label":["a=b"]}'] }],
    ["?n=%C3%A9", { n: ["é"] }],
  ];
  for (const [query, expected] of cases) {
    await t.step(JSON.stringify(query), () => assert.deepEqual(params(query), expected));
  }
});

Deno.test("parseQuery() refuses what engines would read differently", async (t) => {
  const cases: [string, RegExp][] = [
    ["?a=1;b=2", /';'/],
    ["?signal=HUP;signal=KILL", /';'/],
    ["?a=%zz", /Malformed escape/],
    ["?a=%4", /Malformed escape/],
    ["?%=1", /Malformed escape/],
    ["?a=%ff", /Malformed escape/],
    ["?a=%C3", /Malformed escape/],
  ];
  for (const [query, error] of cases) {
    await t.step(JSON.stringify(query), () => {
      const parsed = parseQuery(query);
      assert.ok(isQueryError(parsed), "refused");
      assert.match(parsed.error, error);
    });
  }
});

Deno.test("unescapeComponent() leaves plain text alone and decodes + and escapes", () => {
  assert.equal(unescapeComponent("abc"), "abc");
  assert.equal(unescapeComponent("a+b+c"), "a b c");
  assert.equal(unescapeComponent("a%20b"), "a b");
  assert.equal(unescapeComponent("%41%62"), "Ab");
  assert.equal(unescapeComponent("100%"), null);
});

Deno.test("goBoolean() is true or false only where both of the engine's decodings agree", async (t) => {
  const cases: [string[] | undefined, boolean | null][] = [
    [undefined, false],
    [[""], false],
    [["0"], false],
    [["false"], false],
    [["FALSE"], false],
    [["False"], false],
    [["no"], false],
    [["none"], false],
    [[" 0 "], false],
    [["1"], true],
    [["true"], true],
    [["True"], true],
    [["TRUE"], true],
    [["t"], true],
    [["T"], true],
    [["yes"], null],
    [["2"], null],
    [["f"], null],
    [["tRue"], null],
    [[" 1"], null],
    [["1", "1"], null],
    [["0", "0"], null],
  ];
  for (const [values, expected] of cases) {
    await t.step(`${JSON.stringify(values)}`, () => assert.equal(goBoolean(values), expected));
  }
});
