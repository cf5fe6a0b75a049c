import assert from "node:assert/strict";
import { type ClientQuota, FairQueue } from "../../../lib/limits/fair_queue.ts";

const QUOTA: ClientQuota = { inFlight: 64, queued: 64 };

/** A queue and a log of grants, in order. */
function setUp(capacity = 8, activeMs = 1000) {
  const queue = new FairQueue({ capacity, activeMs });
  const granted: string[] = [];
  let n = 0;
  const ask = (key: string, now = 0, quota = QUOTA) => {
    const id = `${key}${++n}`;
    return { id, admission: queue.acquire(key, quota, now, () => granted.push(id)) };
  };
  return { queue, granted, ask };
}

Deno.test("a client alone has the engine to itself, up to its own limit", async (t) => {
  await t.step("64 requests of one client all go at once", () => {
    const { queue, ask } = setUp();
    for (let i = 0; i < 64; i++) assert.equal(ask("a").admission, "now");
    assert.equal(queue.inFlight("a"), 64);
  });
  await t.step("past MAX_CLIENT_REQUESTS they wait, past as many again they are refused", () => {
    const { queue, ask } = setUp();
    const quota = { inFlight: 2, queued: 2 };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => ask("a", 0, quota).admission),
      ["now", "now", "queued", "queued", "full"],
    );
    assert.equal(queue.waiting("a"), 2);
  });
  await t.step("a request ending lets the first waiting one go", () => {
    const { queue, ask, granted } = setUp();
    const quota = { inFlight: 1, queued: 2 };
    ask("a", 0, quota);
    const second = ask("a", 0, quota);
    ask("a", 0, quota);
    queue.release("a", 1);
    assert.deepEqual(granted, [second.id]);
    assert.equal(queue.inFlight("a"), 1);
    assert.equal(queue.waiting("a"), 1);
  });
  await t.step("no limit (0): never waits, never refused, and no share", () => {
    const { queue, ask } = setUp(2);
    ask("b");
    const unlimited = { inFlight: 0, queued: 0 };
    for (let i = 0; i < 100; i++) assert.equal(ask("a", 0, unlimited).admission, "now");
    assert.equal(queue.inFlight("a"), 100);
  });
});

Deno.test("while clients compete, one over its share waits and the others do not", async (t) => {
  await t.step("a second client's first request goes at once while the first has 64", () => {
    const { ask } = setUp();
    for (let i = 0; i < 64; i++) ask("noisy");
    assert.equal(ask("quiet").admission, "now");
  });
  await t.step("two flooding clients then wait until each is under capacity/2", () => {
    const { queue, ask, granted } = setUp(8);
    for (let i = 0; i < 10; i++) ask("noisy");
    ask("other");
    const otherWaiting = [1, 2, 3, 4].map(() => ask("other")).at(-1)!;
    const waiting = ask("noisy");
    assert.equal(waiting.admission, "queued");
    assert.equal(otherWaiting.admission, "queued");
    for (let i = 0; i < 6; i++) queue.release("noisy", 1);
    assert.deepEqual(granted, [], "4 in flight is its share: not under it");
    queue.release("noisy", 1);
    assert.deepEqual(granted, [waiting.id]);
    assert.equal(queue.inFlight("noisy"), 4);
  });
  await t.step("three clients: capacity/3 each, rounded down", () => {
    const { ask } = setUp(8);
    ask("b");
    ask("c");
    assert.deepEqual(
      [1, 2, 3].map(() => ask("a").admission),
      ["now", "now", "queued"],
    );
  });
  await t.step("more clients than capacity: one each at least", () => {
    const { ask } = setUp(2);
    for (const key of ["b", "c", "d"]) ask(key);
    assert.deepEqual([ask("a").admission, ask("a").admission], ["now", "queued"]);
  });
  await t.step("a client's own waiting requests go before its new ones", () => {
    const { queue, ask } = setUp(2);
    ask("a");
    ask("b");
    assert.equal(ask("a").admission, "queued");
    queue.release("b", 1); // b stays active for a second
    assert.equal(queue.inFlight("a"), 1, "a's share is still 1");
    assert.equal(ask("a", 1).admission, "queued");
  });
  await t.step("waiting clients are served round-robin", () => {
    const { queue, ask, granted } = setUp(3);
    ask("a");
    ask("b");
    ask("c");
    const order = [ask("a"), ask("a"), ask("b"), ask("c")];
    assert.ok(order.every((request) => request.admission === "queued"));
    queue.release("a", 1);
    assert.deepEqual(granted, [order[0].id]);
    queue.release("b", 1);
    queue.release("c", 1);
    assert.deepEqual(granted, [order[0].id, order[2].id, order[3].id]);
    queue.release("a", 1);
    assert.deepEqual(granted, [order[0].id, order[2].id, order[3].id, order[1].id]);
  });
});

Deno.test("a flooding client goes after the clients that do not flood", async (t) => {
  /** quiet has 1 at the engine; noisy 4 (its share of 8) and 2 waiting. */
  function flood() {
    const { queue, ask, granted } = setUp(8);
    ask("quiet");
    const noisy = [1, 2, 3, 4, 5, 6].map(() => ask("noisy"));
    assert.deepEqual(noisy.map((request) => request.admission), [
      "now",
      "now",
      "now",
      "now",
      "queued",
      "queued",
    ]);
    return { queue, granted, waiting: noisy.slice(4) };
  }
  await t.step(
    "with requests waiting, it keeps only its first at the engine while a quiet one has one there",
    () => {
      const { queue, granted, waiting } = flood();
      for (let i = 0; i < 3; i++) queue.release("noisy", 1);
      assert.deepEqual(
        granted,
        [],
        "from 4 down to 1 at the engine, under its share, yet it waits",
      );
      queue.release("noisy", 1);
      assert.deepEqual(granted, [waiting[0].id], "none at the engine: its first goes");
      assert.equal(queue.inFlight("noisy"), 1);
    },
  );
  await t.step(
    "once the quiet one has nothing at the engine, the flooding one has its share",
    () => {
      const { queue, granted, waiting } = flood();
      for (let i = 0; i < 3; i++) queue.release("noisy", 1);
      queue.release("quiet", 1); // still active for a second, with nothing at the engine
      assert.deepEqual(granted, waiting.map((request) => request.id));
      assert.equal(queue.inFlight("noisy"), 3);
    },
  );
  await t.step(
    "a quiet one waiting on a single request sent a second ago no longer holds it back",
    () => {
      const { queue, granted, waiting } = flood();
      for (let i = 0; i < 2; i++) queue.release("noisy", 999);
      assert.deepEqual(granted, [], "999 ms after quiet sent its request: still held");
      queue.release("noisy", 1000);
      assert.deepEqual(granted, waiting.map((request) => request.id), "1000 ms after: its share");
    },
  );
  await t.step("the second counts from when the quiet one sent it", () => {
    const { queue, ask, granted } = setUp(8);
    ask("quiet", 5000);
    const noisy = [1, 2, 3, 4, 5].map(() => ask("noisy", 5000));
    for (let i = 0; i < 3; i++) queue.release("noisy", 5999);
    assert.deepEqual(granted, [], "999 ms after: held");
    queue.release("noisy", 6000);
    assert.deepEqual(granted, [noisy[4].id], "1000 ms after: its share");
  });
  await t.step("the quiet one, without requests waiting, goes up to its share", () => {
    const { ask } = setUp(8);
    for (let i = 0; i < 10; i++) ask("noisy");
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => ask("quiet").admission),
      ["now", "now", "now", "now", "queued"],
    );
  });
});

Deno.test("between flooding clients the share is counted in engine time", async (t) => {
  /** a and b both have 2 at the engine (their share of 4) and 2 waiting: a3, b3 first. */
  function flood(lagMs = 10) {
    const queue = new FairQueue({ capacity: 4, activeMs: 1000, lagMs });
    const granted: string[] = [];
    for (let i = 1; i <= 4; i++) {
      for (const key of ["a", "b"]) queue.acquire(key, QUOTA, 0, () => granted.push(`${key}${i}`));
    }
    assert.deepEqual([queue.inFlight("a"), queue.inFlight("b")], [2, 2]);
    return { queue, granted };
  }
  await t.step(
    "the one whose requests took longer keeps only the one it has until the other catches up",
    () => {
      const { queue, granted } = flood();
      queue.release("a", 100, 100);
      assert.deepEqual(granted, [], "100 ms of engine time ahead of b");
      queue.release("b", 101, 1);
      assert.deepEqual(granted, ["b3"], "b, behind, has its place back");
    },
  );
  await t.step("within lagMs of the other, it has its share", () => {
    const { queue, granted } = flood();
    queue.release("a", 10, 10);
    assert.deepEqual(granted, ["a3"], "10 ms ahead is within lagMs");
    queue.release("a", 21, 11);
    assert.deepEqual(granted, ["a3"], "21 ms ahead is not");
  });
});

Deno.test("a client that becomes busy starts level with the others", async (t) => {
  await t.step("time served alone is no debt", () => {
    const { queue, ask } = setUp(4);
    ask("old");
    queue.release("old", 5000, 5000);
    ask("old", 5000);
    ask("new", 5000);
    assert.equal(queue.served("new"), 5000);
  });
  await t.step("time spent idle is no credit", () => {
    const { queue, ask } = setUp(4);
    ask("idle");
    queue.release("idle", 1, 1);
    ask("busy", 1);
    queue.release("busy", 900, 899);
    ask("busy", 900);
    ask("idle", 900);
    assert.equal(queue.served("idle"), 900, "not 1: 899 ms behind");
  });
  await t.step("a client behind keeps what it is owed while it has requests at the engine", () => {
    const { queue, ask } = setUp(4);
    ask("a");
    ask("a");
    ask("b");
    queue.release("b", 50, 50);
    ask("a", 50);
    assert.equal(queue.served("a"), 0);
  });
});

Deno.test("a client counts among those sharing the engine for activeMs after its last request", async (t) => {
  for (
    const [name, now, admission] of [
      ["999 ms after: still active, the other keeps to its share", 999, "queued"],
      ["1000 ms after: gone, the other has the engine to itself", 1000, "now"],
    ] as const
  ) {
    await t.step(name, () => {
      const { queue, ask } = setUp(2, 1000);
      ask("quiet");
      queue.release("quiet", 0);
      ask("noisy", now);
      assert.equal(ask("noisy", now).admission, admission);
    });
  }
});

Deno.test("a waiting request that gives up leaves the queue and lets others go", async (t) => {
  await t.step("cancel removes it; a second cancel finds nothing", () => {
    const { queue } = setUp(8);
    const quota = { inFlight: 1, queued: 1 };
    queue.acquire("a", quota, 0, () => {});
    const grant = () => assert.fail("a cancelled request is never granted");
    assert.equal(queue.acquire("a", quota, 0, grant), "queued");
    assert.equal(queue.cancel("a", grant, 0), true);
    assert.equal(queue.cancel("a", grant, 0), false);
    assert.equal(queue.cancel("nobody", grant, 0), false);
    queue.release("a", 1);
    assert.equal(queue.waiting("a"), 0);
    assert.equal(queue.inFlight("a"), 0);
  });
  await t.step("cancelling one of several lets the next client's go", () => {
    const { queue, ask, granted } = setUp(2);
    let a2Grant = () => {};
    ask("a");
    ask("b");
    assert.equal(queue.acquire("a", QUOTA, 0, () => a2Grant()), "queued");
    const b2 = ask("b");
    assert.equal(queue.cancel("a", () => {}, 0), false, "an unknown grant is not found");
    assert.equal(queue.cancel("a", a2Grant, 0), false, "nor a different function");
    a2Grant = () => granted.push("a2");
    queue.release("a", 1);
    assert.deepEqual(granted, ["a2"]);
    queue.release("b", 1);
    assert.deepEqual(granted, ["a2", b2.id]);
  });
  await t.step("a release of a client with nothing in flight changes nothing", () => {
    const { queue } = setUp();
    queue.release("nobody", 0);
    assert.equal(queue.size, 0);
  });
});

Deno.test("clients no longer active are forgotten", () => {
  const { queue, ask } = setUp(8, 10);
  for (let i = 0; i < 300; i++) {
    ask(`c${i}`, i);
    queue.release(`c${i}`, i);
  }
  assert.ok(queue.size < 300, `${queue.size} clients kept`);
});
