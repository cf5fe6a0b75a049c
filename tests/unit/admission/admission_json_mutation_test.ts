/**
 * Go's JSON decoding at its edges: every message and offset a malformed body
 * gets, each escape, whitespace byte and number form, the nesting limit, the
 * case folding of keys, and how a decoded object is read as a Go struct (paths,
 * type mismatches, integer bounds, maps). Written against the mutants
 * `deno task mutate admission_json` showed surviving.
 */
import assert from "node:assert/strict";
import {
  goFoldName,
  GoJsonError,
  GoJsonNumber,
  GoJsonObject,
  type GoJsonValue,
  jsonTypeName,
  MAX_DEPTH,
  parseGoJson,
  parseGoJsonText,
} from "../../../lib/admission/go_json.ts";
import {
  checkKeys,
  readArray,
  readBool,
  readInt,
  readMapEntries,
  readObject,
  readString,
  readStringMap,
  readStrings,
  readStruct,
  unknownField,
  Where,
} from "../../../lib/admission/go_fields.ts";
import { Refusal } from "../../../lib/admission/refusal.ts";

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

/** The error `parseGoJsonText` throws for `text`, as message and offset. */
function jsonError(text: string): [string, number] {
  return bytesError(encode(text));
}

function bytesError(bytes: Uint8Array): [string, number] {
  try {
    parseGoJson(bytes);
  } catch (error) {
    assert.ok(error instanceof GoJsonError, String(error));
    assert.equal(error.name, "GoJsonError");
    return [error.message, error.offset];
  }
  assert.fail("parsed without an error");
}

/** The refusal `run` throws, as its verdict. */
function refusal(run: () => unknown): Record<string, unknown> {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof Refusal, String(error));
    return { ...error.toVerdict() };
  }
  assert.fail("no refusal");
}

const object = (text: string) => parseGoJsonText(text) as GoJsonObject;

Deno.test("parseGoJson() reads every escape, whitespace byte and number form Go reads", async (t) => {
  const cases: [string, unknown][] = [
    ['"\\""', '"'],
    ['"\\\\"', "\\"],
    ['"\\/"', "/"],
    ['"\\b"', "\b"],
    ['"\\f"', "\f"],
    ['"\\n"', "\n"],
    ['"\\r"', "\r"],
    ['"\\t"', "\t"],
    ['"ab\\ncd\\tef"', "ab\ncd\tef"],
    ['"a\\u0041b\\u00e9c"', "aAb\u00e9c"],
    ['"\\u00E9\\u00e9"', "\u00e9\u00e9"],
    ['"\\ud7ff"', "\ud7ff"],
    ['"\\ue000"', "\ue000"],
    ['"\\ud800\\udc00"', "\u{10000}"],
    ['"\\uDBFF\\uDFFF"', "\u{10ffff}"],
    ['"x\\uD83D\\uDE00y"', "x\u{1f600}y"],
    ['"a b~\u007f\u00e9"', "a b~\u007f\u00e9"],
    ['""', ""],
    ["true", true],
    ["false", false],
    ["null", null],
    ["[true,false,null]", [true, false, null]],
    ["0", { number: "0" }],
    ["-0", { number: "-0" }],
    ["10", { number: "10" }],
    ["9", { number: "9" }],
    ["[9,-9]", [{ number: "9" }, { number: "-9" }]],
    ["100", { number: "100" }],
    ["-12.50", { number: "-12.50" }],
    ["1e5", { number: "1e5" }],
    ["1E+5", { number: "1E+5" }],
    ["1.5e-05", { number: "1.5e-05" }],
    ["123456789012345678901234567890", {
      number: "123456789012345678901234567890",
    }],
    ["[1,[2]]", [{ number: "1" }, [{ number: "2" }]]],
    ["[ ]", []],
    ["{ }", {}],
    ["[\t1\t,\t2\t]", [{ number: "1" }, { number: "2" }]],
    ["[\n1\n,\n2\n]", [{ number: "1" }, { number: "2" }]],
    ["[\r1\r,\r2\r]", [{ number: "1" }, { number: "2" }]],
    ["[ 1 , 2 ]", [{ number: "1" }, { number: "2" }]],
    ['{ "a" : 1 , "b" : [ ] }', [["a", { number: "1" }], ["b", []]]],
    ['{\t"a"\t:\t1\t}', [["a", { number: "1" }]]],
    ['{\n"a"\n:\n1\n}', [["a", { number: "1" }]]],
    ['{\r"a"\r:\r1\r}', [["a", { number: "1" }]]],
    ['{"a\\u0062":{"c":"d"}}', [["ab", [["c", "d"]]]]],
    [" \t\r\n1 \t\r\n", { number: "1" }],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => {
      const value = parseGoJsonText(text);
      // An empty object renders as [], so tell it from an empty array.
      if (text === "{ }") {
        assert.ok(value instanceof GoJsonObject);
        assert.deepEqual(value.entries, []);
      } else assert.deepEqual(plain(value), expected);
    });
  }
});

Deno.test("parseGoJson() says what is wrong with a body Go would refuse or read differently, and where", async (t) => {
  const cases: [string, string | Uint8Array, string, number][] = [
    ["an empty body", "", "Body is empty", 0],
    ["a body of whitespace", " \t\r\n", "Body is empty", 0],
    [
      "invalid UTF-8",
      new Uint8Array([0x22, 0xff, 0x22]),
      "Body is not valid UTF-8",
      0,
    ],
    [
      "a byte order mark",
      new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
      'Invalid JSON at offset 0: expected a value, found "\ufeff"',
      0,
    ],
    [
      "trailing content",
      '{"a":1} x',
      "Unexpected content after the JSON value at offset 8",
      8,
    ],
    [
      "a second value",
      "1 2",
      "Unexpected content after the JSON value at offset 2",
      2,
    ],
    [
      "a form feed as whitespace",
      "[1,\f2]",
      'Invalid JSON at offset 3: expected a value, found "\\f"',
      3,
    ],
    [
      "a vertical tab as whitespace",
      "\u000b1",
      'Invalid JSON at offset 0: expected a value, found "\\u000b"',
      0,
    ],
    [
      "a truncated true",
      "[tru]",
      'Invalid JSON at offset 1: expected true, found "t"',
      1,
    ],
    [
      "a truncated false",
      "[fals]",
      'Invalid JSON at offset 1: expected false, found "f"',
      1,
    ],
    [
      "a truncated null",
      "[nul]",
      'Invalid JSON at offset 1: expected null, found "n"',
      1,
    ],
    [
      "True in capitals",
      "True",
      'Invalid JSON at offset 0: expected a value, found "T"',
      0,
    ],
    [
      "a bare minus",
      "[-]",
      'Invalid JSON at offset 1: expected a number, found "-"',
      1,
    ],
    [
      "a minus before a letter",
      "-a",
      'Invalid JSON at offset 0: expected a number, found "-"',
      0,
    ],
    [
      "a leading zero",
      "[01]",
      'Invalid JSON at offset 2: malformed number, found "1"',
      2,
    ],
    [
      "a leading plus",
      "[+1]",
      'Invalid JSON at offset 1: expected a value, found "+"',
      1,
    ],
    [
      "a bare fraction",
      "[.5]",
      'Invalid JSON at offset 1: expected a value, found "."',
      1,
    ],
    [
      "a dot without digits",
      "[1.]",
      'Invalid JSON at offset 2: malformed number, found "."',
      2,
    ],
    [
      "a dot then an exponent",
      "1.e5",
      'Invalid JSON at offset 1: malformed number, found "."',
      1,
    ],
    [
      "a dangling exponent",
      "[1e]",
      'Invalid JSON at offset 2: malformed number, found "e"',
      2,
    ],
    [
      "a dangling capital exponent",
      "1E",
      'Invalid JSON at offset 1: malformed number, found "E"',
      1,
    ],
    [
      "an exponent without digits",
      "1e+",
      'Invalid JSON at offset 1: malformed number, found "e"',
      1,
    ],
    [
      "a minus after a number",
      "1-",
      'Invalid JSON at offset 1: malformed number, found "-"',
      1,
    ],
    [
      "a plus after a number",
      "1+",
      'Invalid JSON at offset 1: malformed number, found "+"',
      1,
    ],
    [
      "two dots",
      "1.5.2",
      'Invalid JSON at offset 3: malformed number, found "."',
      3,
    ],
    [
      "a letter after a number",
      "12x",
      "Unexpected content after the JSON value at offset 2",
      2,
    ],
    ["NaN", "NaN", 'Invalid JSON at offset 0: expected a value, found "N"', 0],
    [
      "an unterminated string",
      '"abc',
      "Invalid JSON at offset 4: unterminated string, found end of body",
      4,
    ],
    [
      "a control character in a string",
      '"a\u001fb"',
      'Invalid JSON at offset 2: control character in string, found "\\u001f"',
      2,
    ],
    [
      "a NUL in a string",
      '"\u0000"',
      'Invalid JSON at offset 1: control character in string, found "\\u0000"',
      1,
    ],
    [
      "an invalid escape",
      '"ab\\x41"',
      'Invalid JSON at offset 4: invalid escape, found "x"',
      4,
    ],
    [
      "a capital U escape",
      '"\\U0041"',
      'Invalid JSON at offset 2: invalid escape, found "U"',
      2,
    ],
    [
      "a backslash at the end",
      '"\\',
      "Invalid JSON at offset 2: invalid escape, found end of body",
      2,
    ],
    [
      "three hex digits",
      '"\\u004"',
      'Invalid JSON at offset 3: expected four hex digits, found "0"',
      3,
    ],
    [
      "a non-hex digit",
      '"x\\u00g1"',
      'Invalid JSON at offset 4: expected four hex digits, found "0"',
      4,
    ],
    [
      "hex digits after other text",
      '"\\u 0041"',
      'Invalid JSON at offset 3: expected four hex digits, found " "',
      3,
    ],
    [
      "a lone high surrogate escape",
      '"\\ud800"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "\\""',
      7,
    ],
    [
      "the highest high surrogate, alone",
      '"\\udbff!"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "!"',
      7,
    ],
    [
      "a high surrogate before another escape",
      '"\\ud800\\n"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "\\\\"',
      7,
    ],
    [
      "a high surrogate, another character and a low surrogate without its backslash",
      '"\\ud800xudc00"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "x"',
      7,
    ],
    [
      "a high surrogate and a low surrogate escaped with x",
      '"\\ud800\\xdc00"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "\\\\"',
      7,
    ],
    [
      "a high surrogate before u",
      '"\\ud800u0041"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "u"',
      7,
    ],
    [
      "a high surrogate followed by a non-surrogate",
      '"\\ud800\\u0041"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "\\\\"',
      7,
    ],
    [
      "a high surrogate followed by the last code unit below the low ones",
      '"\\ud800\\udbff"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "\\\\"',
      7,
    ],
    [
      "a high surrogate followed by the first code unit above the low ones",
      '"\\ud800\\ue000"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "\\\\"',
      7,
    ],
    [
      "a high surrogate followed by a bad escape",
      '"\\ud800\\uzzzz"',
      'Invalid JSON at offset 9: expected four hex digits, found "z"',
      9,
    ],
    [
      "a lone low surrogate escape",
      '"\\udc00"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "\\""',
      7,
    ],
    [
      "the highest low surrogate, alone",
      '"\\udfff"',
      'Invalid JSON at offset 7: lone surrogate escape (Go would read U+FFFD), found "\\""',
      7,
    ],
    [
      "an unquoted key",
      "{a:1}",
      'Invalid JSON at offset 1: expected a key, found "a"',
      1,
    ],
    [
      "a single-quoted key",
      "{'a':1}",
      'Invalid JSON at offset 1: expected a key, found "\'"',
      1,
    ],
    [
      "a trailing comma in an object",
      '{"a":1,}',
      'Invalid JSON at offset 7: expected a key, found "}"',
      7,
    ],
    [
      "a trailing comma in an array",
      "[1,]",
      'Invalid JSON at offset 3: expected a value, found "]"',
      3,
    ],
    [
      "a missing colon",
      '{"a" 1}',
      'Invalid JSON at offset 5: expected :, found "1"',
      5,
    ],
    [
      "a missing value",
      '{"a":}',
      'Invalid JSON at offset 5: expected a value, found "}"',
      5,
    ],
    [
      "a missing comma in an object",
      '{"a":1 "b":2}',
      'Invalid JSON at offset 7: expected , or }, found "\\""',
      7,
    ],
    [
      "a missing comma in an array",
      "[1 2]",
      'Invalid JSON at offset 3: expected , or ], found "2"',
      3,
    ],
    [
      "an object closed by ]",
      '{"a":1]',
      'Invalid JSON at offset 6: expected , or }, found "]"',
      6,
    ],
    [
      "an array closed by }",
      "[1}",
      'Invalid JSON at offset 2: expected , or ], found "}"',
      2,
    ],
    [
      "an unterminated object",
      '{"a":1',
      "Invalid JSON at offset 6: expected , or }, found end of body",
      6,
    ],
    [
      "an unterminated array",
      "[1",
      "Invalid JSON at offset 2: expected , or ], found end of body",
      2,
    ],
    [
      "an open brace alone",
      "{",
      "Invalid JSON at offset 1: expected a key, found end of body",
      1,
    ],
    [
      "an open bracket alone",
      "[",
      "Invalid JSON at offset 1: expected a value, found end of body",
      1,
    ],
    [
      "a key without a colon at the end",
      '{"a"',
      "Invalid JSON at offset 4: expected :, found end of body",
      4,
    ],
    [
      "a comment",
      '{"a":1 /* x */}',
      'Invalid JSON at offset 7: expected , or }, found "/"',
      7,
    ],
  ];
  for (const [name, body, message, offset] of cases) {
    await t.step(name, () => {
      const bytes = typeof body === "string" ? encode(body) : body;
      assert.deepEqual(bytesError(bytes), [message, offset]);
    });
  }
});

Deno.test("parseGoJsonText() refuses the same text as parseGoJson() with the same message", () => {
  assert.throws(
    () => parseGoJsonText("[1,]"),
    GoJsonError,
    'Invalid JSON at offset 3: expected a value, found "]"',
  );
  assert.throws(() => parseGoJsonText(""), GoJsonError, "Body is empty");
});

Deno.test("parseGoJson() accepts nesting up to MAX_DEPTH levels and refuses one more", async (t) => {
  assert.equal(MAX_DEPTH, 512);
  await t.step("arrays", () => {
    const deepest = "[".repeat(MAX_DEPTH + 1) + "]".repeat(MAX_DEPTH + 1);
    let value = parseGoJsonText(deepest);
    for (let i = 0; i < MAX_DEPTH; i++) value = (value as GoJsonValue[])[0];
    assert.deepEqual(value, []);
    const over = "[".repeat(MAX_DEPTH + 2) + "]".repeat(MAX_DEPTH + 2);
    assert.deepEqual(jsonError(over), [
      "JSON nested deeper than 512 levels",
      513,
    ]);
  });
  await t.step("objects", () => {
    const deepest = '{"a":'.repeat(MAX_DEPTH) + "1" + "}".repeat(MAX_DEPTH);
    assert.ok(parseGoJsonText(deepest) instanceof GoJsonObject);
    const over = '{"a":'.repeat(MAX_DEPTH + 1) + "{}" +
      "}".repeat(MAX_DEPTH + 1);
    assert.deepEqual(jsonError(over), [
      "JSON nested deeper than 512 levels",
      5 * 513,
    ]);
  });
  await t.step("a scalar at the limit", () => {
    const deepest = "[".repeat(MAX_DEPTH) + "1" + "]".repeat(MAX_DEPTH);
    assert.ok(Array.isArray(parseGoJsonText(deepest)));
    const over = "[".repeat(MAX_DEPTH + 1) + "1" + "]".repeat(MAX_DEPTH + 1);
    assert.deepEqual(jsonError(over), [
      "JSON nested deeper than 512 levels",
      513,
    ]);
  });
});

Deno.test("GoJsonNumber tells exactly the integer literals an int field takes", async (t) => {
  const cases: [string, bigint | undefined][] = [
    ["0", 0n],
    ["-0", 0n],
    ["7", 7n],
    ["10", 10n],
    ["100", 100n],
    ["-9223372036854775809", -9223372036854775809n],
    ["00", undefined],
    ["01", undefined],
    ["-", undefined],
    ["--1", undefined],
    ["+1", undefined],
    ["1.0", undefined],
    ["1e3", undefined],
    ["x1", undefined],
    ["1x", undefined],
    ["", undefined],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => {
      const number = new GoJsonNumber(text);
      assert.equal(number.isInteger, expected !== undefined);
      assert.equal(number.toBigInt(), expected);
      assert.equal(number.toString(), text);
      assert.equal(`${number}`, text);
    });
  }
});

Deno.test("GoJsonObject lists keys as sent and finds fields, exact keys and collisions", () => {
  const value = object('{"b":1,"Image":2,"a":3,"IMAGE":4,"b":5}');
  assert.deepEqual(value.keys(), ["b", "Image", "a", "IMAGE", "b"]);
  assert.deepEqual(value.field("image").map(({ key }) => key), [
    "Image",
    "IMAGE",
  ]);
  assert.deepEqual(value.exact("b").map(({ value }) => plain(value)), [{
    number: "1",
  }, {
    number: "5",
  }]);
  assert.deepEqual(value.exact("image"), []);
  assert.deepEqual(value.foldCollision(), ["Image", "IMAGE"]);
  assert.equal(value.duplicateKey(), "b");
  const distinct = object('{"a":1,"b":2,"\u00e9":3}');
  assert.equal(distinct.foldCollision(), undefined);
  assert.equal(distinct.duplicateKey(), undefined);
  assert.deepEqual(object('{"a":1,"A":2,"a":3}').foldCollision(), ["a", "A"]);
  assert.deepEqual(object('{"x":1,"a":2,"b":3,"A":4,"B":5}').foldCollision(), [
    "a",
    "A",
  ]);
  assert.equal(object('{"x":1,"a":2,"b":3,"b":4,"a":5}').duplicateKey(), "b");
  assert.deepEqual(object('{"\u00e9":1,"\u00c9":2}').foldCollision(), [
    "\u00e9",
    "\u00c9",
  ]);
  assert.deepEqual(new GoJsonObject([]).keys(), []);
});

Deno.test("goFoldName() upper-cases ASCII letters only and folds other characters to the smallest of their orbit", async (t) => {
  const cases: [string, string][] = [
    ["az", "AZ"],
    ["AZ", "AZ"],
    ["`{@[09_-", "`{@[09_-"],
    ["\u007f", "\u007f"],
    ["\u00e9", "\u00c9"], // é -> É
    ["\u00c9", "\u00c9"],
    ["\u017f", "S"], // LATIN SMALL LETTER LONG S
    ["\u212a", "K"], // KELVIN SIGN
    ["\u212b", "\u00c5"], // ANGSTROM SIGN
    ["\u03c2", "\u03a3"], // final sigma -> capital sigma, through the small sigma
    ["\u03c3", "\u03a3"],
    ["\u00df", "\u00df"], // sharp s: upper-cases to "SS", not a simple mapping
    ["\u1e9e", "\u00df"], // capital sharp s folds to the small one
    ["\u0149", "\u0149"], // upper-cases to two characters
    ["\u0130", "\u0130"], // lower-cases to two characters
    ["\u0131", "I"], // dotless i
    ["\u00b5", "\u00b5"], // MICRO SIGN: its orbit holds the Greek mu, which is larger
    ["\u{10428}", "\u{10400}"], // DESERET: outside the BMP
    ["\u4e2d", "\u4e2d"],
    ["Bind\u017f", "BINDS"],
    ["", ""],
  ];
  for (const [name, folded] of cases) {
    await t.step(JSON.stringify(name), () => {
      assert.equal(goFoldName(name), folded);
      // Again, from the cache.
      assert.equal(goFoldName(name), folded);
    });
  }
});

Deno.test("jsonTypeName() names each JSON type for messages", () => {
  assert.equal(jsonTypeName(null), "null");
  assert.equal(jsonTypeName(true), "a boolean");
  assert.equal(jsonTypeName(false), "a boolean");
  assert.equal(jsonTypeName(""), "a string");
  assert.equal(jsonTypeName(new GoJsonNumber("1")), "a number");
  assert.equal(jsonTypeName([]), "an array");
  assert.equal(jsonTypeName(new GoJsonObject([])), "an object");
});

Deno.test("Where names a value's place in the body, keeping its note", () => {
  const root = new Where("");
  assert.equal(root.path, "");
  assert.equal(root.note, "");
  assert.equal(root.label, "The body");
  const noted = new Where("", " (at the body's root)");
  assert.equal(noted.label, "The body (at the body's root)");
  const mounts = noted.child("HostConfig").child("Mounts");
  assert.equal(mounts.path, "HostConfig.Mounts");
  assert.equal(mounts.label, "HostConfig.Mounts (at the body's root)");
  const source = mounts.index(2).child("Source");
  assert.equal(source.path, "HostConfig.Mounts[2].Source");
  assert.equal(source.note, " (at the body's root)");
  const label = new Where("Labels").key('a"b');
  assert.equal(label.path, 'Labels["a\\"b"]');
  assert.equal(noted.key("k").label, '["k"] (at the body\'s root)');
  assert.equal(noted.index(0).label, "[0] (at the body's root)");
});

Deno.test("checkKeys() refuses keys Go would match ambiguously and keys that are not printable ASCII", async (t) => {
  const where = new Where("HostConfig", " (note)");
  const refused: [string, string][] = [
    [
      '{"Binds":1,"binds":2}',
      'Keys "Binds" and "binds" collide under case folding in HostConfig (note)',
    ],
    ['{"a":1,"a":2}', 'Key "a" is sent twice in HostConfig (note)'],
    [
      '{"Binds":1,"Bind\u017f":2}',
      'Keys "Binds" and "Bind\u017f" collide under case folding in HostConfig (note)',
    ],
    [
      '{"ok":1,"caf\u00e9":2}',
      'Key "caf\u00e9" in HostConfig (note) is not printable ASCII',
    ],
    [
      '{"a\\u007fb":1}',
      'Key "a\u007fb" in HostConfig (note) is not printable ASCII',
    ],
    [
      '{"\\u001f":1}',
      'Key "\\u001f" in HostConfig (note) is not printable ASCII',
    ],
    ['{"a\\tb":1}', 'Key "a\\tb" in HostConfig (note) is not printable ASCII'],
  ];
  for (const [text, reason] of refused) {
    await t.step(reason, () => {
      assert.deepEqual(refusal(() => checkKeys(object(text), where)), {
        allowed: false,
        status: 400,
        reason,
        field: "HostConfig",
      });
    });
  }
  await t.step(
    "printable ASCII keys, from space to tilde, and the empty key",
    () => {
      checkKeys(object('{"":1," ":2,"~":3,"a b~!":4,"Image":5}'), where);
    },
  );
});

Deno.test("readStruct() reads an object as a Go struct, refusing unknown fields with 403", async (t) => {
  const known = ["Image", "HostConfig", "Privileged"];
  await t.step("fields by their canonical name, with the key as sent", () => {
    const struct = readStruct(
      object('{"image":"x","PRIVILEGED":true}'),
      new Where(""),
      known,
    );
    assert.equal(struct.has("Image"), true);
    assert.equal(struct.has("Privileged"), true);
    assert.equal(struct.has("HostConfig"), false);
    assert.equal(struct.fields.get("Image")?.key, "image");
    assert.equal(struct.fields.get("Privileged")?.key, "PRIVILEGED");
    assert.equal(struct.str("Image"), "x");
    assert.equal(struct.bool("Privileged"), true);
    assert.equal(struct.get("HostConfig"), undefined);
    assert.equal(struct.struct("HostConfig", ["Binds"]), undefined);
    assert.equal(struct.at("Image").path, "Image");
  });
  await t.step("a known name in another case", () => {
    const struct = readStruct(object('{"Privileged":true}'), new Where(""), [
      "privileged",
    ]);
    assert.equal(struct.has("privileged"), true);
    assert.equal(struct.bool("privileged"), true);
  });
  await t.step("an unknown field", () => {
    assert.deepEqual(
      refusal(() =>
        readStruct(
          object('{"Image":"x","Foo":1}'),
          new Where("HostConfig"),
          known,
        )
      ),
      {
        allowed: false,
        status: 403,
        reason:
          "Unknown field HostConfig.Foo is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
        field: "HostConfig.Foo",
        needs: "HOST_ACCESS=1",
      },
    );
  });
  await t.step("an unknown field at the root, with a note", () => {
    assert.deepEqual(
      refusal(() => unknownField(new Where("", " (x)").child("Bar"))),
      {
        allowed: false,
        status: 403,
        reason:
          "Unknown field Bar (x) is refused: the proxy does not know it (it may be a field of a newer engine), and only HOST_ACCESS=1 lets it through",
        field: "Bar",
        needs: "HOST_ACCESS=1",
      },
    );
  });
  await t.step("keys checked before the fields", () => {
    assert.deepEqual(
      refusal(() => readStruct(object('{"Foo":1,"foo":2}'), new Where(""), known)),
      {
        allowed: false,
        status: 400,
        reason: 'Keys "Foo" and "foo" collide under case folding in The body',
        field: "",
      },
    );
  });
  await t.step("not an object", () => {
    assert.deepEqual(
      refusal(() => readStruct([], new Where("HostConfig"), known)),
      {
        allowed: false,
        status: 400,
        reason: "HostConfig: want an object, got an array",
        field: "HostConfig",
      },
    );
  });
  await t.step(
    "a nested struct, null, and a nested struct of the wrong type",
    () => {
      const struct = readStruct(
        object('{"HostConfig":{"binds":["/a:/b"]},"Image":null}'),
        new Where(""),
        known,
      );
      const hostConfig = struct.struct("HostConfig", ["Binds"]);
      assert.ok(hostConfig !== undefined);
      assert.equal(hostConfig.where.path, "HostConfig");
      assert.deepEqual(hostConfig.strings("Binds"), ["/a:/b"]);
      assert.equal(hostConfig.at("Binds").path, "HostConfig.Binds");
      assert.equal(struct.get("Image"), null);
      assert.equal(struct.str("Image"), "");
      const nulled = readStruct(
        object('{"HostConfig":null}'),
        new Where(""),
        known,
      );
      assert.equal(nulled.struct("HostConfig", ["Binds"]), undefined);
      assert.equal(nulled.object("HostConfig"), undefined);
      const wrong = readStruct(
        object('{"HostConfig":"x"}'),
        new Where(""),
        known,
      );
      assert.deepEqual(refusal(() => wrong.struct("HostConfig", ["Binds"])), {
        allowed: false,
        status: 400,
        reason: "HostConfig: want an object, got a string",
        field: "HostConfig",
      });
    },
  );
});

Deno.test("Struct reads each Go type, with the zero value for absent and null fields", async (t) => {
  const known = ["S", "B", "I", "L", "Ss", "Sl", "M", "O"];
  const full = readStruct(
    object(
      '{"S":"x","B":true,"I":-5,"L":[1,"a"],"Ss":["a","b"],"Sl":"cmd","M":{"k":"v"},"O":{"z":1}}',
    ),
    new Where("C"),
    known,
  );
  await t.step("present", () => {
    assert.equal(full.str("S"), "x");
    assert.equal(full.bool("B"), true);
    assert.equal(full.int("I"), -5n);
    assert.deepEqual(plain(full.list("L")), [{ number: "1" }, "a"]);
    assert.deepEqual(full.strings("Ss"), ["a", "b"]);
    assert.deepEqual(full.strSlice("Sl"), ["cmd"]);
    assert.deepEqual(full.strSlice("Ss"), ["a", "b"]);
    assert.deepEqual([...full.map("M")], [["k", "v"]]);
    assert.deepEqual(full.object("O")?.keys(), ["z"]);
  });
  for (
    const [name, body] of [["absent", "{}"], [
      "null",
      '{"S":null,"B":null,"I":null,"L":null,"Ss":null,"Sl":null,"M":null,"O":null}',
    ]]
  ) {
    await t.step(name, () => {
      const empty = readStruct(object(body), new Where("C"), known);
      assert.equal(empty.str("S"), "");
      assert.equal(empty.bool("B"), false);
      assert.equal(empty.int("I"), 0n);
      assert.deepEqual(empty.list("L"), []);
      assert.deepEqual(empty.strings("Ss"), []);
      assert.deepEqual(empty.strSlice("Sl"), []);
      assert.deepEqual([...empty.map("M")], []);
      assert.equal(empty.object("O"), undefined);
    });
  }
  await t.step("of the wrong type", async (t) => {
    const wrong = readStruct(
      object(
        '{"S":1,"B":"true","I":"1","L":{},"Ss":[1],"Sl":[true],"M":[],"O":false}',
      ),
      new Where("C"),
      known,
    );
    const cases: [string, () => unknown, string, string][] = [
      ["str", () => wrong.str("S"), "C.S: want a string, got a number", "C.S"],
      [
        "bool",
        () => wrong.bool("B"),
        "C.B: want a boolean, got a string",
        "C.B",
      ],
      [
        "int",
        () => wrong.int("I"),
        "C.I: want an integer, got a string",
        "C.I",
      ],
      [
        "list",
        () => wrong.list("L"),
        "C.L: want an array, got an object",
        "C.L",
      ],
      [
        "strings",
        () => wrong.strings("Ss"),
        "C.Ss[0]: want a string, got a number",
        "C.Ss[0]",
      ],
      [
        "strSlice",
        () => wrong.strSlice("Sl"),
        "C.Sl[0]: want a string, got a boolean",
        "C.Sl[0]",
      ],
      ["map", () => wrong.map("M"), "C.M: want an object, got an array", "C.M"],
      [
        "object",
        () => wrong.object("O"),
        "C.O: want an object, got a boolean",
        "C.O",
      ],
    ];
    for (const [name, run, reason, field] of cases) {
      await t.step(name, () => {
        assert.deepEqual(refusal(run), {
          allowed: false,
          status: 400,
          reason,
          field,
        });
      });
    }
  });
});

Deno.test("readInt() takes exactly the integer literals of a Go int64", async (t) => {
  const where = new Where("HostConfig").child("Memory");
  const accepted: [string, bigint][] = [
    ["9223372036854775807", 9223372036854775807n],
    ["-9223372036854775808", -9223372036854775808n],
    ["0", 0n],
  ];
  for (const [text, n] of accepted) {
    await t.step(
      text,
      () => assert.equal(readInt(new GoJsonNumber(text), where), n),
    );
  }
  for (
    const text of ["9223372036854775808", "-9223372036854775809", "1.5", "1e3"]
  ) {
    await t.step(`${text} refused`, () => {
      assert.deepEqual(refusal(() => readInt(new GoJsonNumber(text), where)), {
        allowed: false,
        status: 400,
        reason: `HostConfig.Memory: ${text} is not an integer Go can read`,
        field: "HostConfig.Memory",
      });
    });
  }
  await t.step("null and absent", () => {
    assert.equal(readInt(null, where), 0n);
    assert.equal(readInt(undefined, where), 0n);
  });
  await t.step("a boolean", () => {
    assert.deepEqual(refusal(() => readInt(true, where)), {
      allowed: false,
      status: 400,
      reason: "HostConfig.Memory: want an integer, got a boolean",
      field: "HostConfig.Memory",
    });
  });
});

Deno.test("the scalar readers give the zero value for null and absent, and refuse other types", () => {
  const where = new Where("X");
  assert.equal(readString(undefined, where), "");
  assert.equal(readString(null, where), "");
  assert.equal(readString("s", where), "s");
  assert.equal(readBool(undefined, where), false);
  assert.equal(readBool(null, where), false);
  assert.equal(readBool(false, where), false);
  assert.equal(readObject(undefined, where), undefined);
  assert.equal(readObject(null, where), undefined);
  assert.deepEqual(readArray(undefined, where), []);
  assert.deepEqual(readArray(null, where), []);
  assert.deepEqual(readStrings(null, where), []);
  assert.deepEqual(refusal(() => readString([], where)), {
    allowed: false,
    status: 400,
    reason: "X: want a string, got an array",
    field: "X",
  });
  assert.deepEqual(refusal(() => readBool(new GoJsonNumber("1"), where)), {
    allowed: false,
    status: 400,
    reason: "X: want a boolean, got a number",
    field: "X",
  });
  assert.deepEqual(refusal(() => readArray("a", where)), {
    allowed: false,
    status: 400,
    reason: "X: want an array, got a string",
    field: "X",
  });
  assert.deepEqual(refusal(() => readObject(true, where)), {
    allowed: false,
    status: 400,
    reason: "X: want an object, got a boolean",
    field: "X",
  });
  assert.deepEqual(
    refusal(() => readStrings(["a", null, new GoJsonNumber("1")], where)),
    {
      allowed: false,
      status: 400,
      reason: "X[2]: want a string, got a number",
      field: "X[2]",
    },
  );
  assert.deepEqual(readStrings(["a", null], where), ["a", ""]);
});

Deno.test("readStringMap() and readMapEntries() match keys exactly and refuse a key sent twice", async (t) => {
  const where = new Where("Labels", " (n)");
  await t.step("keys differing in case are distinct", () => {
    assert.deepEqual([
      ...readStringMap(object('{"a":"1","A":"2","\u00e9":null}'), where),
    ], [
      ["a", "1"],
      ["A", "2"],
      ["\u00e9", ""],
    ]);
    assert.deepEqual(
      readMapEntries(object('{"a":1,"A":[]}'), where).map((
        [key, value],
      ) => [key, plain(value)]),
      [["a", { number: "1" }], ["A", []]],
    );
  });
  await t.step("null and absent", () => {
    assert.deepEqual([...readStringMap(null, where)], []);
    assert.deepEqual([...readStringMap(undefined, where)], []);
    assert.deepEqual(readMapEntries(null, where), []);
    assert.deepEqual(readMapEntries(undefined, where), []);
  });
  await t.step("a key sent twice", () => {
    const twice = object('{"a":"1","b":"2","a":"3"}');
    const expected = {
      allowed: false,
      status: 400,
      reason: 'Key "a" is sent twice in Labels (n)',
      field: "Labels",
    };
    assert.deepEqual(refusal(() => readStringMap(twice, where)), expected);
    assert.deepEqual(refusal(() => readMapEntries(twice, where)), expected);
  });
  await t.step("a value that is not a string", () => {
    assert.deepEqual(
      refusal(() => readStringMap(object('{"a":"1","b":2}'), where)),
      {
        allowed: false,
        status: 400,
        reason: 'Labels["b"] (n): want a string, got a number',
        field: 'Labels["b"]',
      },
    );
  });
  await t.step("not an object", () => {
    const expected = {
      allowed: false,
      status: 400,
      reason: "Labels (n): want an object, got an array",
      field: "Labels",
    };
    assert.deepEqual(refusal(() => readStringMap([], where)), expected);
    assert.deepEqual(refusal(() => readMapEntries([], where)), expected);
  });
});
