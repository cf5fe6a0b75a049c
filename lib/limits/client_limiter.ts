/**
 * The per-client limits, per request: `RATE_LIMIT`/`RATE_BURST` (a token
 * bucket per client), `MAX_CLIENT_STREAMS` (streams and tunnels open at once)
 * and `MAX_CLIENT_REQUESTS` with the engine's fair share (`fair_queue.ts`).
 * A request passes, waits, or is limited: then the answer is `429` with
 * `Retry-After` and a message naming the setting. No I/O; the clock is passed in.
 */
import { type ClientQuota, FairQueue } from "./fair_queue.ts";
import { TokenBucket } from "./token_bucket.ts";

/** A profile's limits, as its settings say (0: no limit). */
export interface ClientLimits {
  /** `MAX_CLIENT_REQUESTS`: finite requests at the engine at once; 0: no limit and no fair share. */
  readonly maxRequests: number;
  /** `MAX_CLIENT_STREAMS`: streams and tunnels open at once; 0: no limit. */
  readonly maxStreams: number;
  /** `RATE_LIMIT`: requests per second; 0: no limit. */
  readonly rate: number;
  /** `RATE_BURST`: requests at once beyond the rate (the bucket's size). */
  readonly burst: number;
}

/** Why a request is refused: the setting, when to try again (s), and the message. */
export interface Limited {
  readonly setting: "RATE_LIMIT" | "MAX_CLIENT_REQUESTS" | "MAX_CLIENT_STREAMS";
  readonly retryAfter: number;
  readonly message: string;
}

/** A request let through: `done()` once it has ended (exactly once; later calls do nothing). */
export interface Pass {
  done(): void;
}

/** A request that waits for its turn: `pass` resolves when it may go; `cancel()` if it gives up. */
export interface Waiting {
  readonly pass: Promise<Pass>;
  cancel(): void;
}

/** The engine's capacity the fair share divides: finite requests at once while clients compete. */
export const ENGINE_CAPACITY = 4;
/** A client stays among those sharing the engine this long after its last request ended. */
export const ACTIVE_MS = 1000;

export class ClientLimiter {
  readonly queue: FairQueue;
  #buckets = new Map<string, TokenBucket>();
  #streams = new Map<string, number>();

  #clock: () => number;

  /** `clock`: milliseconds, monotonic. */
  constructor(
    options: { capacity?: number; activeMs?: number; clock?: () => number } = {},
  ) {
    this.queue = new FairQueue({
      capacity: options.capacity ?? ENGINE_CAPACITY,
      activeMs: options.activeMs ?? ACTIVE_MS,
    });
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** Clients with a rate bucket, and with streams open, kept now (they are forgotten when idle). */
  get tracked(): { buckets: number; streams: number } {
    return { buckets: this.#buckets.size, streams: this.#streams.size };
  }

  /** Streams and tunnels `key` has open now. */
  streams(key: string): number {
    return this.#streams.get(key) ?? 0;
  }

  /**
   * A request of client `key`: a `Pass` (it goes now), a `Waiting` (it waits
   * for its turn), or `Limited` (answer 429).
   */
  admit(
    key: string,
    limits: ClientLimits,
    stream: boolean,
  ): Pass | Waiting | Limited {
    const now = this.#clock();
    if (limits.rate > 0) {
      let bucket = this.#buckets.get(key);
      if (bucket === undefined || bucket.rate !== limits.rate || bucket.burst !== limits.burst) {
        // Before a new client's bucket is added: a bucket that is full again says no more
        // than a new one would.
        if (this.#buckets.size >= 256) this.#forgetFullBuckets(now);
        bucket = new TokenBucket(limits.rate, limits.burst, now);
        this.#buckets.set(key, bucket);
      }
      const wait = bucket.take(now);
      if (wait > 0) {
        return {
          setting: "RATE_LIMIT",
          retryAfter: Math.ceil(wait / 1000),
          message: `Too many requests from this client: more than RATE_LIMIT=${limits.rate} ` +
            `a second (RATE_BURST=${limits.burst} at once); try again in ${
              Math.ceil(wait / 1000)
            }s ` +
            "(a higher RATE_LIMIT or RATE_BURST in the client's profile would allow it)",
        };
      }
    }
    if (stream) {
      const open = this.streams(key);
      if (limits.maxStreams > 0 && open >= limits.maxStreams) {
        return {
          setting: "MAX_CLIENT_STREAMS",
          retryAfter: 1,
          message: `Too many streams from this client: ${open} open, MAX_CLIENT_STREAMS=` +
            `${limits.maxStreams} (close one, or raise MAX_CLIENT_STREAMS in the client's profile)`,
        };
      }
      this.#streams.set(key, open + 1);
      let ended = false;
      return {
        done: () => {
          if (ended) return;
          ended = true;
          const left = this.streams(key) - 1;
          if (left > 0) this.#streams.set(key, left);
          else this.#streams.delete(key);
        },
      };
    }
    const quota: ClientQuota = { inFlight: limits.maxRequests, queued: limits.maxRequests };
    // The promise is made only for a request that waits (not on the hot path);
    // a grant never comes in the same turn as the acquire that queued it.
    let resolve: (pass: Pass) => void = () => {};
    const granted = () => resolve(this.#pass(key, this.#clock()));
    const admission = this.queue.acquire(key, quota, now, granted);
    if (admission === "now") return this.#pass(key, now);
    if (admission === "full") {
      return {
        setting: "MAX_CLIENT_REQUESTS",
        retryAfter: 1,
        message: `Too many requests in flight from this client: MAX_CLIENT_REQUESTS=` +
          `${limits.maxRequests} at the engine and as many waiting (wait for answers, or raise ` +
          "MAX_CLIENT_REQUESTS in the client's profile)",
      };
    }
    const pass = new Promise<Pass>((done) => resolve = done);
    return {
      pass,
      cancel: () => {
        this.queue.cancel(key, granted, this.#clock());
      },
    };
  }

  /** `started`: when it went to the engine; the time it held its place counts in the fair share. */
  #pass(key: string, started: number): Pass {
    let ended = false;
    return {
      done: () => {
        if (ended) return;
        ended = true;
        const now = this.#clock();
        this.queue.release(key, now, now - started);
      },
    };
  }

  #forgetFullBuckets(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.full(now)) this.#buckets.delete(key);
    }
  }
}

/** Whether `admit` returned a refusal. */
export function isLimited(result: Pass | Waiting | Limited): result is Limited {
  return "setting" in result;
}

/** Whether `admit` returned a request that must wait. */
export function isWaiting(result: Pass | Waiting | Limited): result is Waiting {
  return "pass" in result;
}
