import assert from "node:assert/strict";
import {
  ClientLimiter,
  type ClientLimits,
  isLimited,
  isWaiting,
  type Pass,
} from "../../../lib/limits/client_limiter.ts";

const NONE: ClientLimits = { maxRequests: 0, maxStreams: 0, rate: 0, burst: 0 };

function clocked(capacity = 8) {
  let now = 0;
  const limiter = new ClientLimiter({ capacity, activeMs: 1000, clock: () => now });
  return { limiter, tick: (ms: number) => now += ms };
}

Deno.test("a rate limit refuses past the burst, naming RATE_LIMIT and when to retry", async (t) => {
  const limits = { ...NONE, rate: 2, burst: 2 };
  await t.step("two pass, the third is limited for a second", () => {
    const { limiter } = clocked();
    assert.ok(!isLimited(limiter.admit("a", limits, false)));
    assert.ok(!isLimited(limiter.admit("a", limits, false)));
    const third = limiter.admit("a", limits, false);
    assert.ok(isLimited(third));
    assert.deepEqual(third, {
      setting: "RATE_LIMIT",
      retryAfter: 1,
      message: "Too many requests from this client: more than RATE_LIMIT=2 a second " +
        "(RATE_BURST=2 at once); try again in 1s (a higher RATE_LIMIT or RATE_BURST in the " +
        "client's profile would allow it)",
    });
  });
  await t.step("another client has its own bucket", () => {
    const { limiter } = clocked();
    limiter.admit("a", limits, false);
    limiter.admit("a", limits, false);
    assert.ok(!isLimited(limiter.admit("b", limits, false)));
  });
  await t.step("half a second later one more passes", () => {
    const { limiter, tick } = clocked();
    limiter.admit("a", limits, false).valueOf();
    limiter.admit("a", limits, false);
    tick(500);
    assert.ok(!isLimited(limiter.admit("a", limits, false)));
  });
  await t.step("a new rate in the profile (a reload) starts a new bucket", () => {
    const { limiter } = clocked();
    limiter.admit("a", limits, false);
    limiter.admit("a", limits, false);
    assert.ok(!isLimited(limiter.admit("a", { ...limits, rate: 3 }, false)));
    assert.ok(!isLimited(limiter.admit("a", { ...limits, rate: 3, burst: 3 }, false)));
  });
  await t.step("streams count against the rate too", () => {
    const { limiter } = clocked();
    const one = { ...NONE, rate: 1, burst: 1 };
    limiter.admit("a", one, true);
    assert.equal((limiter.admit("a", one, true) as { setting: string }).setting, "RATE_LIMIT");
  });
});

Deno.test("MAX_CLIENT_STREAMS counts open streams per client", async (t) => {
  const limits = { ...NONE, maxStreams: 2 };
  await t.step("the third open stream is refused, naming the setting", () => {
    const { limiter } = clocked();
    const first = limiter.admit("a", limits, true) as Pass;
    limiter.admit("a", limits, true);
    assert.equal(limiter.streams("a"), 2);
    assert.deepEqual(limiter.admit("a", limits, true), {
      setting: "MAX_CLIENT_STREAMS",
      retryAfter: 1,
      message: "Too many streams from this client: 2 open, MAX_CLIENT_STREAMS=2 (close one, or " +
        "raise MAX_CLIENT_STREAMS in the client's profile)",
    });
    first.done();
    first.done();
    assert.equal(limiter.streams("a"), 1, "done twice counts once");
    assert.ok(!isLimited(limiter.admit("a", limits, true)));
  });
  await t.step("streams do not take the engine's fair share", () => {
    const { limiter } = clocked(1);
    limiter.admit("b", { ...NONE, maxRequests: 1 }, false);
    for (let i = 0; i < 5; i++) {
      const result = limiter.admit("a", { ...NONE, maxRequests: 1 }, true);
      assert.ok(!isLimited(result) && !isWaiting(result));
    }
    assert.equal(limiter.queue.inFlight("a"), 0);
  });
  await t.step("0 is no limit", () => {
    const { limiter } = clocked();
    for (let i = 0; i < 1000; i++) assert.ok(!isLimited(limiter.admit("a", NONE, true)));
    const last = limiter.admit("a", NONE, true) as Pass;
    last.done();
    assert.equal(limiter.streams("a"), 1000);
  });
  await t.step("the last one done forgets the client", () => {
    const { limiter } = clocked();
    (limiter.admit("a", limits, true) as Pass).done();
    assert.equal(limiter.streams("a"), 0);
  });
});

Deno.test("MAX_CLIENT_REQUESTS: past it a request waits, past twice it is refused", async () => {
  const { limiter } = clocked();
  const limits = { ...NONE, maxRequests: 1 };
  const first = limiter.admit("a", limits, false) as Pass;
  const second = limiter.admit("a", limits, false);
  assert.ok(isWaiting(second));
  assert.deepEqual(limiter.admit("a", limits, false), {
    setting: "MAX_CLIENT_REQUESTS",
    retryAfter: 1,
    message: "Too many requests in flight from this client: MAX_CLIENT_REQUESTS=1 at the " +
      "engine and as many waiting (wait for answers, or raise MAX_CLIENT_REQUESTS in the " +
      "client's profile)",
  });
  first.done();
  const granted = await second.pass;
  assert.equal(limiter.queue.inFlight("a"), 1);
  granted.done();
  granted.done();
  assert.equal(limiter.queue.inFlight("a"), 0);
});

Deno.test("a waiting request that gives up is never granted", () => {
  const { limiter } = clocked();
  const limits = { ...NONE, maxRequests: 1 };
  const first = limiter.admit("a", limits, false) as Pass;
  const second = limiter.admit("a", limits, false);
  assert.ok(isWaiting(second));
  second.cancel();
  first.done();
  assert.equal(limiter.queue.inFlight("a"), 0);
  assert.equal(limiter.queue.waiting("a"), 0);
});

Deno.test("idle clients' full buckets are forgotten past 256 clients", () => {
  const { limiter, tick } = clocked();
  const limits = { ...NONE, rate: 1000, burst: 1 };
  for (let i = 0; i < 300; i++) {
    limiter.admit(`c${i}`, limits, false);
    tick(10);
  }
  // Every client is idle and full again: the first one starts over with a full bucket.
  assert.ok(!isLimited(limiter.admit("c0", limits, false)));
});
