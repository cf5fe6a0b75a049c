/**
 * The `API_VERSION_FLOOR` stage: a request for an API version older than the
 * floor is sent as the floor version, with what `routes/api_versions.ts` says
 * changed between the two undone where that is exact (a query parameter the
 * old version ignored dropped, a filter it implied added, a body field it
 * ignored removed, an answer field it had restored) and refused where it is
 * not. Pure but for nothing: the pipeline reads the body and relays the
 * answer, and logs the notes this returns.
 */
import { goFoldName } from "../admission/go_fold.ts";
import {
  type AnswerTranslation,
  type FloorPlan,
  formatVersion,
  POINTER_FIELDS,
  type VersionChange,
} from "../routes/api_versions.ts";

type Rewrite = Extract<FloorPlan, { kind: "rewrite" }>;

export interface TargetRewrite {
  /** The target to forward: the floor's version prefix, the query translated. */
  target: string;
  /** What was done, for the log. */
  notes: string[];
}

const decode = (text: string) => {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
};

function since(change: VersionChange): string {
  return formatVersion(change.since);
}

/** Adds `filter=value` to a `filters` query value (Docker's JSON form, or none). */
function addFilter(filters: string | null, filter: string, value: string): string | null {
  let parsed: Record<string, unknown> = {};
  if (filters !== null && filters !== "") {
    try {
      parsed = JSON.parse(filters);
    } catch {
      return null;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return null;
  }
  const current = parsed[filter];
  if (current === undefined) parsed[filter] = { [value]: true };
  else if (Array.isArray(current)) parsed[filter] = [...current, value];
  else if (current !== null && typeof current === "object") {
    parsed[filter] = { ...current as Record<string, unknown>, [value]: true };
  } else return null;
  return JSON.stringify(parsed);
}

/**
 * The forwarded target under `plan`: `/vA.B` replaced by the floor, the query
 * translated. Returns a refusal reason when a translation cannot be exact.
 */
export function rewriteTarget(forward: string, plan: Rewrite): TargetRewrite | { refuse: string } {
  const from = formatVersion(plan.from);
  const to = formatVersion(plan.to);
  const queryAt = forward.indexOf("?");
  const path = queryAt < 0 ? forward : forward.slice(0, queryAt);
  let pairs = queryAt < 0 || queryAt === forward.length - 1
    ? []
    : forward.slice(queryAt + 1).split("&");
  const notes = [`/v${from} forwarded as /v${to}`];
  const named = (name: string) => pairs.filter((pair) => decode(pair.split("=")[0]) === name);
  const valueOf = (pair: string) => decode(pair.slice(pair.indexOf("=") + 1 || pair.length));
  for (const change of plan.changes) {
    const effect = change.effect;
    if (effect.kind === "drop-query" && named(effect.param).length > 0) {
      pairs = pairs.filter((pair) => decode(pair.split("=")[0]) !== effect.param);
      notes.push(`dropped ?${effect.param} (${change.fact})`);
    } else if (effect.kind === "set-query") {
      const names = new Set(effect.params.map(([name]) => name));
      pairs = pairs.filter((pair) => !names.has(decode(pair.split("=")[0])));
      pairs.push(...effect.params.map(([name, value]) => `${name}=${value}`));
      notes.push(`set ${effect.params.map(([n, v]) => `${n}=${v}`).join("&")} (${change.fact})`);
    } else if (effect.kind === "query-to-filter" || effect.kind === "add-filter") {
      const values = effect.kind === "add-filter"
        ? [effect.value]
        : named(effect.param).map(valueOf).filter((value) => value !== "");
      if (effect.kind === "query-to-filter") {
        pairs = pairs.filter((pair) => decode(pair.split("=")[0]) !== effect.param);
      }
      if (values.length === 0) continue;
      const given = named("filters");
      if (given.length > 1) {
        return { refuse: `two filters parameters with ${change.fact}: send one` };
      }
      let filters: string | null = given.length === 1 ? valueOf(given[0]) : null;
      if (
        effect.kind === "add-filter" && filters !== null && filters.includes(`"${effect.filter}"`)
      ) {
        continue; // the client chose the filter itself
      }
      for (const value of values) {
        filters = addFilter(filters, effect.filter, value);
        if (filters === null) {
          return { refuse: `the filters parameter is not a JSON object, and ${change.fact}` };
        }
      }
      pairs = pairs.filter((pair) => decode(pair.split("=")[0]) !== "filters");
      pairs.push(`filters=${encodeURIComponent(filters!)}`);
      notes.push(`filters ${effect.filter}=${values.join(",")} (${change.fact})`);
    }
  }
  const prefix = `/v${from}/`;
  const rest = path.startsWith(prefix)
    ? path.slice(prefix.length - 1)
    : path.replace(/^\/v[^/]+/, "");
  return { target: `/v${to}${rest}${pairs.length > 0 ? `?${pairs.join("&")}` : ""}`, notes };
}

/** Whether the plan reads or changes the request body. */
export function readsBody(plan: Rewrite): boolean {
  return plan.changes.some((change) =>
    ["refuse-fields", "drop-fields", "require-field", "read-only-binds"].includes(
      change.effect.kind,
    )
  );
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** The keys of `object` Go's decoder would match with `name` (one, or an ambiguity). */
function keysFor(object: Record<string, Json>, name: string): string[] {
  const folded = goFoldName(name);
  return Object.keys(object).filter((key) => goFoldName(key) === folded);
}

interface Found {
  parent: Record<string, Json>;
  key: string;
  value: Json;
}

/** Every place `path` (`A.B[].C`, `*` for each member of a map) names in `root`. */
function find(root: Json, path: string): Found[] | { ambiguous: string } {
  let here: { parent: Record<string, Json> | null; key: string; value: Json }[] = [
    { parent: null, key: "", value: root },
  ];
  for (const raw of path.split(".")) {
    const each = raw.endsWith("[]");
    const name = each ? raw.slice(0, -2) : raw;
    const next: typeof here = [];
    for (const { value } of here) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) continue;
      const keys = name === "*" ? Object.keys(value) : keysFor(value, name);
      if (name !== "*" && keys.length > 1) return { ambiguous: `${keys.join(" and ")} in ${path}` };
      for (const key of keys) {
        if (each && Array.isArray(value[key])) {
          value[key].forEach((item: Json, i: number) =>
            next.push({ parent: value[key], key: String(i), value: item })
          );
        } else if (!each) next.push({ parent: value, key, value: value[key] });
      }
    }
    here = next;
  }
  return here.filter((found) => found.parent !== null) as Found[];
}

/** Go's zero values: what a field left unset decodes to. */
function isZero(value: Json): boolean {
  return value === null || value === false || value === 0 || value === "" ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
}

/** A number JavaScript reads inexactly: the body cannot be re-encoded as sent. */
const UNSAFE_NUMBER = /(?<![\w."])-?\d{16,}|\d[eE][+-]?\d{2,}/;

export type BodyOutcome =
  | { kind: "forward"; body: Uint8Array | null; notes: string[] }
  | { kind: "refuse"; reason: string };

/**
 * Checks and translates a JSON body under `plan`: refuses a field whose
 * handling changed, drops one the old version ignored, notes read-only binds
 * (which only become stricter). `body: null` in the outcome: forward it
 * unchanged. A translation only ever removes fields admission ignored.
 */
export function floorBody(body: Uint8Array, plan: Rewrite, operation: string): BodyOutcome {
  const from = formatVersion(plan.from);
  const to = formatVersion(plan.to);
  const text = new TextDecoder().decode(body);
  if (text.trim() === "") return { kind: "forward", body: null, notes: [] };
  let root: Json;
  try {
    root = JSON.parse(text);
  } catch {
    return { kind: "forward", body: null, notes: [] }; // the engine answers it as invalid
  }
  const notes: string[] = [];
  let changed = false;
  const refuse = (what: string, change: VersionChange, instead: string) => ({
    kind: "refuse" as const,
    reason: `${operation} from API ${from} forwarded as ${to} (API_VERSION_FLOOR): ${what}: ` +
      `${change.fact}: ${instead}`,
  });
  for (const change of plan.changes) {
    const effect = change.effect;
    const paths = effect.kind === "refuse-fields" || effect.kind === "drop-fields"
      ? effect.paths
      : effect.kind === "require-field"
      ? [effect.path]
      : effect.kind === "read-only-binds"
      ? ["HostConfig.Binds", "HostConfig.Mounts[]"]
      : [];
    for (const path of paths) {
      const found = find(root, path);
      if (!Array.isArray(found)) {
        return refuse(`the body names ${found.ambiguous}`, change, "send each field once");
      }
      if (effect.kind === "refuse-fields") {
        const set = POINTER_FIELDS.has(path)
          ? (value: Json) => value !== null
          : (value: Json) => !isZero(value);
        if (found.some((place) => set(place.value))) {
          return refuse(`${path} is set`, change, `use API ${since(change)} or leave it out`);
        }
      } else if (effect.kind === "drop-fields") {
        for (const place of found) {
          if (isZero(place.value)) continue;
          delete place.parent[place.key];
          changed = true;
          notes.push(`dropped ${path} (${change.fact})`);
        }
      } else if (effect.kind === "require-field") {
        if (found.length === 0 || isZero(found[0].value)) {
          return refuse(`${path} is not set`, change, `set it, or use API ${since(change)}`);
        }
      } else {
        // read-only-binds: noted, not changed (see `Effect`).
        const readOnly = path === "HostConfig.Binds"
          ? found.flatMap((place) => Array.isArray(place.value) ? place.value : [])
            .filter((bind: Json) =>
              typeof bind === "string" && bind.split(":").length >= 3 &&
              bind.split(":").pop()!.split(",").includes("ro")
            )
            .map((bind: string) => bind.split(":")[1])
          : found.map((place) => place.value).filter((m: Json) =>
            m !== null && typeof m === "object" &&
            keysFor(m, "Type").map((k) => m[k])[0] === "bind" &&
            keysFor(m, "ReadOnly").map((k) => m[k])[0] === true &&
            !keysFor(m[keysFor(m, "BindOptions")[0]] ?? {}, "ReadOnlyNonRecursive").length
          ).map((m: Json) => String(keysFor(m, "Target").map((k) => m[k])[0] ?? ""));
        for (const target of readOnly) {
          notes.push(
            `read-only bind at ${JSON.stringify(target)} forwarded as it is: API ${to} makes it ` +
              `recursively read-only where the kernel can, stricter than API ${from} (${change.fact})`,
          );
        }
      }
    }
  }
  if (!changed) return { kind: "forward", body: null, notes };
  if (UNSAFE_NUMBER.test(text)) {
    return {
      kind: "refuse",
      reason: `${operation} from API ${from} forwarded as ${to} (API_VERSION_FLOOR) needs its ` +
        `body translated (${notes.join("; ")}), and it holds a number too large to re-encode ` +
        `exactly: use API ${to}`,
    };
  }
  return { kind: "forward", body: new TextEncoder().encode(JSON.stringify(root)), notes };
}

const ZERO_TIME = "0001-01-01T00:00:00Z";

function translateImage(image: Json, translations: Set<AnswerTranslation>): void {
  if (image === null || typeof image !== "object") return;
  if (translations.has("virtual-size") && image.VirtualSize === undefined && "Size" in image) {
    image.VirtualSize = image.Size;
  }
  if (translations.has("zero-created") && (image.Created === undefined || image.Created === "")) {
    image.Created = ZERO_TIME;
  }
  if (translations.has("none-placeholders")) {
    if (Array.isArray(image.RepoTags) && image.RepoTags.length === 0) {
      image.RepoTags = ["<none>:<none>"];
    }
    if (Array.isArray(image.RepoDigests) && image.RepoDigests.length === 0) {
      image.RepoDigests = ["<none>@<none>"];
    }
  }
}

/** The answer rewrite `plan` needs for `operation`, or `null` for none. */
export function floorAnswer(
  plan: Rewrite,
  operation: string,
): ((answer: unknown) => unknown) | null {
  const translations = new Set<AnswerTranslation>();
  for (const change of plan.changes) {
    if (change.effect.kind === "answer") translations.add(change.effect.translation);
  }
  if (translations.size === 0) return null;
  return (answer: Json) => {
    if (answer === null || typeof answer !== "object") return answer;
    if (operation === "ImageList" && Array.isArray(answer)) {
      for (const image of answer) translateImage(image, translations);
    } else if (operation === "ImageInspect") {
      translateImage(answer, translations);
    } else if (operation === "SystemDataUsage" && Array.isArray(answer.Images)) {
      for (const image of answer.Images) translateImage(image, translations);
    } else if (operation === "SystemInfo") {
      if (translations.has("unknown-kernel")) {
        if (answer.KernelVersion === "") answer.KernelVersion = "<unknown>";
        if (answer.OperatingSystem === "") answer.OperatingSystem = "<unknown>";
      }
      if (translations.has("security-option-names") && Array.isArray(answer.SecurityOptions)) {
        answer.SecurityOptions = answer.SecurityOptions.map((option: Json) =>
          typeof option === "string" ? (/(?:^|,)name=([^,]*)/.exec(option)?.[1] ?? option) : option
        );
      }
    }
    return answer;
  };
}
