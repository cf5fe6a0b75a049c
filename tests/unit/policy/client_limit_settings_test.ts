import assert from "node:assert/strict";
import {
  DEFAULT_CLIENT_LIMITS,
  parseClientLimitSettings,
} from "../../../lib/policy/client_limit_settings.ts";
import { SettingError } from "../../../lib/policy/profile_settings.ts";

Deno.test("the per-client limit settings read as the environment and a policy file write them", async (t) => {
  const cases: [string, Record<string, unknown>, object][] = [
    ["nothing given: the defaults, and the proxy protected", {}, {
      limits: DEFAULT_CLIENT_LIMITS,
      protectSelf: true,
    }],
    [
      "the defaults are 128 requests, streams unlimited (MAX_CONNECTIONS bounds them), no rate",
      {},
      {
        limits: { maxRequests: 128, maxStreams: 0, rate: 0, burst: 0 },
        protectSelf: true,
      },
    ],
    ["texts from the environment", {
      MAX_CLIENT_REQUESTS: " 8 ",
      MAX_CLIENT_STREAMS: "0",
      RATE_LIMIT: "2.5",
      RATE_BURST: "10",
      PROTECT_SELF: "0",
    }, { limits: { maxRequests: 8, maxStreams: 0, rate: 2.5, burst: 10 }, protectSelf: false }],
    ["numbers and booleans from YAML", {
      MAX_CLIENT_REQUESTS: 0,
      RATE_LIMIT: 20,
      PROTECT_SELF: false,
    }, { limits: { maxRequests: 0, maxStreams: 0, rate: 20, burst: 20 }, protectSelf: false }],
    ["a rate without a burst: a second's worth, rounded up", { RATE_LIMIT: "0.5" }, {
      limits: { maxRequests: 128, maxStreams: 0, rate: 0.5, burst: 1 },
      protectSelf: true,
    }],
    ["an empty text is the default", { MAX_CLIENT_REQUESTS: "", PROTECT_SELF: "" }, {
      limits: DEFAULT_CLIENT_LIMITS,
      protectSelf: true,
    }],
    ["the largest counts", { MAX_CLIENT_REQUESTS: "1000000", MAX_CLIENT_STREAMS: 1000000 }, {
      limits: { maxRequests: 1000000, maxStreams: 1000000, rate: 0, burst: 0 },
      protectSelf: true,
    }],
  ];
  for (const [name, values, expected] of cases) {
    await t.step(name, () => assert.deepEqual(parseClientLimitSettings(values), expected));
  }
});

Deno.test("invalid limit settings name the setting and what is valid", async (t) => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    [
      "a negative count",
      { MAX_CLIENT_REQUESTS: "-1" },
      "MAX_CLIENT_REQUESTS",
      'Invalid value for MAX_CLIENT_REQUESTS: "-1" (want a whole number from 0, which means ' +
      "no limit, to 1000000)",
    ],
    [
      "a fraction of a stream",
      { MAX_CLIENT_STREAMS: 1.5 },
      "MAX_CLIENT_STREAMS",
      "Invalid value for MAX_CLIENT_STREAMS: 1.5 (want a whole number from 0, which means no " +
      "limit, to 1000000)",
    ],
    [
      "too many",
      { MAX_CLIENT_STREAMS: "1000001" },
      "MAX_CLIENT_STREAMS",
      'Invalid value for MAX_CLIENT_STREAMS: "1000001" (want a whole number from 0, which means ' +
      "no limit, to 1000000)",
    ],
    [
      "a list is no count",
      { MAX_CLIENT_REQUESTS: [1] },
      "MAX_CLIENT_REQUESTS",
      "Invalid value for MAX_CLIENT_REQUESTS: [1] (want a whole number from 0, which means no " +
      "limit, to 1000000)",
    ],
    [
      "a rate with a unit",
      { RATE_LIMIT: "10/s" },
      "RATE_LIMIT",
      'Invalid value for RATE_LIMIT: "10/s" (want requests per second, such as 20 or 0.5; 0 ' +
      "means no limit)",
    ],
    [
      "a rate past a million",
      { RATE_LIMIT: 1000001 },
      "RATE_LIMIT",
      "Invalid value for RATE_LIMIT: 1000001 (want requests per second, such as 20 or 0.5; 0 " +
      "means no limit)",
    ],
    [
      "a rate as a boolean",
      { RATE_LIMIT: true },
      "RATE_LIMIT",
      "Invalid value for RATE_LIMIT: true (want requests per second, such as 20 or 0.5; 0 " +
      "means no limit)",
    ],
    [
      "a burst without a rate",
      { RATE_BURST: "5" },
      "RATE_BURST",
      "RATE_BURST=5 is set but RATE_LIMIT is not: the burst is the size of the rate limit's " +
      "bucket (set RATE_LIMIT too, or remove RATE_BURST)",
    ],
    [
      "a burst of nothing",
      { RATE_LIMIT: "1", RATE_BURST: "0" },
      "RATE_BURST",
      "Invalid value for RATE_BURST: 0 (want at least 1, the requests a client may send at once)",
    ],
    [
      "PROTECT_SELF is a boolean",
      { PROTECT_SELF: "sometimes" },
      "PROTECT_SELF",
      'Invalid value for PROTECT_SELF: "sometimes" (use 1/0, true/false, yes/no or on/off)',
    ],
  ];
  for (const [name, values, setting, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => parseClientLimitSettings(values), (error: unknown) => {
        assert.ok(error instanceof SettingError);
        assert.equal(error.setting, setting);
        assert.equal(error.message, message);
        return true;
      });
    });
  }
});
