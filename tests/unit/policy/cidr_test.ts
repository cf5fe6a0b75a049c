import assert from "node:assert/strict";
import { cidrContains, cidrCovers, parseAddress, parseCidr } from "../../../lib/policy/cidr.ts";
import { compileGlob, isGlob } from "../../../lib/policy/glob.ts";
import { formatLabelMatcher, labelMatches, parseLabelMatcher } from "../../../lib/policy/labels.ts";

Deno.test("parseAddress() reads IPv4, IPv6 and IPv4-mapped IPv6 addresses", async (t) => {
  const cases: [string, number[] | null][] = [
    ["127.0.0.2", [127, 0, 0, 2]],
    ["0.0.0.0", [0, 0, 0, 0]],
    ["255.255.255.255", [255, 255, 255, 255]],
    ["::ffff:10.1.2.3", [10, 1, 2, 3]],
    ["::FFFF:10.1.2.3", [10, 1, 2, 3]],
    ["[::1]", [...new Array(15).fill(0), 1]],
    ["::1", [...new Array(15).fill(0), 1]],
    ["::", new Array(16).fill(0)],
    ["fd00::1", [0xfd, 0, ...new Array(13).fill(0), 1]],
    ["1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ["256.0.0.1", null],
    ["1.2.3", null],
    ["01.2.3.4", null],
    ["1.2.3.4.5", null],
    ["a.b.c.d", null],
    ["1:2:3:4:5:6:7", null],
    ["1:2:3:4:5:6:7:8:9", null],
    ["1::2::3", null],
    ["12345::", null],
    ["::ffff:1.2.3.256", null],
    ["", null],
  ];
  for (const [text, bytes] of cases) {
    await t.step(text || "(empty)", () => {
      const parsed = parseAddress(text);
      assert.deepEqual(parsed === null ? null : [...parsed], bytes);
    });
  }
});

Deno.test("a CIDR contains exactly the addresses of its prefix", async (t) => {
  const cases: [string, string, boolean][] = [
    ["10.0.0.0/8", "10.255.1.2", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["172.16.0.0/12", "172.31.255.255", true],
    ["172.16.0.0/12", "172.32.0.0", false],
    ["127.0.0.2", "127.0.0.2", true],
    ["127.0.0.2", "127.0.0.3", false],
    ["127.0.0.2/32", "127.0.0.2", true],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["0.0.0.0/0", "::1", false],
    ["192.168.1.128/25", "192.168.1.200", true],
    ["192.168.1.128/25", "192.168.1.100", false],
    ["fd00::/8", "fd12::1", true],
    ["fd00::/8", "fe00::1", false],
    ["::1", "::1", true],
    ["::/0", "10.0.0.1", false],
    ["10.0.0.0/8", "::ffff:10.0.0.1", true],
  ];
  for (const [cidr, address, inside] of cases) {
    await t.step(`${cidr} ${address}`, () => {
      assert.equal(cidrContains(parseCidr(cidr), parseAddress(address)!), inside);
    });
  }
});

Deno.test("parseCidr() refuses bad ranges, saying why", async (t) => {
  const cases: [string, RegExp][] = [
    ["10.0.0.0/33", /prefix length \/33 \(want 0 to 32\)/],
    ["fd00::/129", /want 0 to 128/],
    ["10.0.0.0/", /prefix length/],
    ["10.0.0.0/x", /prefix length/],
    ["10.0.0.1/8", /host bits set \(the network is 10\.0\.0\.0\/8\)/],
    ["fd00::1/8", /host bits set \(the network is fd00:0:0:0:0:0:0:0\/8\)/],
    ["10.0.0/8", /Invalid address/],
    ["example.com", /Invalid address/],
  ];
  for (const [text, error] of cases) {
    await t.step(text, () => assert.throws(() => parseCidr(text), error));
  }
});

Deno.test("cidrCovers() holds when every address of one range lies in the other", () => {
  assert.ok(cidrCovers(parseCidr("10.0.0.0/8"), parseCidr("10.1.0.0/16")));
  assert.ok(cidrCovers(parseCidr("10.0.0.0/8"), parseCidr("10.0.0.0/8")));
  assert.ok(!cidrCovers(parseCidr("10.1.0.0/16"), parseCidr("10.0.0.0/8")));
  assert.ok(!cidrCovers(parseCidr("10.0.0.0/8"), parseCidr("11.0.0.0/8")));
  assert.ok(!cidrCovers(parseCidr("::/0"), parseCidr("10.0.0.0/8")));
});

Deno.test("globs match * within a segment and ** across segments, the rest literally", async (t) => {
  const cases: [string, string, boolean][] = [
    ["Container*", "ContainerList", true],
    ["Container*", "ContainerList2", true],
    ["Container*", "ImageList", false],
    ["*Inspect", "ContainerInspect", true],
    ["app-*", "app-1", true],
    ["app-*", "app-", true],
    ["app-*", "apps-1", false],
    ["a/*", "a/b", true],
    ["a/*", "a/b/c", false],
    ["a/**", "a/b/c", true],
    ["a.b", "axb", false],
    ["a+b", "a+b", true],
    ["(x)", "(x)", true],
    ["exact", "exact", true],
    ["exact", "exact2", false],
    ["*", "", true],
    ["a*", "a\nb", true],
  ];
  for (const [glob, value, matches] of cases) {
    await t.step(`${glob} ${JSON.stringify(value)}`, () => {
      assert.equal(compileGlob(glob).test(value), matches);
    });
  }
  assert.ok(isGlob("a*"));
  assert.ok(!isGlob("a"));
  assert.equal(compileGlob("a*").text, "a*");
});

Deno.test("label selectors need a key, and a value when they give one", () => {
  const labels = { "traefik.enable": "true", app: "", x: "1=2" };
  assert.ok(labelMatches(parseLabelMatcher("traefik.enable=true"), labels));
  assert.ok(!labelMatches(parseLabelMatcher("traefik.enable=false"), labels));
  assert.ok(labelMatches(parseLabelMatcher("traefik.enable"), labels));
  assert.ok(labelMatches(parseLabelMatcher("app"), labels));
  assert.ok(labelMatches(parseLabelMatcher("app="), labels));
  assert.ok(labelMatches(parseLabelMatcher("x=1=2"), labels));
  assert.ok(!labelMatches(parseLabelMatcher("other"), labels));
  assert.ok(!labelMatches(parseLabelMatcher("toString"), labels));
  assert.ok(!labelMatches(parseLabelMatcher("app"), null));
  assert.ok(!labelMatches(parseLabelMatcher("app"), undefined));
  assert.equal(formatLabelMatcher(parseLabelMatcher(" a=b ")), "a=b");
  assert.equal(formatLabelMatcher(parseLabelMatcher("a")), "a");
  assert.throws(() => parseLabelMatcher("=b"), /want key or key=value/);
  assert.throws(() => parseLabelMatcher(""), /want key or key=value/);
});
