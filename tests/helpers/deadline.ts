/**
 * Deadlines for what a test waits on from the proxy, so that a proxy that
 * stops answering fails the test within seconds, saying what it waited for,
 * instead of hanging the run until an outer timeout.
 */
import { AssertionError } from "node:assert";

/** Long enough for any answer on a loaded 2-core machine; short enough to fail fast. */
export const ANSWER_MS = 5000;

/** `promise`, or an `AssertionError` naming `what` when it takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, what: string, ms = ANSWER_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AssertionError({ message: `${what}: nothing within ${ms} ms` })),
      ms,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
