/**
 * Tunnels: once the engine has switched protocols (`docker attach`, `exec`,
 * BuildKit sessions), bytes flow both ways until both sides are done. When one
 * side closes its write half, only the write half of the other side is closed,
 * so the other direction keeps flowing to its end (Caddy's
 * `reverseproxy/streaming.go` does the same).
 */
import { type BufferedConn, Relay } from "../http/buffered_conn.ts";

/** Bytes each way once a tunnel has closed. */
export interface TunnelTotals {
  toEngine: number;
  toClient: number;
}

/**
 * Relays between `client` and `engine` until both directions have ended,
 * starting with what each buffer already holds. With `oneWay`, nothing the
 * client sends reaches the engine: its bytes are read and dropped, and its end
 * still closes the engine's write half.
 */
export async function tunnel(
  client: BufferedConn,
  engine: BufferedConn,
  oneWay: boolean,
): Promise<TunnelTotals> {
  const [toEngine, toClient] = await Promise.all([
    oneWay ? drain(client, engine) : pipe(client, engine),
    pipe(engine, client),
  ]);
  return { toEngine, toClient };
}

/**
 * Copies bytes from `from` to `to` until `from` ends, starting with what `from`
 * has buffered. At a clean end only `to`'s write half is closed; on an error
 * both sides are closed. Returns the bytes copied.
 */
export async function pipe(from: BufferedConn, to: BufferedConn): Promise<number> {
  const relay = new Relay(from, to);
  let total = 0;
  try {
    for (;;) {
      if (from.available > 0) {
        total += from.available;
        await relay.send(from.end);
      }
      from.reset();
      if (!(await from.fill())) break;
    }
    await relay.flush();
    if (from.error !== null) throw from.error;
    to.closeWrite();
  } catch {
    from.close();
    to.close();
  }
  return total;
}

/** Reads `from` to its end and drops what it reads; then ends `to`'s write half. */
async function drain(from: BufferedConn, to: BufferedConn): Promise<number> {
  for (;;) {
    from.start = from.end;
    from.reset();
    if (!(await from.fill())) break;
  }
  if (from.error !== null) {
    from.close();
    to.close();
  } else {
    to.closeWrite();
  }
  return 0;
}
