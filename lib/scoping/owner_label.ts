/**
 * `OWNER`: what a client creates carries `socket-proxy.owner=<owner>`. The
 * create body is decoded as the engine decodes it (Go's rules: keys match
 * fields case-insensitively, the last one wins), the label put where the
 * engine reads labels, and the body written out again — every other key, in
 * its order and with its numbers as sent, so the engine reads the same body
 * plus the label. A body that already names another owner is refused.
 */
import {
  GoJsonError,
  GoJsonNumber,
  GoJsonObject,
  type GoJsonValue,
  parseGoJson,
} from "../admission/go_json.ts";
import { isQueryError, parseQuery, unescapeComponent } from "../policy/query_params.ts";
import { OWNER_LABEL } from "../policy/scope.ts";

/** Where each create operation's body holds its labels. */
export const OWNER_FIELDS: Readonly<Record<string, string>> = {
  ContainerCreate: "Labels",
  NetworkCreate: "Labels",
  VolumeCreate: "Labels",
  LibpodContainerCreate: "labels",
};

/**
 * The container a `NetworkConnect`/`NetworkDisconnect` body names (its
 * `Container` field, as the engine reads it), or `null` when it names none or
 * cannot be read (the engine then refuses the body itself).
 */
export function bodyContainer(body: Uint8Array): string | null {
  try {
    const value = parseGoJson(body);
    if (!(value instanceof GoJsonObject)) return null;
    const entries = value.field("Container");
    const last = entries[entries.length - 1]?.value;
    return typeof last === "string" ? last : null;
  } catch {
    return null;
  }
}

/** Why a body cannot be labelled: 400 (malformed) or 403 (another owner's label). */
export class OwnerLabelError extends Error {
  override name = "OwnerLabelError";
  constructor(readonly status: 400 | 403, message: string) {
    super(message);
  }
}

const encoder = new TextEncoder();

/** The JSON text of a decoded value, keys in order, duplicates and number literals kept. */
export function stringifyGoJson(value: GoJsonValue): string {
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof GoJsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(stringifyGoJson).join(",")}]`;
  return `{${
    value.entries.map((entry) => `${JSON.stringify(entry.key)}:${stringifyGoJson(entry.value)}`)
      .join(",")
  }}`;
}

/** `labels` with `OWNER_LABEL` set to `owner`; refuses another owner's label. */
function withOwner(labels: GoJsonValue | undefined, owner: string, where: string): GoJsonObject {
  if (labels === undefined || labels === null) {
    return new GoJsonObject([{ key: OWNER_LABEL, value: owner }]);
  }
  if (!(labels instanceof GoJsonObject)) {
    throw new OwnerLabelError(400, `${where} must be a map of labels`);
  }
  const given = labels.exact(OWNER_LABEL);
  for (const entry of given) {
    if (entry.value !== owner) {
      throw new OwnerLabelError(
        403,
        `${where} holds ${OWNER_LABEL}=${JSON.stringify(entry.value)}: a client may not create ` +
          "objects for another owner",
      );
    }
  }
  return new GoJsonObject([
    ...labels.entries.filter((entry) => entry.key !== OWNER_LABEL),
    { key: OWNER_LABEL, value: owner },
  ]);
}

/**
 * The create `body` with the owner label in its `field` (`Labels`, libpod's
 * `labels`): an object at the body's root. Throws `OwnerLabelError`.
 */
export function labelBody(body: Uint8Array, field: string, owner: string): Uint8Array {
  let value: GoJsonValue;
  try {
    value = body.length === 0 ? new GoJsonObject([]) : parseGoJson(body);
  } catch (error) {
    if (error instanceof GoJsonError) {
      throw new OwnerLabelError(400, `Invalid JSON body: ${error.message}`);
    }
    throw error;
  }
  if (!(value instanceof GoJsonObject)) {
    throw new OwnerLabelError(400, "The body must be a JSON object");
  }
  const entries = value.field(field);
  if (entries.length > 1) {
    throw new OwnerLabelError(
      400,
      `Keys ${entries.map((entry) => JSON.stringify(entry.key)).join(" and ")} name the same ` +
        "field: send one",
    );
  }
  const key = entries[0]?.key ?? field;
  const labels = withOwner(entries[0]?.value, owner, key);
  const rest = value.entries.filter((entry) => entry.key !== key);
  return encoder.encode(stringifyGoJson(new GoJsonObject([...rest, { key, value: labels }])));
}

/**
 * The query of a build with the owner label in its `labels` parameter (a JSON
 * map); other parameters stay as sent. Throws `OwnerLabelError`.
 */
export function labelBuildQuery(rawQuery: string, owner: string): string {
  const params = parseQuery(rawQuery);
  if (isQueryError(params)) throw new OwnerLabelError(400, params.error);
  // Podman reads query names without regard to case: only `labels` may name them.
  for (const key of params.keys()) {
    if (key !== "labels" && key.toLowerCase() === "labels") {
      throw new OwnerLabelError(400, `${key} is not labels: send the labels as labels`);
    }
  }
  const given = params.get("labels");
  if (given !== undefined && given.length > 1) {
    throw new OwnerLabelError(400, "labels is given more than once: send it once");
  }
  let labels: GoJsonValue | undefined = undefined;
  if (given !== undefined && given[0] !== "") {
    try {
      labels = parseGoJson(encoder.encode(given[0]));
    } catch (error) {
      if (!(error instanceof GoJsonError)) throw error;
      throw new OwnerLabelError(400, `Invalid labels: ${error.message}`);
    }
  }
  const encoded = "labels=" +
    encodeURIComponent(stringifyGoJson(withOwner(labels, owner, "labels")));
  const pairs = rawQuery.replace(/^\?/, "").split("&").filter((pair) => {
    const key = pair.includes("=") ? pair.slice(0, pair.indexOf("=")) : pair;
    return pair !== "" && unescapeComponent(key) !== "labels";
  });
  return "?" + [...pairs, encoded].join("&");
}
