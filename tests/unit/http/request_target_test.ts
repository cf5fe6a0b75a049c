import assert from "node:assert/strict";
import { isTargetError, parseRequestTarget } from "../../../lib/http/request_target.ts";

Deno.test("parseRequestTarget() returns the canonical form of valid targets", async (t) => {
  const cases: [string, string | null, string[], string, string][] = [
    // raw, version, segments, path, query
    ["/_ping", null, ["_ping"], "/_ping", ""],
    ["/", null, [], "/", ""],
    [
      "/v1.41/containers/json?all=1",
      "v1.41",
      ["containers", "json"],
      "/v1.41/containers/json",
      "?all=1",
    ],
    ["/v1.41", "v1.41", [], "/v1.41", ""],
    ["/v1/info", "v1", ["info"], "/v1/info", ""],
    ["/v5.4.2/libpod/_ping", "v5.4.2", ["libpod", "_ping"], "/v5.4.2/libpod/_ping", ""],
    ["/%63ontainers/json", null, ["containers", "json"], "/containers/json", ""],
    [
      "/images/busybox%3Alatest/json",
      null,
      ["images", "busybox:latest", "json"],
      "/images/busybox:latest/json",
      "",
    ],
    [
      "/images/library/busybox@sha256:abc/json",
      null,
      ["images", "library", "busybox@sha256:abc", "json"],
      "/images/library/busybox@sha256:abc/json",
      "",
    ],
    [
      "/containers/json?filters=%7B%22a%22%3A1%7D",
      null,
      ["containers", "json"],
      "/containers/json",
      "?filters=%7B%22a%22%3A1%7D",
    ],
    ["/_ping?", null, ["_ping"], "/_ping", "?"],
    ["/vx/containers", null, ["vx", "containers"], "/vx/containers", ""],
    // The query is forwarded as received: browsers leave {, }, [ and ] unescaped.
    [
      '/containers/json?filters={"a":["b"]}',
      null,
      ["containers", "json"],
      "/containers/json",
      '?filters={"a":["b"]}',
    ],
    ["/volumes/my.vol-1_x", null, ["volumes", "my.vol-1_x"], "/volumes/my.vol-1_x", ""],
  ];
  for (const [raw, version, segments, path, query] of cases) {
    await t.step(raw, () => {
      assert.deepEqual(parseRequestTarget(raw), { version, segments, path, query });
    });
  }
});

Deno.test("parseRequestTarget() refuses every ambiguous target", async (t) => {
  const cases: [string, RegExp][] = [
    ["", /start with \//],
    ["containers/json", /start with \//],
    ["*", /Asterisk-form/],
    ["http://docker/containers/json", /Absolute-form/],
    ["HTTPS://docker/_ping", /Absolute-form/],
    ["/containers%2Fjson", /Encoded slash/],
    ["/containers%2fjson", /Encoded slash/],
    ["/containers%5Cjson", /Encoded byte "\\"/],
    ["/containers\\json", /Character "\\"/],
    ["/containers/%2e%2e/images", /Dot segment/],
    ["/containers/../images/json", /Dot segment/],
    ["/containers/./json", /Dot segment/],
    ["/%2E/containers", /Dot segment/],
    ["/containers//json", /Empty path segment/],
    ["//containers/json", /Empty path segment/],
    ["/containers/json/", /Empty path segment/],
    ["/containers/json;x=1", /Character ";"/],
    ["/containers/json%3Bx", /Encoded byte ";"/],
    ["/containers/%252e%252e", /Double percent-encoding/],
    ["/containers/%25", /Double percent-encoding/],
    ["/containers/%zz", /Malformed percent-encoding/],
    ["/containers/%4", /Malformed percent-encoding/],
    ["/containers/%", /Malformed percent-encoding/],
    ["/containers/%00", /Encoded byte 0x00/],
    ["/containers/%0a", /Encoded byte 0x0a/],
    ["/containers/%7f", /Encoded byte 0x7f/],
    ["/containers/%c3%a9", /Non-ASCII/],
    ["/containers/%20json", /Encoded byte 0x20/],
    ["/containers/json#frag", /fragment/],
    ["/containers/json?a=1#frag", /fragment/],
    ["/containers/json\u0000", /byte 0x00/],
    ["/containers/j son", /byte 0x20/],
    ["/containers/jsön", /byte 0xf6/],
    ["/v1.41./containers/json", /Malformed API version prefix/],
    ["/v../containers/json", /Malformed API version prefix/],
    ["/v.1/containers/json", /Malformed API version prefix/],
    ["/v1..41/containers/json", /Malformed API version prefix/],
    ["/V1.41/containers/json", /Malformed API version prefix/],
    ["/v1.41/v1.41/containers/json", /Repeated API version prefix/],
    ["/v1.41/V1.40/containers/json", /Repeated API version prefix/],
    ["/containers/{id}/json", /Character "\{"/],
    ["/containers/%3F/json", /Encoded byte "\?"/],
    ["/containers/%23/json", /Encoded byte "#"/],
  ];
  for (const [raw, pattern] of cases) {
    await t.step(JSON.stringify(raw), () => {
      const result = parseRequestTarget(raw);
      assert.ok(isTargetError(result), `accepted ${raw}`);
      assert.match(result.error, pattern);
    });
  }
});

Deno.test("parseRequestTarget() output never changes when parsed again", () => {
  // The canonical form is a fixed point: what the policy checked is what the engine parses.
  for (
    const raw of [
      "/%63ontainers/%6Aso%6E",
      "/v1.41/images/a%3Ab/json",
      "/images/x%40sha256%3Aabc/json?x=%2F",
      "/v1.2.3/libpod/pods/a%2Db/start",
    ]
  ) {
    const first = parseRequestTarget(raw);
    assert.ok(!isTargetError(first));
    const again = parseRequestTarget(first.path + first.query);
    assert.ok(!isTargetError(again));
    assert.deepEqual(again, first);
    assert.equal(first.path.includes("%"), false, "canonical paths hold no escapes");
  }
});
