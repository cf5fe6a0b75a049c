/**
 * `ENGINE_TIMEOUT` as a profile writes it, and the durations every timeout
 * setting takes (`lib/duration.ts`).
 */
import assert from "node:assert/strict";
import { parseEngineTimeout } from "../../../lib/policy/engine_timeout_setting.ts";
import { SettingError } from "../../../lib/admission/admission_settings.ts";
import { DURATION_CHOICES, durationMs } from "../../../lib/duration.ts";

Deno.test("durationMs() reads seconds, units and Go's compound form", async (t) => {
  const cases: [string, number | null][] = [
    ["10", 10_000],
    ["0", 0],
    ["1.5", 1500],
    [" 2 ", 2000],
    ["500ms", 500],
    ["1.5ms", 2],
    ["10s", 10_000],
    ["2.5s", 2500],
    ["1.25s", 1250],
    ["1.25", 1250],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1h2m3s4ms", 3_723_004],
    ["", null],
    [" ", null],
    ["s", null],
    ["10d", null],
    ["-1s", null],
    ["1e3", null],
    [".5s", null],
    ["5.s", null],
    ["1m 30s", null],
    ["10sec", null],
    ["m5", null],
    ["5m5", null],
  ];
  for (const [text, ms] of cases) {
    await t.step(`${JSON.stringify(text)}: ${ms}`, () => assert.equal(durationMs(text), ms));
  }
  assert.equal(DURATION_CHOICES, "use seconds, or 500ms, 10s, 2m, 1h, 1m30s");
});

Deno.test("parseEngineTimeout() takes a duration or seconds, and names itself when refusing", async (t) => {
  const cases: [unknown, number | null][] = [
    [undefined, null],
    [null, null],
    ["30s", 30_000],
    ["0", 0],
    [0, 0],
    [45, 45_000],
    [1.5, 1500],
    [0.0004, 0],
  ];
  for (const [value, ms] of cases) {
    await t.step(`${JSON.stringify(value)}: ${ms}`, () => {
      assert.equal(parseEngineTimeout(value), ms);
    });
  }
  for (const value of ["soon", -1, Infinity, NaN, true, [1], { s: 1 }]) {
    await t.step(`refuses ${String(value)}`, () => {
      assert.throws(() => parseEngineTimeout(value), (error: Error) => {
        assert.ok(error instanceof SettingError);
        assert.equal(error.setting, "ENGINE_TIMEOUT");
        assert.equal(
          error.message,
          `Invalid value for ENGINE_TIMEOUT: ${JSON.stringify(value)} ` +
            "(use seconds, or 500ms, 10s, 2m, 1h, 1m30s; 0 for none)",
        );
        return true;
      });
    });
  }
});
