/**
 * Canonical targets at their edges: each refusal's message whole, every byte
 * class at its bounds, escapes at every position of a segment, version
 * prefixes. Written against the mutants `deno task mutate request_target`
 * showed surviving.
 */
import assert from "node:assert/strict";
import { isTargetError, parseRequestTarget } from "../../../lib/http/request_target.ts";

function error(raw: string): string {
  const result = parseRequestTarget(raw);
  assert.ok(isTargetError(result), `accepted ${raw}`);
  return result.error;
}

function segments(raw: string): string[] {
  const result = parseRequestTarget(raw);
  assert.ok(!isTargetError(result), `refused ${raw}: ${isTargetError(result) && result.error}`);
  return result.segments;
}

Deno.test("refused targets say exactly why", async (t) => {
  const cases: [string, string][] = [
    ["", "Request target must start with /"],
    ["x", "Request target must start with /"],
    ["1http://x/", "Request target must start with /"],
    ["*", "Asterisk-form request targets are not accepted"],
    ["**", "Request target must start with /"],
    ["a+b.c-d:/x", "Absolute-form request targets are not accepted: send the path only"],
    ["Z:", "Absolute-form request targets are not accepted: send the path only"],
    ["/a b", "Request target holds byte 0x20"],
    ["/a\u001f", "Request target holds byte 0x1f"],
    ["/a\u007f", "Request target holds byte 0x7f"],
    ["/a?b c", "Request target holds byte 0x20"],
    ["/a?\u0080", "Request target holds byte 0x80"],
    ["/a?b#c", "Request target holds a fragment (#)"],
    ["/a//b", "Empty path segment (// or a trailing /)"],
    ["/a/", "Empty path segment (// or a trailing /)"],
    ["/a/?x", "Empty path segment (// or a trailing /)"],
    ["//", "Empty path segment (// or a trailing /)"],
    ["/.", "Dot segment (. or ..) in path"],
    ["/a/..", "Dot segment (. or ..) in path"],
    ["/a/%2e", "Dot segment (. or ..) in path"],
    ["/a/.%2E", "Dot segment (. or ..) in path"],
    ['/a"', 'Character """ is not allowed in path'],
    ["/a;b", 'Character ";" is not allowed in path'],
    ["/a<", 'Character "<" is not allowed in path'],
    ["/a[", 'Character "[" is not allowed in path'],
    ["/a^", 'Character "^" is not allowed in path'],
    ["/a`", 'Character "`" is not allowed in path'],
    ["/a|", 'Character "|" is not allowed in path'],
    ["/a}", 'Character "}" is not allowed in path'],
    ["/a%", "Malformed percent-encoding in path"],
    ["/a%4", "Malformed percent-encoding in path"],
    ["/a%4?1", "Malformed percent-encoding in path"],
    ["/a%g1", "Malformed percent-encoding in path"],
    ["/a%1g", "Malformed percent-encoding in path"],
    ["/a%/1", "Malformed percent-encoding in path"],
    ["/a%1:", "Malformed percent-encoding in path"],
    ["/a%`1", "Malformed percent-encoding in path"],
    ["/a%2F", "Encoded slash (%2F) in path"],
    ["/a%25", "Double percent-encoding in path"],
    ["/a%80", "Non-ASCII byte in path"],
    ["/a%ff", "Non-ASCII byte in path"],
    ["/a%7F", "Encoded byte 0x7f is not allowed in path"],
    ["/a%22", 'Encoded byte """ is not allowed in path'],
    ["/a%3b", 'Encoded byte ";" is not allowed in path'],
    ["/a%09", "Encoded byte 0x09 is not allowed in path"],
    ["/v1.41./x", "Malformed API version prefix: /v1.41."],
    ["/V1", "Malformed API version prefix: /V1"],
    ["/v.", "Malformed API version prefix: /v."],
    ["/v1/v2/x", "Repeated API version prefix"],
    ["/v1/V.", "Repeated API version prefix"],
  ];
  for (const [raw, message] of cases) {
    await t.step(JSON.stringify(raw), () => assert.equal(error(raw), message));
  }
});

Deno.test("every character a segment may hold is kept, escaped or not", () => {
  const allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@";
  assert.deepEqual(segments("/" + allowed), [allowed]);
  const escaped = [...allowed].map((c) => "%" + c.charCodeAt(0).toString(16)).join("");
  assert.deepEqual(segments("/" + escaped), [allowed]);
  assert.deepEqual(segments("/" + escaped.toUpperCase()), [allowed]);
});

Deno.test("escapes decode at the start, middle and end of a segment, and stay in it", () => {
  assert.deepEqual(segments("/%41bc/d%42f/gh%43"), ["Abc", "dBf", "ghC"]);
  assert.deepEqual(segments("/%41%42/c"), ["AB", "c"]);
  assert.deepEqual(segments("/%41/b/c"), ["A", "b", "c"]);
  assert.deepEqual(segments("/a%41?x=%2F"), ["aA"]);
  assert.deepEqual(segments("/%7e%5F"), ["~_"]);
  const result = parseRequestTarget("/a%41?q=%41");
  assert.ok(!isTargetError(result));
  assert.equal(result.path, "/aA");
  assert.equal(result.query, "?q=%41");
});

Deno.test("the root, queries and version prefixes take their canonical form", async (t) => {
  const cases: [string, string | null, string[], string, string][] = [
    ["/", null, [], "/", ""],
    ["/?a=1", null, [], "/", "?a=1"],
    ["/v1", "v1", [], "/v1", ""],
    ["/v1?x", "v1", [], "/v1", "?x"],
    ["/v1.2.3/v/x", "v1.2.3", ["v", "x"], "/v1.2.3/v/x", ""],
    ["/v/x", null, ["v", "x"], "/v/x", ""],
    ["/x/v1", null, ["x", "v1"], "/x/v1", ""],
    ["/%76%31/x", "v1", ["x"], "/v1/x", ""],
    ["/a?", null, ["a"], "/a", "?"],
    ["/a??b", null, ["a"], "/a", "??b"],
    ["/!~", null, ["!~"], "/!~", ""],
    ["/v10.1/x", "v10.1", ["x"], "/v10.1/x", ""],
    ["/xv1/a", null, ["xv1", "a"], "/xv1/a", ""],
    ["/v1x/a", null, ["v1x", "a"], "/v1x/a", ""],
  ];
  for (const [raw, version, segs, path, query] of cases) {
    await t.step(raw, () => {
      assert.deepEqual(parseRequestTarget(raw), { version, segments: segs, path, query });
    });
  }
});
