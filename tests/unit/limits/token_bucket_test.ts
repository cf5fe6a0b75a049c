import assert from "node:assert/strict";
import { TokenBucket } from "../../../lib/limits/token_bucket.ts";

Deno.test("a token bucket lets a burst through, then one request per 1/rate", async (t) => {
  const cases: { name: string; rate: number; burst: number; takes: number[]; waits: number[] }[] = [
    {
      name: "a full bucket of 3 gives 3 at once, the fourth waits 100 ms at 10/s",
      rate: 10,
      burst: 3,
      takes: [0, 0, 0, 0],
      waits: [0, 0, 0, 100],
    },
    {
      name: "after 100 ms at 10/s one token is back",
      rate: 10,
      burst: 1,
      takes: [0, 100, 150],
      waits: [0, 0, 50],
    },
    {
      name: "half a second saves up only to the burst",
      rate: 10,
      burst: 2,
      takes: [0, 0, 500, 500, 500],
      waits: [0, 0, 0, 0, 100],
    },
    {
      name: "a rate below one a second waits whole seconds",
      rate: 0.5,
      burst: 1,
      takes: [0, 0, 1000],
      waits: [0, 2000, 1000],
    },
    {
      name: "a clock that goes back changes nothing",
      rate: 1,
      burst: 1,
      takes: [1000, 0],
      waits: [0, 1000],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const bucket = new TokenBucket(c.rate, c.burst, c.takes[0]);
      assert.deepEqual(c.takes.map((now) => bucket.take(now)), c.waits);
    });
  }
});

Deno.test("a token bucket is full again once idle for burst/rate seconds", async (t) => {
  for (
    const [name, idle, full] of [
      ["just taken: not full", 0, false],
      ["199 ms later at 10/s with a burst of 2: not full", 199, false],
      ["200 ms later: full", 200, true],
    ] as const
  ) {
    await t.step(name, () => {
      const bucket = new TokenBucket(10, 2, 0);
      bucket.take(0);
      bucket.take(0);
      assert.equal(bucket.full(idle), full);
    });
  }
});
