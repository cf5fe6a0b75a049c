/**
 * A token bucket (`RATE_LIMIT` requests per second, `RATE_BURST` at once).
 * Pure: the caller passes the time in.
 */
export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  #tokens: number;
  #last: number;

  /** `rate` tokens a second (> 0), at most `burst` (>= 1) saved up; full at `now` (ms). */
  constructor(rate: number, burst: number, now: number) {
    this.rate = rate;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes a token: 0 when one was there, else the milliseconds until one will be. */
  take(now: number): number {
    if (now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#last) * this.rate / 1000);
      this.#last = now;
    }
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.#tokens) * 1000 / this.rate);
  }

  /** Whether it is full at `now` (a client idle that long needs no bucket kept). */
  full(now: number): boolean {
    return this.#tokens + (now - this.#last) * this.rate / 1000 >= this.burst;
  }
}
