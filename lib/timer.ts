/**
 * Timers built on `AbortSignal.timeout`. Deno 2's global `setTimeout` is
 * Node's, and the first call loads Node's timers module: about 3 MiB of
 * resident memory that a proxy with two timers does not need.
 */

/** Calls `callback` after `ms`; returns a function that cancels it. */
export function after(ms: number, callback: () => void): () => void {
  let cancelled = false;
  AbortSignal.timeout(ms).addEventListener("abort", () => {
    if (!cancelled) callback();
  }, { once: true });
  return () => {
    cancelled = true;
  };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => after(ms, resolve));
}
