/**
 * `PROTECT_SELF` in the pipeline: a request that would stop, kill, pause,
 * remove, rename, update or recreate the proxy's own container, or exec into
 * it, is refused to a profile that protects it — whether it names the
 * container by name, full ID or ID prefix (looked up as the engine resolves
 * it, through the scope resolver's cached lookups).
 */
import type { OwnContainer } from "../engine/own_container.ts";
import type { Profile } from "../policy/profile.ts";
import { protectedTarget, selfProtectionReason } from "../policy/self_protection.ts";
import type { RouteMatch } from "../routes/route_matcher.ts";
import type { ProxyContext } from "./proxy_context.ts";

/** The reason to refuse, or `null` to go on. */
export async function refusesSelf(
  ctx: ProxyContext,
  own: OwnContainer,
  profile: Profile,
  operation: string | null,
  match: RouteMatch,
): Promise<string | null> {
  if (profile.protectSelf === false) return null;
  const name = protectedTarget(operation, match.params);
  if (name === null) return null;
  const reason = selfProtectionReason(operation!, own);
  if (name === own.id || name === own.name || name === `/${own.name}`) return reason;
  try {
    const object = await ctx.scopes().lookup("container", name);
    return object !== null && object.id === own.id ? reason : null;
  } catch {
    return null; // The engine cannot be asked: nor can it act on the container.
  }
}
