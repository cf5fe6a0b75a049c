import assert from "node:assert/strict";
import { lookupTimeout } from "../../../lib/engine/upstream_pool.ts";

Deno.test("the proxy's own look-ups have ENGINE_TIMEOUT, at most 30 s, also when it is off", async (t) => {
  for (
    const [engineTimeoutMs, expected] of [
      [1000, 1000],
      [29_999, 29_999],
      [30_000, 30_000],
      [30_001, 30_000],
      [600_000, 30_000],
      [0, 30_000],
    ]
  ) {
    await t.step(`ENGINE_TIMEOUT of ${engineTimeoutMs} ms: ${expected} ms`, () => {
      assert.equal(lookupTimeout(engineTimeoutMs), expected);
    });
  }
});
