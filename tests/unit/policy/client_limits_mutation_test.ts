/** Cases for the survivors of `deno task mutate:fast client_limits` (settings, hints). */
import assert from "node:assert/strict";
import { parseClientLimitSettings } from "../../../lib/policy/client_limit_settings.ts";
import { containerHints } from "../../../lib/engine/container_hints.ts";

const ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const NONE = { mountinfo: "", cgroup: "", containerenv: "", hostname: "" };

Deno.test("rates and bursts at their bounds", async (t) => {
  const ok: [string, Record<string, unknown>, number, number][] = [
    ["spaces around a rate", { RATE_LIMIT: " 2 " }, 2, 2],
    ["two decimals", { RATE_LIMIT: "2.25" }, 2.25, 3],
    ["a million a second", { RATE_LIMIT: 1_000_000 }, 1_000_000, 1_000_000],
    ["a burst of 1", { RATE_LIMIT: "1", RATE_BURST: "1" }, 1, 1],
  ];
  for (const [name, values, rate, burst] of ok) {
    await t.step(name, () => {
      const { limits } = parseClientLimitSettings(values);
      assert.deepEqual([limits.rate, limits.burst], [rate, burst]);
    });
  }
  const bad: [string, Record<string, unknown>, string][] = [
    ["a list is no rate", { RATE_LIMIT: [2] }, "RATE_LIMIT"],
    ["letters before the digits", { RATE_LIMIT: "x1" }, "RATE_LIMIT"],
    ["a burst that is no number", { RATE_LIMIT: "1", RATE_BURST: "x" }, "RATE_BURST"],
  ];
  for (const [name, values, setting] of bad) {
    await t.step(name, () => {
      assert.throws(
        () => parseClientLimitSettings(values),
        (error: Error & { setting?: string }) =>
          error.setting === setting && error.message.startsWith(`Invalid value for ${setting}: `),
      );
    });
  }
});

Deno.test("container hints are taken only whole", async (t) => {
  const cases: [string, Partial<typeof NONE>, string[]][] = [
    ["a hostname with a prefix is no ID", { hostname: "x0123456789ab" }, []],
    ["a hostname with a suffix is no ID", { hostname: "0123456789abx" }, []],
    ["a mount line of exactly five fields", {
      mountinfo: `1 2 0:1 /containers/${ID}/hostname /etc/hostname`,
    }, [ID]],
    [".containerenv's id only at a line's start", { containerenv: `xid=${ID}\n` }, []],
    [".containerenv's id unquoted", { containerenv: `id=${ID}\n` }, [ID]],
    [".containerenv's id of 65 digits is none", { containerenv: `id=${ID}0\n` }, []],
  ];
  for (const [name, files, hints] of cases) {
    await t.step(name, () => assert.deepEqual(containerHints({ ...NONE, ...files }), hints));
  }
});
