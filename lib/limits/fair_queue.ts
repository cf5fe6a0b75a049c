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
 * after another is not forgotten between them).
 *
 * Beyond its first request at the engine, a client that has requests waiting
 * (it sends more than its share lets through: it floods) goes after the
 * clients that have none, as long as one of those has a request at the engine
 * that it sent within `activeMs` (sparse clients first, as FQ-CoDel serves its
 * sparse flows first; one that waits on a single long request, a prune, no
 * longer counts after `activeMs`): a client sending one cheap request after
 * another keeps most of its rate while another floods. Between clients with
 * requests waiting, the share is counted in engine time, the time their
 * requests held their place at the engine: one that has had more than `lagMs`
 * of it beyond the least served of the others waiting keeps only its first
 * request at the engine until they catch up (a client whose requests are slow
 * does not take the engine's time from one whose requests are quick). A
 * client that becomes busy starts level with the least served active other:
 * time served alone is no debt, and time spent idle no credit. Every client
 * with a request waiting has at least one at the engine, so no client starves
 * and no grant waits on a timer. When a request ends, waiting clients are
 * served round-robin.
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
  /** Engine time its requests have held (ms), level with the others when it became active. */
  served: number;
  waiting: { grant: Grant; quota: ClientQuota }[];
  /** When its last request ended (ms). */
  lastEnded: number;
  /** When its last request went to the engine (ms). */
  lastStarted: number;
}

export interface FairQueueOptions {
  /** Requests at the engine shared between active clients. */
  capacity: number;
  /** How long a client stays active after its last request ended (ms). */
  activeMs: number;
  /** Engine time a waiting client may have had beyond the least served other waiting one (ms). */
  lagMs?: number;
}

/** The default `lagMs`: a few cheap requests' worth of engine time (a list of containers takes about 1 ms). */
export const LAG_MS = 10;

/** Past this many clients known, those no longer active are forgotten when a request ends. */
const SWEEP_AT = 256;

export class FairQueue {
  readonly capacity: number;
  readonly activeMs: number;
  readonly lagMs: number;
  #clients = new Map<string, ClientState>();
  /** Clients with requests waiting, in the order they are served. */
  #ring: string[] = [];
  #next = 0;

  constructor(options: FairQueueOptions) {
    this.capacity = options.capacity;
    this.activeMs = options.activeMs;
    this.lagMs = options.lagMs ?? LAG_MS;
  }

  /** Requests of `key` at the engine now. */
  inFlight(key: string): number {
    return this.#clients.get(key)?.inFlight ?? 0;
  }

  /** Requests of `key` waiting now. */
  waiting(key: string): number {
    return this.#clients.get(key)?.waiting.length ?? 0;
  }

  /** Engine time the requests of `key` have held (ms), counted from when it last became active. */
  served(key: string): number {
    return this.#clients.get(key)?.served ?? 0;
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
      state = { inFlight: 0, waiting: [], lastEnded: -Infinity, lastStarted: -Infinity, served: 0 };
      this.#clients.set(key, state);
    }
    if (quota.inFlight === 0) {
      state.inFlight++;
      state.lastStarted = now;
      return "now";
    }
    if (state.waiting.length === 0 && this.#mayStart(key, state, quota, now)) {
      state.inFlight++;
      state.lastStarted = now;
      return "now";
    }
    if (state.inFlight + state.waiting.length >= quota.inFlight + quota.queued) return "full";
    if (state.waiting.length === 0) this.#ring.push(key);
    state.waiting.push({ grant, quota });
    return "queued";
  }

  /** A request of `key` that went to the engine has ended, after holding its place `heldMs`. */
  release(key: string, now: number, heldMs = 0): void {
    const state = this.#clients.get(key);
    if (state === undefined || state.inFlight === 0) return;
    state.inFlight--;
    state.served += heldMs;
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

  /**
   * Under its own limit and its fair share. A client's first request at the
   * engine always goes. Beyond it, a client with requests waiting goes after
   * the clients without (while one of those has a request at the engine it
   * sent within `activeMs`), and after those of the clients with requests
   * waiting that have had less engine time; and no client has more than
   * `capacity / n` at the engine.
   */
  #mayStart(key: string, state: ClientState, quota: ClientQuota, now: number): boolean {
    if (state.inFlight >= quota.inFlight) return false;
    let others = 0;
    let leastActive = Infinity;
    let leastWaiting = Infinity;
    let sparseBusy = false;
    for (const [other, otherState] of this.#clients) {
      if (other === key) continue;
      if (!this.#active(otherState, now)) {
        this.#clients.delete(other);
        continue;
      }
      others++;
      if (otherState.served < leastActive) leastActive = otherState.served;
      if (otherState.waiting.length === 0) {
        // A client sending requests, not one waiting on a single long one (a prune).
        if (otherState.inFlight > 0 && now - otherState.lastStarted < this.activeMs) {
          sparseBusy = true;
        }
      } else if (otherState.served < leastWaiting) leastWaiting = otherState.served;
    }
    if (others === 0) return true;
    if (state.inFlight === 0) {
      // It becomes busy: level with the others (time served alone is no debt, time idle no credit).
      if (state.served < leastActive) state.served = leastActive;
      return true;
    }
    if (state.waiting.length > 0) {
      if (sparseBusy) return false;
      if (state.served - leastWaiting > this.lagMs) return false;
    }
    return state.inFlight < Math.floor(this.capacity / (others + 1));
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
      state.lastStarted = now;
      if (state.waiting.length === 0) this.#ring.splice(this.#next, 1);
      else this.#next++;
      idle = 0;
      head.grant();
    }
  }
}
