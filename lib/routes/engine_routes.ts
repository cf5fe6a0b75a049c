/**
 * The Engine API's routes (Docker and libpod) and one matcher over them for
 * the whole process, built on first use.
 */
import { RouteMatcher } from "./route_matcher.ts";
import { ROUTES } from "./route_table.ts";

export { ROUTES };

let matcher: RouteMatcher | null = null;

/** The matcher over `ROUTES`. */
export function routeMatcher(): RouteMatcher {
  matcher ??= new RouteMatcher(ROUTES);
  return matcher;
}
