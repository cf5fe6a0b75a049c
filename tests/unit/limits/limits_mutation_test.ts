/** Cases for the survivors of `deno task mutate:fast client_limits` (lib/limits/). */
import assert from "node:assert/strict";
import { FairQueue, LAG_MS } from "../../../lib/limits/fair_queue.ts";
import {
  ACTIVE_MS,
  ClientLimiter,
  type ClientLimits,
  ENGINE_CAPACITY,
  isLimited,
  isWaiting,
  type Pass,
} from "../../../lib/limits/client_limiter.ts";
import { TokenBucket } from "../../../lib/limits/token_bucket.ts";

const NONE: ClientLimits = { maxRequests: 0, maxStreams: 0, rate: 0, burst: 0 };
const QUOTA = { inFlight: 64, queued: 64 };
const UNLIMITED = { inFlight: 0, queued: 0 };

Deno.test("a token bucket that started later is full only burst/rate after its last take", () => {
  const bucket = new TokenBucket(10, 2, 1000);
  bucket.take(1000);
  bucket.take(1000);
  assert.equal(bucket.full(1100), false);
  assert.equal(bucket.full(1200), true);
});

Deno.test("a limiter made without options shares 4 requests and remembers clients for a second", () => {
  const limiter = new ClientLimiter();
  assert.equal(limiter.queue.capacity, ENGINE_CAPACITY);
  assert.equal(limiter.queue.activeMs, ACTIVE_MS);
  assert.equal(ENGINE_CAPACITY, 4);
  assert.equal(ACTIVE_MS, 1000);
  // b's request ended just now (by the real clock): a is held to half the capacity.
  const limits = { ...NONE, maxRequests: 64 };
  (limiter.admit("b", limits, false) as Pass).done();
  assert.ok(!isWaiting(limiter.admit("a", limits, false)));
  assert.ok(!isWaiting(limiter.admit("a", limits, false)));
  assert.ok(isWaiting(limiter.admit("a", limits, false)), "a third is over the share of 2");
});

Deno.test("a changed burst alone starts a new bucket", () => {
  let now = 0;
  const limiter = new ClientLimiter({ clock: () => now });
  const two = { ...NONE, rate: 1, burst: 2 };
  limiter.admit("a", two, false);
  limiter.admit("a", two, false);
  assert.ok(isLimited(limiter.admit("a", two, false)));
  assert.ok(!isLimited(limiter.admit("a", { ...two, burst: 3 }, false)));
  now += 0;
});

Deno.test("idle clients' buckets are forgotten past 256 clients, not before", () => {
  let now = 0;
  const limiter = new ClientLimiter({ clock: () => now });
  const limits = { ...NONE, rate: 1000, burst: 1 };
  for (let i = 0; i < 256; i++) {
    limiter.admit(`c${i}`, limits, false);
    now += 10;
  }
  assert.equal(limiter.tracked.buckets, 256);
  limiter.admit("c256", limits, false);
  assert.equal(limiter.tracked.buckets, 1, "only the newest, just taken from, is kept");
});

Deno.test("a client's last stream ending forgets it", () => {
  const limiter = new ClientLimiter();
  const pass = limiter.admit("a", NONE, true) as Pass;
  assert.equal(limiter.tracked.streams, 1);
  pass.done();
  assert.equal(limiter.tracked.streams, 0);
});

Deno.test("a pass done twice gives back one request, not another's", () => {
  const limiter = new ClientLimiter();
  const limits = { ...NONE, maxRequests: 8 };
  const first = limiter.admit("a", limits, false) as Pass;
  limiter.admit("a", limits, false);
  first.done();
  first.done();
  assert.equal(limiter.queue.inFlight("a"), 1);
});

Deno.test("the fair queue's edge cases", async (t) => {
  await t.step("an unknown client has nothing waiting", () => {
    assert.equal(new FairQueue({ capacity: 4, activeMs: 10 }).waiting("nobody"), 0);
  });
  await t.step("a release with nothing in flight does not go below 0", () => {
    const queue = new FairQueue({ capacity: 4, activeMs: 10 });
    queue.acquire("a", QUOTA, 0, () => {});
    queue.release("a", 0);
    queue.release("a", 0);
    assert.equal(queue.inFlight("a"), 0);
    assert.equal(queue.acquire("a", { inFlight: 1, queued: 0 }, 0, () => {}), "now");
  });
  await t.step("a client with several waiting is served to the last, then left alone", () => {
    const queue = new FairQueue({ capacity: 100, activeMs: 10 });
    const one = { inFlight: 1, queued: 4 };
    const granted: number[] = [];
    queue.acquire("a", one, 0, () => {});
    queue.acquire("a", one, 0, () => granted.push(2));
    queue.acquire("a", one, 0, () => granted.push(3));
    queue.release("a", 1);
    queue.release("a", 2);
    queue.release("a", 3);
    queue.release("a", 4);
    assert.deepEqual(granted, [2, 3]);
    assert.equal(queue.inFlight("a"), 0);
  });
  await t.step("cancelling one of a client's waiting requests keeps the others in line", () => {
    const queue = new FairQueue({ capacity: 100, activeMs: 10 });
    const one = { inFlight: 1, queued: 4 };
    const granted: string[] = [];
    const second = () => granted.push("second");
    queue.acquire("a", one, 0, () => {});
    queue.acquire("a", one, 0, second);
    queue.acquire("a", one, 0, () => granted.push("third"));
    assert.equal(queue.cancel("a", second, 0), true);
    queue.release("a", 1);
    assert.deepEqual(granted, ["third"]);
  });
  await t.step("a cancel lets a client go that a share no longer holds back", () => {
    const queue = new FairQueue({ capacity: 2, activeMs: 1000 });
    const granted: string[] = [];
    queue.acquire("b", QUOTA, 0, () => {});
    queue.acquire("a", QUOTA, 0, () => {});
    queue.acquire("a", QUOTA, 0, () => granted.push("a2"));
    const a3 = () => granted.push("a3");
    queue.acquire("a", QUOTA, 0, a3);
    queue.release("b", 0);
    assert.deepEqual(granted, [], "b is active for a second: a keeps to 1");
    queue.cancel("a", a3, 2000);
    assert.deepEqual(granted, ["a2"], "b is gone: a has the engine to itself");
  });
  await t.step("a client is active for activeMs after a request that ended late", () => {
    const queue = new FairQueue({ capacity: 2, activeMs: 1000 });
    queue.acquire("quiet", QUOTA, 5000, () => {});
    queue.release("quiet", 5000);
    queue.acquire("noisy", QUOTA, 5999, () => {});
    assert.equal(queue.acquire("noisy", QUOTA, 5999, () => {}), "queued");
  });
  await t.step("clients gone quiet are forgotten when another asks", () => {
    const queue = new FairQueue({ capacity: 4, activeMs: 10 });
    for (let i = 0; i < 10; i++) {
      queue.acquire(`c${i}`, QUOTA, i * 100, () => {});
      queue.release(`c${i}`, i * 100);
    }
    assert.equal(queue.size, 1);
  });
  await t.step("past 256 clients, those no longer active are forgotten when a request ends", () => {
    const queue = new FairQueue({ capacity: 4, activeMs: 10 });
    for (let i = 0; i < 256; i++) {
      queue.acquire(`c${i}`, UNLIMITED, i * 100, () => {});
      queue.release(`c${i}`, i * 100);
    }
    assert.equal(queue.size, 256);
    queue.acquire("last", UNLIMITED, 30_000, () => {});
    queue.release("last", 30_000);
    assert.equal(queue.size, 1, "the client whose request just ended is still active");
  });
});

Deno.test("a client's empty bucket is kept when the full ones are forgotten", () => {
  let now = 0;
  const limiter = new ClientLimiter({ clock: () => now });
  const limits = { ...NONE, rate: 0.001, burst: 1 };
  for (let i = 0; i < 257; i++) {
    limiter.admit(`c${i}`, limits, false);
    now += 10;
  }
  assert.equal(limiter.tracked.buckets, 257, "no bucket is full again");
  assert.ok(isLimited(limiter.admit("c0", limits, false)));
});

Deno.test("a new request does not overtake its client's waiting ones, even when it could go", () => {
  const queue = new FairQueue({ capacity: 2, activeMs: 1000 });
  queue.acquire("b", QUOTA, 0, () => {});
  queue.acquire("a", QUOTA, 0, () => {});
  assert.equal(queue.acquire("a", QUOTA, 0, () => {}), "queued");
  queue.release("b", 0);
  // b is no longer active at 2000: a alone could go, but its first waiting request is first.
  assert.equal(queue.acquire("a", QUOTA, 2000, () => {}), "queued");
});

Deno.test("the fair queue's engine time", async (t) => {
  await t.step("a queue made without lagMs allows LAG_MS; one made with it, its own", () => {
    assert.equal(new FairQueue({ capacity: 4, activeMs: 10 }).lagMs, LAG_MS);
    assert.equal(new FairQueue({ capacity: 4, activeMs: 10, lagMs: 50 }).lagMs, 50);
  });
  await t.step("an unknown client has been served nothing", () => {
    assert.equal(new FairQueue({ capacity: 4, activeMs: 10 }).served("nobody"), 0);
  });
  await t.step("the limiter counts the time from the pass to its end", () => {
    let now = 100;
    const limiter = new ClientLimiter({ clock: () => now });
    const pass = limiter.admit("a", { ...NONE, maxRequests: 4 }, false) as Pass;
    now = 105;
    pass.done();
    assert.equal(limiter.queue.served("a"), 5);
  });
  await t.step("a client becoming busy is levelled with the least served, not the last", () => {
    const queue = new FairQueue({ capacity: 4, activeMs: 1000 });
    queue.acquire("x", QUOTA, 0, () => {});
    queue.release("x", 50, 50);
    queue.acquire("y", QUOTA, 50, () => {});
    queue.release("y", 150, 100);
    assert.deepEqual([queue.served("x"), queue.served("y")], [50, 150]);
    queue.acquire("z", QUOTA, 150, () => {});
    assert.equal(queue.served("z"), 50);
  });
  await t.step(
    "a flooding client is compared with the least served of the others, not the last",
    () => {
      const queue = new FairQueue({ capacity: 6, activeMs: 1000, lagMs: 10 });
      const granted: string[] = [];
      for (let i = 1; i <= 3; i++) {
        for (const key of ["a", "b", "c"]) {
          queue.acquire(key, QUOTA, 0, () => granted.push(`${key}${i}`));
        }
      }
      assert.deepEqual(granted, [], "each has 2 at the engine, its share of 6, and 1 waiting");
      queue.release("c", 15, 15);
      queue.release("a", 20, 20);
      assert.deepEqual(granted, [], "a is 20 ms ahead of b (and 5 of c)");
      assert.equal(queue.inFlight("a"), 1);
    },
  );
});

Deno.test("after a cancel, the next pass starts with the client that was next", async (t) => {
  /**
   * a, b, c, d have 3 at the engine (their share of 12) and wait in that order,
   * a and b with 2 waiting, c and d with 1. A release of a, then of b, grants
   * one each and leaves c next.
   */
  function setUp() {
    const queue = new FairQueue({ capacity: 12, activeMs: 1000 });
    const granted: string[] = [];
    const keys = ["a", "b", "c", "d"];
    const grants = new Map<string, () => void>();
    for (let i = 1; i <= 5; i++) {
      for (const key of keys) {
        if (i === 5 && (key === "c" || key === "d")) continue;
        const grant = () => granted.push(`${key}${i}`);
        grants.set(`${key}${i}`, grant);
        queue.acquire(key, QUOTA, 0, grant);
      }
    }
    assert.deepEqual(keys.map((key) => queue.waiting(key)), [2, 2, 1, 1]);
    queue.release("a", 0);
    queue.release("b", 0);
    assert.deepEqual(granted, ["a4", "b4"]);
    return { queue, granted, grants };
  }
  /**
   * `blocker` has 3 at the engine and nothing waiting: the others, each given room under its
   * share, wait; then the blocker's requests end and one pass runs. The first client it grants has
   * nothing waiting left: the others wait again.
   */
  function lastPass(queue: FairQueue, granted: string[], blocker: string, others: string[]) {
    for (const key of others) queue.release(key, 0);
    assert.equal(granted.length, 2, `${blocker} has 3 at the engine and nothing waiting: all wait`);
    for (let i = 0; i < 3; i++) queue.release(blocker, 0);
    return granted.slice(2);
  }
  await t.step("a client before the next one leaves: the next one keeps its turn", () => {
    const { queue, granted, grants } = setUp();
    assert.equal(queue.cancel("a", grants.get("a5")!, 0), true);
    assert.deepEqual(lastPass(queue, granted, "a", ["b", "c", "d"]), ["c4"]);
  });
  await t.step("the next one itself leaves: the one after it has the turn", () => {
    const { queue, granted, grants } = setUp();
    assert.equal(queue.cancel("c", grants.get("c4")!, 0), true);
    assert.deepEqual(lastPass(queue, granted, "c", ["a", "b", "d"]), ["d4"]);
  });
});
