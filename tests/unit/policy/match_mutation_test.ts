/**
 * Addresses, ranges, globs and label selectors at their edges: every address
 * form, prefixes at and past their bounds, containment off byte boundaries,
 * globs over special characters, and each refusal's words. Written against
 * the mutants `deno task mutate match` showed surviving.
 */
import assert from "node:assert/strict";
import { cidrContains, cidrCovers, parseAddress, parseCidr } from "../../../lib/policy/cidr.ts";
import { compileGlob, isGlob } from "../../../lib/policy/glob.ts";
import { formatLabelMatcher, labelMatches, parseLabelMatcher } from "../../../lib/policy/labels.ts";

Deno.test("parseAddress() reads every IPv4 and IPv6 form, and nothing else", async (t) => {
  const cases: [string, number[] | null][] = [
    ["0.0.0.0", [0, 0, 0, 0]],
    ["255.255.255.255", [255, 255, 255, 255]],
    ["10.0.0.9", [10, 0, 0, 9]],
    ["192.168.100.1", [192, 168, 100, 1]],
    ["256.1.1.1", null],
    ["01.2.3.4", null],
    ["1.2.3", null],
    ["1.2.3.4.5", null],
    ["1.2.3.", null],
    ["1..2.3", null],
    ["1.2.3.1000", null],
    ["[1.2.3.4]", [1, 2, 3, 4]],
    ["[::1", null],
    ["x::1]", null],
    ["", null],
    ["::", Array(16).fill(0)],
    ["::1", [...Array(15).fill(0), 1]],
    ["[::1]", [...Array(15).fill(0), 1]],
    ["1::", [0, 1, ...Array(14).fill(0)]],
    ["abcd:EF01::", [0xab, 0xcd, 0xef, 0x01, ...Array(12).fill(0)]],
    ["1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ["1:2:3:4:5:6:7::", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]],
    ["::2:3:4:5:6:7:8", [0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ["1:2::7:8", [0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 8]],
    ["ffff:fffe::", [0xff, 0xff, 0xff, 0xfe, ...Array(12).fill(0)]],
    ["1:2:3:4:5:6:7:8:9", null],
    ["1:2:3:4:5:6:7", null],
    ["1:2:3:4:5:6::7:8", null],
    [":::", null],
    ["1::2::3", null],
    ["12345::", null],
    ["g::", null],
    ["a:b", null],
    ["::ffff:1.2.3.4", [1, 2, 3, 4]],
    ["0:0:0:0:0:ffff:102:304", [1, 2, 3, 4]],
    ["::ffff:1.2.3", null],
    ["::1.2.3.4", [...Array(12).fill(0), 1, 2, 3, 4]],
    ["::fffe:1.2.3.4", [...Array(10).fill(0), 0xff, 0xfe, 1, 2, 3, 4]],
    ["::feff:1.2.3.4", [...Array(10).fill(0), 0xfe, 0xff, 1, 2, 3, 4]],
    ["::1:ffff:1.2.3.4", [...Array(8).fill(0), 0, 1, 0xff, 0xff, 1, 2, 3, 4]],
    ["1:2:3:4:5:6:1.2.3.4", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4]],
    ["1:2:3:4:5:6:7:1.2.3.4", null],
    ["1.2.3.4::", null],
    ["1.2.3.4::1", null],
    ["::1.2.3.4:1", null],
  ];
  for (const [text, bytes] of cases) {
    await t.step(text || "(empty)", () => {
      const parsed = parseAddress(text);
      assert.deepEqual(parsed === null ? null : [...parsed], bytes);
    });
  }
});

Deno.test("parseCidr() reads ranges and says what is wrong with a bad one", async (t) => {
  const good: [string, number, number[]][] = [
    ["10.0.0.0/8", 8, [10, 0, 0, 0]],
    ["0.0.0.0/0", 0, [0, 0, 0, 0]],
    ["10.0.0.1/32", 32, [10, 0, 0, 1]],
    [" 10.0.0.1 ", 32, [10, 0, 0, 1]],
    ["10.128.0.0/9", 9, [10, 128, 0, 0]],
    ["::/0", 0, Array(16).fill(0)],
    ["::1/128", 128, [...Array(15).fill(0), 1]],
    ["fd00::1", 128, [0xfd, ...Array(14).fill(0), 1]],
  ];
  for (const [text, prefix, bytes] of good) {
    await t.step(text, () => {
      const cidr = parseCidr(text);
      assert.equal(cidr.text, text);
      assert.equal(cidr.prefix, prefix);
      assert.deepEqual([...cidr.bytes], bytes);
    });
  }
  const bad: [string, string][] = [
    ["x/8", 'Invalid address "x"'],
    ["/8", 'Invalid address ""'],
    ["", 'Invalid address ""'],
    ["10.0.0.0/33", "Invalid prefix length /33 (want 0 to 32)"],
    ["::/129", "Invalid prefix length /129 (want 0 to 128)"],
    ["10.0.0.0/", "Invalid prefix length / (want 0 to 32)"],
    ["10.0.0.0/-1", "Invalid prefix length /-1 (want 0 to 32)"],
    ["10.0.0.0/1.5", "Invalid prefix length /1.5 (want 0 to 32)"],
    ["10.0.0.0/0008", "Invalid prefix length /0008 (want 0 to 32)"],
    ["10.0.0.0/8x", "Invalid prefix length /8x (want 0 to 32)"],
    ["10.0.0.1/8", "10.0.0.1/8 has host bits set (the network is 10.0.0.0/8)"],
    ["10.0.0.0/0", "10.0.0.0/0 has host bits set (the network is 0.0.0.0/0)"],
    ["10.0.0.1/31", "10.0.0.1/31 has host bits set (the network is 10.0.0.0/31)"],
    ["10.192.0.0/9", "10.192.0.0/9 has host bits set (the network is 10.128.0.0/9)"],
    ["10.1.255.255/17", "10.1.255.255/17 has host bits set (the network is 10.1.128.0/17)"],
    ["fd00::1/8", "fd00::1/8 has host bits set (the network is fd00:0:0:0:0:0:0:0/8)"],
    [
      "fe80::1:2/100",
      "fe80::1:2/100 has host bits set (the network is fe80:0:0:0:0:0:0:0/100)",
    ],
    [
      "fe80:1:2:3:4:5:6:7/120",
      "fe80:1:2:3:4:5:6:7/120 has host bits set (the network is fe80:1:2:3:4:5:6:0/120)",
    ],
    [
      "1:2:3:4:5:6:7:ff/121",
      "1:2:3:4:5:6:7:ff/121 has host bits set (the network is 1:2:3:4:5:6:7:80/121)",
    ],
  ];
  for (const [text, message] of bad) {
    await t.step(`refuses ${text}`, () => assert.throws(() => parseCidr(text), { message }));
  }
});

Deno.test("a range contains exactly its addresses, off byte boundaries too", async (t) => {
  const cases: [string, string, boolean][] = [
    ["10.128.0.0/9", "10.128.0.1", true],
    ["10.128.0.0/9", "10.255.255.255", true],
    ["10.128.0.0/9", "10.127.255.255", false],
    ["10.128.0.0/9", "11.128.0.0", false],
    ["10.0.0.0/31", "10.0.0.1", true],
    ["10.0.0.0/31", "10.0.0.2", false],
    ["10.0.0.4/30", "10.0.0.7", true],
    ["10.0.0.4/30", "10.0.0.8", false],
    ["10.0.0.4/30", "10.0.0.3", false],
    ["10.0.0.1/32", "10.0.0.1", true],
    ["10.0.0.1/32", "10.0.0.0", false],
    ["10.0.0.0/16", "10.0.255.1", true],
    ["10.0.0.0/16", "10.1.0.1", false],
    ["0.0.0.0/0", "255.1.2.3", true],
    ["::/0", "1.2.3.4", false],
    ["0.0.0.0/0", "::1", false],
    ["fc00::/7", "fe00::1", false],
    ["fc00::/7", "fdff::1", true],
    ["fe80::/10", "febf::1", true],
    ["fe80::/10", "fec0::1", false],
    ["::ffff:10.0.0.0/8", "10.1.2.3", true],
  ];
  for (const [cidr, address, expected] of cases) {
    await t.step(`${cidr} ${expected ? "holds" : "does not hold"} ${address}`, () => {
      assert.equal(cidrContains(parseCidr(cidr), parseAddress(address)!), expected);
    });
  }
});

Deno.test("cidrCovers() compares families, prefixes and networks", () => {
  const covers = (a: string, b: string) => cidrCovers(parseCidr(a), parseCidr(b));
  assert.equal(covers("10.0.0.0/8", "10.0.0.0/8"), true);
  assert.equal(covers("10.0.0.0/8", "10.1.0.0/16"), true);
  assert.equal(covers("10.1.0.0/16", "10.0.0.0/8"), false);
  assert.equal(covers("10.0.0.0/16", "10.0.0.0/8"), false);
  assert.equal(covers("10.0.0.0/8", "11.0.0.0/16"), false);
  assert.equal(covers("::/0", "10.0.0.0/8"), false);
  assert.equal(covers("0.0.0.0/0", "::/1"), false);
});

Deno.test("globs match * within a segment, ** across, and the rest literally", async (t) => {
  const cases: [string, string, boolean][] = [
    ["a.b", "a.b", true],
    ["a.b", "axb", false],
    ["a*", "a.b", true],
    ["a.*", "axb", false],
    ["a+*", "a+b", true],
    ["a+*", "aab", false],
    ["a?*", "a?b", true],
    ["a?*", "ab", false],
    ["(a)*", "(a)b", true],
    ["[a]*", "[a]x", true],
    ["[a]*", "ax", false],
    ["a{1}*", "a{1}x", true],
    ["a{1}*", "ax", false],
    ["a|b*", "a|bx", true],
    ["a|b*", "b", false],
    ["a^*", "a^x", true],
    ["$a*", "$ab", true],
    ["a\\*", "a\\b", true],
    ["a*", "a/b", false],
    ["a**", "a/b/c", true],
    ["a/**/c", "a/b/x/c", true],
    ["*b", "ab", true],
    ["*b", "abc", false],
    ["a*", "xa", false],
    ["a*", "a\nb", true],
    ["a**", "a\n/b", true],
    ["a*b*c", "aXbYc", true],
    ["**b", "xc", false],
    ["**b", "x/b", true],
  ];
  for (const [glob, value, expected] of cases) {
    await t.step(
      `${glob} ${expected ? "matches" : "does not match"} ${JSON.stringify(value)}`,
      () => {
        const compiled = compileGlob(glob);
        assert.equal(compiled.text, glob);
        assert.equal(compiled.test(value), expected);
      },
    );
  }
  assert.equal(isGlob("a*"), true);
  assert.equal(isGlob("a"), false);
  assert.equal(compileGlob("a").test("a"), true);
  assert.equal(compileGlob("a").test("A"), false);
});

Deno.test("a label selector is a key, or a key and the value it needs", () => {
  assert.deepEqual(parseLabelMatcher(" a=b=c "), { key: "a", value: "b=c" });
  assert.deepEqual(parseLabelMatcher("a="), { key: "a", value: "" });
  assert.deepEqual(parseLabelMatcher(" a "), { key: "a", value: null });
  for (const text of ["", " ", "=b", " =b"]) {
    assert.throws(() => parseLabelMatcher(text), {
      message: `Invalid label selector ${JSON.stringify(text)} (want key or key=value)`,
    });
  }
  assert.equal(formatLabelMatcher({ key: "a", value: null }), "a");
  assert.equal(formatLabelMatcher({ key: "a", value: "" }), "a=");
  assert.equal(formatLabelMatcher({ key: "a", value: "b" }), "a=b");
  const any = { key: "a", value: null };
  const exact = { key: "a", value: "b" };
  assert.equal(labelMatches(any, { a: "" }), true);
  assert.equal(labelMatches(any, {}), false);
  assert.equal(labelMatches(any, null), false);
  assert.equal(labelMatches(any, undefined), false);
  assert.equal(labelMatches({ key: "toString", value: null }, {}), false);
  assert.equal(labelMatches(exact, { a: "b" }), true);
  assert.equal(labelMatches(exact, { a: "c" }), false);
  assert.equal(labelMatches({ key: "a", value: "" }, { a: "" }), true);
});
