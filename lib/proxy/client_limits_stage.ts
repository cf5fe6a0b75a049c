/**
 * The per-client limits stage of the pipeline: the limiter's answer for the
 * client, for a stream or a finite request (its
 * key, `client_key.ts`, comes from the connection) — go, wait for the
 * client's turn at the engine (while watching that the client is still
 * there), or 429.
 */
import type { BufferedConn } from "../http/buffered_conn.ts";
import {
  type ClientLimiter,
  isLimited,
  isWaiting,
  type Limited,
  type Pass,
} from "../limits/client_limiter.ts";
import type { ProxyMetrics } from "../metrics/proxy_metrics.ts";
import { DEFAULT_CLIENT_LIMITS } from "../policy/client_limit_settings.ts";
import type { Profile } from "../policy/profile.ts";

/** What the stage needs of the request. */
export interface LimitRequest {
  readonly client: BufferedConn;
  /** The client's key (`clientKey`), computed once per connection and profile choice. */
  readonly key: string;
  readonly profile: Profile;
  /**
   * Whether it holds its connection open (a stream, a tunnel, a transfer):
   * what `ENGINE_TIMEOUT` exempts (`engine_deadline.ts`), read from the same
   * route and query. Streams count against `MAX_CLIENT_STREAMS`, and never
   * against `MAX_CLIENT_REQUESTS` or the engine's fair share.
   */
  readonly stream: boolean;
  /** An HTTP/1.0 client may end its side once its request is sent: that is not leaving. */
  readonly http10: boolean;
  /** The client left after its turn came (the read begun while it waited saw the end). */
  onLeave(): void;
}

/** `Pass`: go on (call `done()` when the exchange ends); `Limited`: 429; `null`: the client left. */
export async function limitClient(
  limiter: ClientLimiter,
  metrics: ProxyMetrics | null,
  request: LimitRequest,
): Promise<Pass | Limited | null> {
  const { profile, client } = request;
  const limits = profile.clientLimits ?? DEFAULT_CLIENT_LIMITS;
  const result = limiter.admit(request.key, limits, request.stream);
  if (isLimited(result)) {
    metrics?.limited(profile.name, result.setting);
    return result;
  }
  if (!isWaiting(result)) return result;
  metrics?.waited(profile.name);
  // While it waits, a client that goes away gives up its place. (The request
  // is in the forwarder's buffer by now: what is read is the body or the
  // next request, kept for later, as the forwarder's own watch does.)
  let gone = false;
  const watch = client.eof ? Promise.resolve(false) : client.fill();
  const leaving = (more: boolean) => !more && !(request.http10 && client.error === null);
  const left = watch.then((more) => {
    if (!leaving(more)) return new Promise<never>(() => {});
    gone = true;
    return null;
  });
  const pass = await Promise.race([result.pass, left]);
  if (gone || pass === null) {
    result.cancel();
    // Granted in the same turn as the client left: give the turn back.
    result.pass.then((granted) => granted.done());
    return null;
  }
  // The read stays out while the request goes on: the forwarder's own watch
  // cannot begin another, so its end is passed on here.
  watch.then((more) => {
    if (leaving(more)) request.onLeave();
  });
  return pass;
}
