/**
 * The engine's capacity shared fairly between clients, and each client's own
 * limit on requests in flight (`MAX_CLIENT_REQUESTS`) with its short queue.
 * Pure: no timers, no promises; the caller passes the time in and is told,
 * through the waiter it handed in, when a queued request may go.
 *
 * A client's request goes to the engine at once when the client is under its
 * own limit and under its fair share; otherwise it waits in the client's
 * queue (first in, first out), and when that queue is full it is refused.
 * While a single client is active it has the engine to itself (no share).
 * While `n` clients are active, each may have `capacity / n` requests at the
 * engine (at least 1): a client over its share waits, the others do not.
 * A client is active while it has requests at the engine or waiting, and for
 * `activeMs` after its last one ended (so that a client sending one request
 * after another is not forgotten between them). When a request ends, waiting
 * clients are served round-robin.
 */

/** How many requests a client may have at the engine, and waiting; 0: no limit, no share. */
export interface ClientQuota {
  /** Requests at the engine at once (`MAX_CLIENT_REQUESTS`); 0 for no limit and no fair share. */
  readonly inFlight: number;
  /** Requests waiting, beyond which the client is refused. */
  readonly queued: number;
}

/** Told when a queued request may go to the engine. */
export type Grant = () => void;

/** `now`: go; `queued`: wait for the grant; `full`: refuse (the client's queue is full). */
export type Admission = "now" | "queued" | "full";

interface ClientState {
  inFlight: number;
  waiting: { grant: Grant; quota: ClientQuota }[];
  /** When its last request ended (ms). */
  lastEnded: number;
}

export interface FairQueueOptions {
  /** Requests at the engine shared between active clients. */
  capacity: number;
  /** How long a client stays active after its last request ended (ms). */
  activeMs: number;
}

/** Past this many clients known, those no longer active are forgotten when a request ends. */
const SWEEP_AT = 256;

export class FairQueue {
  readonly capacity: number;
  readonly activeMs: number;
  #clients = new Map<string, ClientState>();
  /** Clients with requests waiting, in the order they are served. */
  #ring: string[] = [];
  #next = 0;

  constructor(options: FairQueueOptions) {
    this.capacity = options.capacity;
    this.activeMs = options.activeMs;
  }

  /** Requests of `key` at the engine now. */
  inFlight(key: string): number {
    return this.#clients.get(key)?.inFlight ?? 0;
  }

  /** Requests of `key` waiting now. */
  waiting(key: string): number {
    return this.#clients.get(key)?.waiting.length ?? 0;
  }

  /** Clients known (active, or with something in flight). */
  get size(): number {
    return this.#clients.size;
  }

  /**
   * A request of `key`: `now` (counted in flight), `queued` (`grant` is called
   * when it may go, then counted in flight), or `full`.
   */
  acquire(key: string, quota: ClientQuota, now: number, grant: Grant): Admission {
    let state = this.#clients.get(key);
    if (state === undefined) {
      state = { inFlight: 0, waiting: [], lastEnded: -Infinity };
      this.#clients.set(key, state);
    }
    if (quota.inFlight === 0) {
      state.inFlight++;
      return "now";
    }
    if (state.waiting.length === 0 && this.#mayStart(key, state, quota, now)) {
      state.inFlight++;
      return "now";
    }
    if (state.inFlight + state.waiting.length >= quota.inFlight + quota.queued) return "full";
    if (state.waiting.length === 0) this.#ring.push(key);
    state.waiting.push({ grant, quota });
    return "queued";
  }

  /** A request of `key` that went to the engine has ended. */
  release(key: string, now: number): void {
    const state = this.#clients.get(key);
    if (state === undefined || state.inFlight === 0) return;
    state.inFlight--;
    state.lastEnded = now;
    this.#dispatch(now);
    if (this.#clients.size > SWEEP_AT) this.#sweep(now);
  }

  /** A queued request gave up (its client left); `true` when it was still waiting. */
  cancel(key: string, grant: Grant, now: number): boolean {
    const state = this.#clients.get(key);
    if (state === undefined) return false;
    const index = state.waiting.findIndex((waiter) => waiter.grant === grant);
    if (index < 0) return false;
    state.waiting.splice(index, 1);
    if (state.waiting.length === 0) this.#leaveRing(key);
    this.#dispatch(now);
    return true;
  }

  /** Whether `key` is counted among the clients sharing the engine. */
  #active(state: ClientState, now: number): boolean {
    return state.inFlight > 0 || state.waiting.length > 0 || now - state.lastEnded < this.activeMs;
  }

  /** Under its own limit and its fair share. */
  #mayStart(key: string, state: ClientState, quota: ClientQuota, now: number): boolean {
    if (state.inFlight >= quota.inFlight) return false;
    let others = 0;
    for (const [other, otherState] of this.#clients) {
      if (other === key) continue;
      if (this.#active(otherState, now)) others++;
      else this.#clients.delete(other);
    }
    if (others === 0) return true;
    return state.inFlight < Math.max(1, Math.floor(this.capacity / (others + 1)));
  }

  #sweep(now: number): void {
    for (const [key, state] of this.#clients) {
      if (!this.#active(state, now)) this.#clients.delete(key);
    }
  }

  #leaveRing(key: string): void {
    const index = this.#ring.indexOf(key);
    if (index < 0) return;
    this.#ring.splice(index, 1);
    if (index < this.#next) this.#next--;
  }

  /** Serves waiting clients round-robin, one request each per turn, while any may start. */
  #dispatch(now: number): void {
    let idle = 0;
    while (this.#ring.length > 0 && idle < this.#ring.length) {
      if (this.#next >= this.#ring.length) this.#next = 0;
      const key = this.#ring[this.#next];
      const state = this.#clients.get(key)!;
      const head = state.waiting[0];
      if (!this.#mayStart(key, state, head.quota, now)) {
        this.#next++;
        idle++;
        continue;
      }
      state.waiting.shift();
      state.inFlight++;
      if (state.waiting.length === 0) this.#ring.splice(this.#next, 1);
      else this.#next++;
      idle = 0;
      head.grant();
    }
  }
}
