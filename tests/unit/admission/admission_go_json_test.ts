import assert from "node:assert/strict";
import {
  goFoldName,
  GoJsonError,
  GoJsonNumber,
  GoJsonObject,
  type GoJsonValue,
  parseGoJson,
  parseGoJsonText,
} from "../../../lib/admission/go_json.ts";

const encode = (text: string) => new TextEncoder().encode(text);

/** A plain rendering of a parsed value, keeping duplicate keys: objects as entry lists. */
function plain(value: GoJsonValue): unknown {
  if (value instanceof GoJsonNumber) return { number: value.text };
  if (value instanceof GoJsonObject) {
    return value.entries.map(({ key, value }) => [key, plain(value)]);
  }
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

Deno.test("parseGoJson() reads what Go reads, keeping every key in order", async (t) => {
  const cases: [string, unknown][] = [
    ["{}", []],
    [" \t\r\n{} \n", []],
    ['{"a":1,"A":2,"a":3}', [["a", { number: "1" }], ["A", { number: "2" }], ["a", {
      number: "3",
    }]]],
    ['{"Privil\\u0065ged":true}', [["Privileged", true]]],
    ['{"Bind\u017f":[]}', [["Bind\u017f", []]]],
    ['{"x":"\\ud83d\\ude00"}', [["x", "\u{1f600}"]]],
    ['{"x":"\\"\\\\\\/\\b\\f\\n\\r\\t"}', [["x", '"\\/\b\f\n\r\t']]],
    ["[1,-0,0.5,1e3,-2E-2,null,false]", [
      { number: "1" },
      { number: "-0" },
      { number: "0.5" },
      { number: "1e3" },
      { number: "-2E-2" },
      null,
      false,
    ]],
    ['"caf\u00e9"', "caf\u00e9"],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => assert.deepEqual(plain(parseGoJson(encode(text))), expected));
  }
});

Deno.test("parseGoJson() refuses what Go would read differently or not at all", async (t) => {
  const cases: [string, Uint8Array][] = [
    ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ["an overlong encoding", new Uint8Array([0x22, 0xc0, 0xaf, 0x22])],
    ["a UTF-8 encoded surrogate", new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22])],
    ["a byte order mark", new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])],
    ["trailing content", encode('{"Image":"x"} {"Privileged":true}')],
    ["a trailing comma in an object", encode('{"a":1,}')],
    ["a trailing comma in an array", encode("[1,]")],
    ["a single-quoted string", encode("{'a':1}")],
    ["an unquoted key", encode("{a:1}")],
    ["a lone high surrogate escape", encode('{"a":"\\ud800"}')],
    ["a lone low surrogate escape", encode('{"a":"\\udc00"}')],
    ["a high surrogate followed by a non-surrogate", encode('{"a":"\\ud800\\u0041"}')],
    ["a raw control character in a string", encode('{"a":"x\ny"}')],
    ["an invalid escape", encode('{"a":"\\x41"}')],
    ["a leading zero", encode("[01]")],
    ["a leading plus", encode("[+1]")],
    ["a bare fraction", encode("[.5]")],
    ["a dangling exponent", encode("[1e]")],
    ["NaN", encode("[NaN]")],
    ["a comment", encode('{"a":1 /* x */}')],
    ["an empty body", encode("   ")],
    ["an unterminated object", encode('{"a":1')],
    ["True in capitals", encode("[True]")],
    ["nesting beyond the limit", encode("[".repeat(600) + "]".repeat(600))],
  ];
  for (const [name, bytes] of cases) {
    await t.step(name, () => assert.throws(() => parseGoJson(bytes), GoJsonError));
  }
});

Deno.test("goFoldName() folds as Go's encoding/json matches keys to fields", async (t) => {
  const same: [string, string][] = [
    ["Privileged", "privileged"],
    ["Binds", "BINDS"],
    ["Binds", "Bind\u017f"], // LATIN SMALL LETTER LONG S folds to S
    ["KernelMemory", "\u212aernelMemory"], // KELVIN SIGN folds to K
    ["NanoCpus", "NanoCPUs"],
    ["\u00c5", "\u212b"], // ANGSTROM SIGN folds with A WITH RING ABOVE
    ["Image", "\u0131mage"], // DOTLESS I upper-cases to I
  ];
  for (const [a, b] of same) {
    await t.step(`${a} = ${b}`, () => assert.equal(goFoldName(a), goFoldName(b)));
  }
  const different: [string, string][] = [
    ["Binds", "Bind"],
    ["Privileged", "Privileged "],
    ["Image", "\u0130mage"], // DOTTED CAPITAL I has no simple case folding
  ];
  for (const [a, b] of different) {
    await t.step(`${a} != ${b}`, () => assert.notEqual(goFoldName(a), goFoldName(b)));
  }
});

Deno.test("GoJsonObject.field() finds a field under every spelling Go accepts, as sent", () => {
  const object = parseGoJsonText('{"hostconfig":{},"Image":"x","HOSTCONFIG":null}') as GoJsonObject;
  assert.deepEqual(object.field("HostConfig").map((entry) => entry.key), [
    "hostconfig",
    "HOSTCONFIG",
  ]);
  assert.deepEqual(object.field("Labels"), []);
  assert.deepEqual(object.foldCollision(), ["hostconfig", "HOSTCONFIG"]);
});

Deno.test("GoJsonObject reports a collision under Unicode folding and an exact duplicate", () => {
  const folded = parseGoJsonText('{"Binds":[],"bind\u017f":["/:/h"]}') as GoJsonObject;
  assert.deepEqual(folded.foldCollision(), ["Binds", "bind\u017f"]);
  assert.equal(folded.duplicateKey(), undefined);
  const duplicate = parseGoJsonText('{"a":1,"b":2,"a":3}') as GoJsonObject;
  assert.equal(duplicate.duplicateKey(), "a");
  assert.deepEqual(duplicate.exact("a").map((entry) => (entry.value as GoJsonNumber).text), [
    "1",
    "3",
  ]);
});

Deno.test("GoJsonNumber tells an integer literal from one Go refuses for an int field", () => {
  assert.equal(new GoJsonNumber("-1000").toBigInt(), -1000n);
  assert.equal(new GoJsonNumber("-1e3").toBigInt(), undefined);
  assert.equal(new GoJsonNumber("1.0").isInteger, false);
  assert.equal(new GoJsonNumber("9223372036854775808").toBigInt(), 9223372036854775808n);
});
