/**
 * Engine answers rewritten for a scoped client: lists without what it may not
 * see, inspect answers without environment values. Pure functions on the
 * parsed JSON; the caller re-frames the result.
 */
import type { Labels } from "../policy/labels.ts";
import type { AnswerRewrite } from "./scope_plan.ts";
import { containerVisible, isOwned, type Scope } from "../policy/scope.ts";

/** What replaces an environment value: `NAME=` + this. */
export const SCRUBBED = "<scrubbed by socket-proxy>";

type Json = Record<string, unknown>;

function object(value: unknown): Json | null {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Json
    : null;
}

function labelsOf(value: unknown): Labels | null {
  const labels = object(value);
  if (labels === null) return null;
  const plain: Record<string, string> = {};
  for (const [key, item] of Object.entries(labels)) if (typeof item === "string") plain[key] = item;
  return plain;
}

/** `NAME=value` entries with their values replaced; the names stay. */
export function scrubEnv(env: unknown): unknown {
  if (!Array.isArray(env)) return env;
  return env.map((entry) => {
    if (typeof entry !== "string") return entry;
    const equals = entry.indexOf("=");
    return equals < 0 ? entry : `${entry.slice(0, equals + 1)}${SCRUBBED}`;
  });
}

function scrubAt(value: unknown, path: readonly string[]): void {
  let node = object(value);
  for (const key of path.slice(0, -1)) node = node === null ? null : object(node[key]);
  const last = path[path.length - 1];
  if (node !== null && Object.hasOwn(node, last)) node[last] = scrubEnv(node[last]);
}

/** A listed container's name (`Names[0]`, libpod's `Names` too) and labels. */
function listedVisible(scope: Scope, item: unknown): boolean {
  const container = object(item);
  if (container === null) return false;
  const names = Array.isArray(container.Names) ? container.Names : [];
  const name = typeof names[0] === "string" ? names[0] : "";
  return containerVisible(scope, name, labelsOf(container.Labels));
}

/**
 * Rewrites `answer` (parsed JSON) per `rewrite`. `visibleIds` is the set of
 * container IDs the client may see, for network inspect answers. Returns the
 * new value (the input may be modified in place).
 */
export function rewriteAnswer(
  rewrite: AnswerRewrite,
  scope: Scope,
  answer: unknown,
  visibleIds: ReadonlySet<string> | null = null,
): unknown {
  switch (rewrite) {
    case "container-list":
      return Array.isArray(answer) ? answer.filter((item) => listedVisible(scope, item)) : answer;
    case "container-inspect":
      if (scope.scrubEnvs) scrubAt(answer, ["Config", "Env"]);
      return answer;
    case "network-list":
      return Array.isArray(answer)
        ? answer.filter((item) => isOwned(scope, labelsOf(object(item)?.Labels)))
        : answer;
    case "volume-list": {
      const list = object(answer);
      if (list !== null && Array.isArray(list.Volumes)) {
        list.Volumes = list.Volumes.filter((item) =>
          isOwned(scope, labelsOf(object(item)?.Labels))
        );
      }
      return answer;
    }
    case "network-inspect": {
      const network = object(answer);
      const containers = object(network?.Containers);
      if (network !== null && containers !== null) {
        network.Containers = Object.fromEntries(
          Object.entries(containers).filter(([id]) => visibleIds?.has(id) ?? false),
        );
      }
      return answer;
    }
    case "service":
      for (const service of Array.isArray(answer) ? answer : [answer]) {
        scrubAt(service, ["Spec", "TaskTemplate", "ContainerSpec", "Env"]);
        scrubAt(service, ["PreviousSpec", "TaskTemplate", "ContainerSpec", "Env"]);
      }
      return answer;
    case "task":
      for (const task of Array.isArray(answer) ? answer : [answer]) {
        scrubAt(task, ["Spec", "ContainerSpec", "Env"]);
      }
      return answer;
  }
}
