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
  await t.step("the noisy one then waits until it is under capacity/2", () => {
    const { queue, ask, granted } = setUp(8);
    for (let i = 0; i < 10; i++) ask("noisy");
    ask("quiet");
    const waiting = ask("noisy");
    assert.equal(waiting.admission, "queued");
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
