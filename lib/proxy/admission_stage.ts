/**
 * The admission stage of the pipeline: a body that could ask the engine for
 * host access is read whole (as is one the scope labels, or one naming a
 * container the scope must check), decided on, and handed back to be
 * forwarded exactly as checked. A build context, or any body nothing decides
 * on, streams as it comes.
 */
import { admissionNeeds, admit, prepareAdmission } from "../admission/admit.ts";
import { parseGoJson } from "../admission/go_json.ts";
import { serviceNetworkTargets } from "../admission/service_spec.ts";
import type { BufferedConn } from "../http/buffered_conn.ts";
import {
  CONTENT_TYPE,
  fieldValue,
  HttpError,
  latin1,
  type RequestHead,
} from "../http/http_head.ts";
import type { Profile } from "../policy/profile.ts";
import { isQueryError, parseQuery } from "../policy/query_params.ts";
import { hasBody, type RequestBody } from "./request_body.ts";
import type { RequestTarget } from "../http/request_target.ts";
import { CONTINUE_100 } from "../http/responses.ts";
import { bodyContainer, labelBody, OWNER_FIELDS, OwnerLabelError } from "../scoping/owner_label.ts";
import { containerVisible } from "../policy/scope.ts";
import type { ScopePlan } from "../scoping/scope_plan.ts";
import type { ScopeResolver } from "../engine/scope_resolver.ts";
import { notFound } from "./scope_stage.ts";
import type { BodyAlternative } from "../policy/decide.ts";
import { BODY_KINDS, BodyError, type BodyFacts, readBodyFacts } from "../policy/body_fields.ts";

export type AdmissionOutcome =
  /** Forward `body` (`null`: the body streams as it comes); `notes` are audit mode's would-denies. */
  | { kind: "forward"; body: Uint8Array | null; notes: string[]; facts?: BodyFacts | null }
  /** Refuse: `message` overrides the usual wording when given. */
  | { kind: "deny"; status: number; reason: string; message?: string }
  /** Malformed (framing, size): answered and closed. */
  | { kind: "refuse"; error: HttpError }
  /** The client left before its body was complete. */
  | { kind: "gone" };

export interface AdmissionInput {
  client: BufferedConn;
  body: RequestBody;
  head: RequestHead;
  target: RequestTarget;
  profile: Profile;
  operation: string;
  plan: ScopePlan | null;
  scopes: () => ScopeResolver;
  /** The rules that allow the request only with some bodies (`Decision.bodies`); none: `null`. */
  bodyRules?: readonly BodyAlternative[] | null;
}

/** The value of the request's first field of `kind`, or `""`. */
function header(buf: Uint8Array, head: RequestHead, kind: number): string {
  for (let i = 0; i < head.count; i++) if (head.kinds[i] === kind) return fieldValue(buf, head, i);
  return "";
}

function hasContentEncoding(buf: Uint8Array, head: RequestHead): boolean {
  for (let i = 0; i < head.count; i++) {
    const start = head.fields[i * 4];
    const end = head.fields[i * 4 + 1];
    if (end - start === 16 && latin1(buf, start, end).toLowerCase() === "content-encoding") {
      return true;
    }
  }
  return false;
}

/** Networks that put a service's tasks on the host's network. */
const HOST_NETWORK_DRIVERS = new Set(["host", "macvlan", "ipvlan"]);

/** Why a service's network attachments reach the host's network, or `null`. */
async function hostNetworkTarget(
  body: Uint8Array,
  scopes: () => ScopeResolver,
): Promise<string | null> {
  for (const { where, target } of serviceNetworkTargets(parseGoJson(body))) {
    let network;
    try {
      network = await scopes().lookup("network", target);
    } catch {
      return `${where} "${target}" cannot be looked up in the engine, and may be the host ` +
        "network: needs ALLOW_HOST_NETWORK=1";
    }
    if (network === null) continue; // the engine refuses it itself
    if (network.name === "host" || HOST_NETWORK_DRIVERS.has(network.driver ?? "")) {
      return `${where} "${target}" is the network ${network.name} (driver ${network.driver}), ` +
        "on the host's network: needs ALLOW_HOST_NETWORK=1";
    }
  }
  return null;
}

/**
 * Whether `admitRequest` has anything to read or decide for `operation`; when
 * not, it forwards the body as it streams, and the pipeline need not call it
 * (most requests: `/_ping`, lists, inspects). Rules on bodies are the
 * decision's (`Decision.bodies`): the pipeline calls it for them too.
 */
export function admissionReads(
  operation: string,
  profile: Profile,
  plan: ScopePlan | null,
): boolean {
  return admissionNeeds(operation, profile.admission) !== "none" ||
    (plan?.label === "body" && (OWNER_FIELDS[operation] ?? null) !== null) ||
    (plan?.bodyContainer ?? false) ||
    (profile.mode === "audit" && Object.hasOwn(BODY_KINDS, operation));
}

/** Reads what must be read and decides; see `AdmissionOutcome`. */
export async function admitRequest(input: AdmissionInput): Promise<AdmissionOutcome> {
  const { client, head, target, profile, operation, plan } = input;
  const admission = profile.admission;
  const audit = profile.mode === "audit";
  const notes: string[] = [];
  const needs = admissionNeeds(operation, admission);
  const label = plan?.label === "body" ? OWNER_FIELDS[operation] ?? null : null;
  const checksBody = plan?.bodyContainer ?? false;
  // What an exec or create asks to run: checked by rules on bodies, and
  // recorded in the access log (for `learn`) when the body is read anyway or
  // in audit mode.
  const bodyKind = Object.hasOwn(BODY_KINDS, operation) ? BODY_KINDS[operation] : null;
  const bodyRules = input.bodyRules ?? null;
  const checksRules = bodyRules !== null && bodyKind !== null;
  // Audit mode records what it can without changing what passes: a body it
  // would read only for the log is read only when its length is known and allowed.
  const recordsOnly = bodyKind !== null && audit && !checksRules && needs !== "body";
  const records = bodyKind !== null &&
    (checksRules || needs === "body" ||
      (recordsOnly && !head.chunked && head.contentLength <= admission.maxBodyBytes));
  if (needs === "none" && label === null && !checksBody && !records) {
    return { kind: "forward", body: null, notes };
  }
  // The head's fields are offsets into the client's buffer, which reading the
  // body reuses: read what is decided on first.
  const contentType = header(client.buf, head, CONTENT_TYPE).toLowerCase();
  const encoded = hasContentEncoding(client.buf, head);
  let body: Uint8Array | null = null;
  if (hasBody(head) && (needs === "body" || label !== null || checksBody || records)) {
    input.body.begin(head);
    if (head.expectContinue) await client.write(CONTINUE_100);
    try {
      body = await input.body.collect(client, admission.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof HttpError)) return { kind: "gone" };
      const message = `Refused by socket-proxy: ${error.message}`;
      return { kind: "refuse", error: new HttpError(error.status, message) };
    }
    if ((needs === "body" || checksRules) && encoded) {
      // The engine reads the bytes as they are; the proxy would check decoded ones.
      return {
        kind: "refuse",
        error: new HttpError(
          400,
          "A request body the proxy checks may not carry a Content-Encoding",
        ),
      };
    }
  }

  // Rules on bodies first: their refusal names the rule and the field.
  let facts: BodyFacts | null = null;
  if (records) {
    try {
      facts = readBodyFacts(bodyKind!, body);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      if (checksRules && !audit) {
        return { kind: "deny", status: error.status, reason: error.message };
      }
      if (checksRules) notes.push(error.message);
    }
  }
  if (checksRules && facts !== null) {
    const failures: string[] = [];
    const allowed = bodyRules!.some((alternative) => {
      const why = alternative.body === null ? null : alternative.body.check(facts!);
      if (why !== null) failures.push(`${alternative.rule} does not allow its body: ${why}`);
      return why === null;
    });
    if (!allowed) {
      const reason = `is not allowed for profile ${JSON.stringify(profile.name)}: ` +
        failures.join("; ");
      if (!audit) return { kind: "deny", status: 403, reason };
      notes.push(reason);
    }
  }

  if (needs !== "none") {
    await prepareAdmission(operation);
    const query = parseQuery(target.query);
    const verdict = admit({
      operation,
      query: isQueryError(query) ? new Map() : query,
      body,
      contentType,
    }, admission);
    if (!verdict.allowed && audit) notes.push(verdict.reason);
    else if (!verdict.allowed) {
      const where = profile.file === null ? "" : ` (profile ${JSON.stringify(profile.name)})`;
      return {
        kind: "deny",
        status: verdict.status,
        reason: verdict.reason,
        message: `${verdict.status === 400 ? "Refused" : "Forbidden"} by socket-proxy: ` +
          verdict.reason + where,
      };
    }
  }

  // A service may name the host network by its ID: the engine says what each target is.
  if (
    needs === "body" && body !== null && !admission.hostNetwork &&
    (operation === "ServiceCreate" || operation === "ServiceUpdate")
  ) {
    const refusal = await hostNetworkTarget(body, input.scopes);
    if (refusal !== null && !audit) return { kind: "deny", status: 403, reason: refusal };
    if (refusal !== null) notes.push(refusal);
  }

  if (label !== null && profile.scope.owner !== null) {
    try {
      body = labelBody(body ?? new Uint8Array(0), label, profile.scope.owner);
    } catch (error) {
      if (!(error instanceof OwnerLabelError)) throw error;
      if (!audit) return { kind: "deny", status: error.status, reason: error.message };
      notes.push(error.message);
    }
  }

  if (checksBody && body !== null) {
    const name = bodyContainer(body);
    if (name !== null) {
      const found = await input.scopes().lookup("container", name).catch(() => null);
      if (found === null || !containerVisible(profile.scope, found.name, found.labels)) {
        if (!audit) return { kind: "deny", status: 404, reason: notFound("container", name) };
        notes.push(notFound("container", name));
      }
    }
  }
  return { kind: "forward", body, notes, facts };
}
