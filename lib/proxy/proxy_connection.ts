/**
 * One client connection, request by request. The whole pipeline reads top to
 * bottom in `#exchange`:
 *
 *   read the head (strict HTTP/1.1, limits, timeouts)
 *   -> the client's profile (by listener, address or client container)
 *   -> canonical target and Engine API route (or 400, or 403)
 *   -> the profile's decision: switches, rules, query constraints (or 403;
 *      in audit mode forwarded and logged as would-deny)
 *   -> forward the canonical request and its re-framed body to the engine
 *   -> relay the response, or turn the connection into a tunnel once the
 *      engine has switched protocols.
 *
 * Every denial goes through `#deny`, every malformed request through
 * `#refuse`. Each request on a keep-alive or pipelined connection is decided
 * on its own, and the engine is only ever sent bytes the proxy wrote itself.
 *
 * `lib/proxy/`: one client connection, the pipeline in this file and its stages beside it. It
 * calls the policy, admission and scoping; it imports everything below `lib/server/`.
 */
import type { AdmissionOutcome } from "./admission_stage.ts";
import type { BufferedConn } from "../http/buffered_conn.ts";
import { BufferedConn as Conn } from "../http/buffered_conn.ts";
import { engineHealth, HEALTHCHECK_HEADER } from "../engine/engine_health.ts";
import { writeFraming, writeRequestFields } from "../http/forward_head.ts";
import { Forwarder, type ForwardHost } from "./forwarder.ts";
import { HeadScanner, HttpError, parseRequestHead, type RequestHead } from "../http/http_head.ts";
import { Http10Relay } from "../http/http10_relay.ts";
import { parseAddress } from "../policy/cidr.ts";
import {
  type ClientContainer,
  identifiesClients,
  type Profile,
  selectProfile,
} from "../policy/profile.ts";
import { admits, optional } from "./optional_modules.ts";
import { hasBody } from "./request_body.ts";
import type { RequestTarget } from "../http/request_target.ts";
import type { ActivePolicy, RouteCache } from "./route_cache.ts";
import { CONTINUE_100, errorResponse, plainResponse } from "../http/responses.ts";
import type { FloorPlan } from "../routes/api_versions.ts";
import { isScoped } from "../policy/scope.ts";
import type { ScopeResult } from "./scope_stage.ts";
import { after } from "../timer.ts";
import { deadlineMs, type EngineDeadline } from "./engine_deadline.ts";
import { type LogRequest, writeAccessLine } from "./access_log.ts";
import { describePeer, fieldText, isFormBody } from "./request_facts.ts";
import { probeEngine, type Readiness, WATCHDOG_DEFAULTS } from "../engine/engine_watchdog.ts";
import { limitClient } from "./client_limits_stage.ts";
import { clientKey } from "../limits/client_key.ts";
import { refusesSelf } from "./self_protection_stage.ts";
import type { Pass } from "../limits/client_limiter.ts";
import type { Phase, ProxyContext } from "./proxy_context.ts";
import type { BodyFacts } from "../policy/body_fields.ts";

const CLIENT_BUFFER = 4 * 1024;
const LINGER_MS = 1000;
const LINGER_BYTES = 1 << 20;
const encoder = new TextEncoder();
/** Admission's answer for a profile it has nothing to check for: the body streams as it comes. */
const STREAMED: AdmissionOutcome = { kind: "forward", body: null, notes: [] };
/** `#readHead`: the head is not buffered whole yet; it is malformed. */
const MORE = -2;
const MALFORMED = -3;

/** Readiness: the watchdog's verdict, or without one a probe now. */
export async function engineReadiness(ctx: ProxyContext): Promise<Readiness> {
  if (ctx.engine != null) return await ctx.engine.ready();
  const result = await probeEngine(ctx.pool, WATCHDOG_DEFAULTS.probeTimeoutMs);
  return result.ok
    ? { ready: true, detail: "the engine answers GET /version" }
    : { ready: false, detail: result.detail };
}

type FloorRewrite = Extract<FloorPlan, { kind: "rewrite" }>;
type AnswerRewrite = ((answer: unknown) => unknown) | null;

/** The version floor's answer translation, then the scope's rewrite (either may be absent). */
function composeRewrites(first: AnswerRewrite, second: AnswerRewrite): AnswerRewrite {
  if (first === null) return second;
  if (second === null) return first;
  return (answer) => second(first(answer));
}

function shorten(text: string): string {
  return text.length > 200 ? text.slice(0, 200) + "..." : text;
}

/**
 * What the forwarder sees of its connection. A class, because V8 keeps an
 * object literal with a getter and setter as a dictionary, and the forwarder
 * reads this several times per request.
 */
class Host implements ForwardHost {
  declare readonly client: BufferedConn;
  declare readonly ctx: ProxyContext;
  declare readonly peer: string;
  declare readonly closing: () => boolean;
  declare readonly close: () => void;
  declare readonly answerAndClose: (bytes: Uint8Array) => Promise<void>;
  declare readonly refuse: ForwardHost["refuse"];
  declare readonly log: LogRequest;
  declare readonly engineTimedOut: () => string;
  #connection: ClientConnection;

  constructor(connection: ClientConnection, members: Omit<ForwardHost, "phase">) {
    this.#connection = connection;
    Object.assign(this, members);
  }

  get phase(): Phase {
    return this.#connection.phase;
  }

  set phase(phase: Phase) {
    this.#connection.phase = phase;
  }
}

export class ClientConnection {
  readonly client: BufferedConn;
  readonly peer: string;
  readonly local: boolean;
  /** The listener it came in on, as `LISTEN` writes it. */
  readonly listener: string;
  phase: Phase = "idle";
  /** When an idle or partial head expires (ms since epoch), 0 for never. */
  deadline = 0;
  #ctx: ProxyContext;
  #host: string | null;
  #scanner = new HeadScanner();
  #fwd: Forwarder;
  /** Reused for every request head on this connection. */
  #head: RequestHead | undefined;
  #closeAfter = false;
  // The profile, chosen for the policy in force when the connection's last
  // request began, and what the current request was decided as.
  #active: ActivePolicy | null = null;
  #routes: RouteCache | null = null;
  #container: ClientContainer | null = null;
  /** Who the client is for the per-client limits (`clientKey`), with its container once known. */
  #clientKey = "";
  #operation: string | null = null;
  /** `allowed`, or `would-deny` in audit mode. */
  #verdict = "allowed";
  #note: string | undefined = undefined;
  /** Why the request head could not be read (`#readHead`'s `MALFORMED`). */
  #headError: HttpError | null = null;
  /** What the request's body asks to run, for the access log (`learn`). */
  #facts: BodyFacts | null = null;
  /** What the version floor did to the request in flight, for its log line. */
  #floorNotes: string[] = [];
  /** The per-client limits' pass for the request in flight, given back when it ends. */
  #pass: Pass | null = null;

  constructor(conn: Deno.Conn, ctx: ProxyContext, listener = "") {
    this.client = new Conn(conn, CLIENT_BUFFER);
    const { peer, local, host } = describePeer(conn.remoteAddr);
    this.peer = peer;
    this.local = local;
    this.#host = host;
    this.listener = listener;
    this.#ctx = ctx;
    this.#fwd = new Forwarder(
      new Host(this, {
        client: this.client,
        ctx,
        peer,
        closing: () => this.#closing(),
        close: () => this.close(),
        answerAndClose: (bytes) => this.#answerAndClose(bytes),
        refuse: (error, head, started) => this.#refuse(error, head, started),
        log: this.#log, // bound already: no rest array per call
        engineTimedOut: () => this.#engineTimedOut(),
      }),
    );
  }

  /** The request in flight's target and deadline, for a 504's message. */
  #target: RequestTarget | null = null;
  #deadline: EngineDeadline | null = null;

  /** The profile of the request in flight (or of the last one). */
  get profile(): Profile | null {
    return this.#routes?.profile ?? null;
  }

  /** Serves requests until the connection ends; never throws. */
  async serve(): Promise<void> {
    try {
      while (await this.#exchange()) {
        this.#endPass(); // the next request on the same connection
      }
    } catch (error) {
      this.#ctx.logger.debug("Connection ended", { client: this.peer, error: String(error) });
    } finally {
      this.#endPass();
      this.close();
    }
  }

  /** Shutdown: idle connections, streams and tunnels close now, requests finish first. */
  shutdown(): void {
    if (this.phase === "request") this.#closeAfter = true;
    else this.close();
  }

  /** Closes the connection if its idle or header timeout has passed; times out the engine. */
  expire(now: number): void {
    if (this.phase === "request") {
      const due = this.#fwd.engineDeadline;
      if (due !== 0 && now >= due) this.#fwd.expireEngine();
      return;
    }
    if ((this.phase !== "idle" && this.phase !== "head") || this.deadline === 0) return;
    if (now < this.deadline) return;
    if (this.phase === "head") {
      this.#log("warning", "-", "-", "rejected", 408, 0, performance.now(), "Request head timeout");
      this.client.write(errorResponse(408, "Request head timeout", { close: true }))
        .catch(() => {})
        .finally(() => this.close());
      this.phase = "closed";
      return;
    }
    this.close();
  }

  close(): void {
    if (this.phase === "closed" && this.client.closed) return;
    this.phase = "closed";
    this.client.close();
    this.#fwd.close();
  }

  // --- The pipeline -------------------------------------------------------

  async #exchange(): Promise<boolean> {
    const ctx = this.#ctx;
    const client = this.client;

    // 1. Read the request head.
    let headEnd = this.#readHead(null);
    while (headEnd === MORE) headEnd = this.#readHead(await client.fill());
    if (headEnd === MALFORMED) await this.#refuse(this.#headError!, null, performance.now());
    if (headEnd < 0) return false;
    const started = performance.now();
    // An HTTP/1.0 request is answered in HTTP/1.0, whatever the answer.
    client.output = Http10Relay.select(client.buf, client.start, headEnd, client.output);

    // 2. Parse it strictly.
    let head: RequestHead;
    try {
      head = parseRequestHead(client.buf, client.start, headEnd, this.#head);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      await this.#refuse(error, null, started);
      return false;
    }
    this.#head = head;
    this.phase = "request";
    this.deadline = 0;
    this.#operation = null;
    this.#verdict = "allowed";
    this.#note = undefined;
    this.#facts = null;
    this.#floorNotes = [];

    // 3. The client's profile: once per connection, again after a reload.
    const routes = ctx.active === this.#active ? this.#routes! : await this.#chooseProfile();

    // 4. The canonical target (what is checked is what is forwarded), the
    // Engine API route it names, and the profile's decision on it.
    const route = routes.route(head.method, head.target, head.upgrade !== "");
    client.start = headEnd; // the head's fields stay readable until the body is read
    if (route.error !== null) {
      await this.#refuse(new HttpError(400, route.error), head, started);
      return false;
    }
    const target = route.target!;

    // The proxy's own health check, for local clients only.
    if (
      this.local && target.path === "/_ping" &&
      (head.method === "GET" || head.method === "HEAD") && !hasBody(head)
    ) {
      const health = fieldText(client.buf, head, HEALTHCHECK_HEADER);
      if (health !== null) return await this.#healthcheck(head, started, health === "ready");
    }

    const decision = route.decision!;
    this.#operation = decision.operation;
    if (!decision.forward) {
      return await this.#deny(head, target, decision.status, decision.reason, started);
    }
    if (decision.readsQuery && isFormBody(client.buf, head)) {
      return await this.#deny(
        head,
        target,
        403,
        "with a form body, whose fields the engine would read as query parameters the policy " +
          "checked: send no form body",
        started,
      );
    }
    if (decision.denied) this.#wouldDeny(decision.reason);
    const profile = routes.profile;

    // 4b. API_VERSION_FLOOR: an older Docker API version is sent as the
    // floor, translated where that is exact, refused where it is not.
    let floor = ctx.versionFloor && !decision.operation!.startsWith("Libpod")
      ? optional.versionFloor.floorPlan(decision.operation!, target.version, ctx.versionFloor)
      : null;
    if (floor?.kind === "refuse" && profile.mode === "audit") {
      this.#wouldDeny(floor.reason);
      floor = null;
    } else if (floor?.kind === "refuse") {
      return await this.#deny(head, target, 403, floor.reason, started);
    }
    const rewrite = floor?.kind === "rewrite" ? floor : null;

    // While the watchdog finds the engine wedged, the answer is the engine's
    // 502 at once, rather than a wait on an engine that does not answer.
    const engine = ctx.engine;
    if (engine != null && engine.failFast) {
      const message = this.#fwd.cannotConnect(engine.reason);
      return await this.#fwd.badGateway(head, route.forward, started, message);
    }

    // The proxy's own container (PROTECT_SELF), once it is known.
    if (ctx.self !== null) {
      const reason = await refusesSelf(
        ctx,
        ctx.self,
        routes.profile,
        decision.operation,
        route.match!,
      );
      if (reason !== null && routes.profile.mode === "audit") this.#wouldDeny(reason);
      else if (reason !== null) return await this.#deny(head, target, 403, reason, started);
    }

    // 5. Scope: the object a request names is looked up in the engine and
    // checked against the profile's scope and its rules on target labels;
    // what the profile may not see is answered as the engine answers for
    // what does not exist. (`optional.scoping` is loaded with a policy that
    // has a scope or rules on target labels.)
    let forward = route.forward;
    let requestLine = route.requestLine!;
    const plan = isScoped(profile.scope)
      ? optional.scoping.scopePlan(profile.scope, route.match!)
      : null;
    let scoped: ScopeResult | null = null;
    if ((plan !== null && !optional.scoping.isNothing(plan)) || decision.targets !== null) {
      try {
        scoped = await optional.scoping.applyScope(
          ctx.scopes(),
          profile,
          plan,
          decision.targets,
          route.match!,
          target,
        );
      } catch (error) {
        return await this.#fwd.lookupFailed(head, forward, started, error, this.#operation);
      }
      if (scoped.answer !== null && profile.mode === "audit") {
        this.#wouldDeny(scoped.answer.reason);
        scoped = null;
      } else if (scoped.answer !== null) {
        return await this.#deny(head, target, scoped.answer.status, scoped.answer.reason, started);
      }
      const narrowsQuery = plan !== null &&
        (plan.labelFilters !== null || plan.queryContainer !== null ||
          plan.label === "labels-query");
      if (scoped !== null && narrowsQuery && isFormBody(client.buf, head)) {
        return await this.#deny(
          head,
          target,
          403,
          "with a form body, whose fields the engine would read as the query parameters the " +
            "profile's scope narrows: send no form body",
          started,
        );
      }
      if (scoped !== null && scoped.forward !== null) {
        forward = scoped.forward;
        requestLine = encoder.encode(`${head.method} ${forward} HTTP/1.1\r\nHost: docker\r\n`);
      }
    }

    if (rewrite !== null) {
      const rewritten = optional.versionFloor.rewriteTarget(forward, rewrite);
      if ("refuse" in rewritten) {
        return await this.#deny(head, target, 403, rewritten.refuse, started);
      }
      forward = rewritten.target;
      requestLine = encoder.encode(`${head.method} ${forward} HTTP/1.1\r\nHost: docker\r\n`);
      this.#floorNotes = rewritten.notes;
    }

    // 6. Admission: a body that could ask for host access is read whole (as
    // is one the scope labels or checks) and decided on; what is forwarded is
    // exactly what was checked. A profile with HOST_ACCESS=1 and no scope
    // has nothing to check (`optional.admission` is loaded with one that has).
    const out = this.#fwd.out;
    out.reset();
    writeRequestFields(out, client.buf, head, { target: forward, requestLine, upgrade: true });
    const admitted = admits(profile) &&
        (decision.bodies !== null ||
          optional.admission.admissionReads(decision.operation!, profile, plan))
      ? await optional.admission.admitRequest({
        client,
        body: this.#fwd.body,
        head,
        target,
        profile,
        operation: decision.operation!,
        plan,
        scopes: ctx.scopes,
        // Rules on bodies whose target (if any) the container carries.
        bodyRules: decision.bodies?.filter((alternative) =>
          scoped?.matched === undefined || scoped.matched.includes(alternative.target!)
        ) ?? null,
      })
      : STREAMED;
    if (admitted.kind === "gone") return false;
    if (admitted.kind === "refuse") {
      await this.#refuse(admitted.error, head, started);
      return false;
    }
    if (admitted.kind === "deny") {
      const { status, reason, message } = admitted;
      return await this.#deny(head, target, status, reason, started, { message });
    }
    for (const note of admitted.notes) this.#wouldDeny(note);
    this.#facts = admitted.facts ?? null;
    let body = admitted.body;
    if (rewrite !== null && optional.versionFloor.readsBody(rewrite) && hasBody(head)) {
      const floored = await this.#floorBody(head, profile, decision.operation!, body, rewrite);
      if (floored.kind === "gone") return false;
      if (floored.kind === "refuse") {
        await this.#refuse(floored.error, head, started);
        return false;
      }
      if (floored.kind === "deny") {
        return await this.#deny(head, target, 403, floored.reason, started);
      }
      body = floored.body;
    }
    if (rewrite !== null) this.#logFloor(decision.operation!, target);
    writeFraming(
      out,
      head,
      true,
      body !== null ? body.length : head.chunked ? -2 : head.contentLength,
    );
    if (body !== null) out.bytes(body);

    // Per-client limits (never on `/_ping`): a client over its limit or its
    // share of the engine waits for its turn, or is answered 429. Last before
    // forwarding: the head is in `out`, so waiting may read ahead from the client.
    if (ctx.limiter !== null && target.path !== "/_ping") {
      const pass = await limitClient(ctx.limiter, ctx.metrics, {
        client,
        key: this.#clientKey,
        profile: routes.profile,
        stream: route.deadline!.kind === "exempt",
        http10: head.http10,
        onLeave: () => this.close(),
      });
      if (pass === null) return false;
      if (!("done" in pass) && routes.profile.mode === "audit") this.#wouldDeny(pass.message);
      else if (!("done" in pass)) {
        const { message, retryAfter } = pass;
        return await this.#deny(head, target, 429, message, started, { message, retryAfter });
      } else this.#pass = pass;
    }

    // 7. Forward, and relay the answer (rewritten or filtered for a scoped client),
    // within the time the engine gets to begin it.
    const scope = profile.scope;
    const timeoutMs = profile.engineTimeoutMs ?? ctx.limits.engineTimeoutMs;
    this.#deadline = route.deadline;
    this.#target = target;
    return await this.#fwd.forward(head, forward, started, {
      oneWay: decision.oneWay,
      bodyInOut: body !== null,
      rewrite: composeRewrites(
        rewrite !== null ? optional.versionFloor.floorAnswer(rewrite, decision.operation!) : null,
        scoped?.rewrite
          ? (answer) =>
            optional.scoping.rewriteAnswer(scoped!.rewrite!, scope, answer, scoped!.visibleIds)
          : null,
      ),
      events: scoped?.events ? new optional.scoping.EventFilter(scope) : null,
      deadlineMs: deadlineMs(route.deadline!, timeoutMs),
    });
  }

  /** The 504's message (and its count): the request, the deadline it missed, what would allow it. */
  #engineTimedOut(): string {
    const ctx = this.#ctx;
    ctx.metrics?.engineTimeout(this.#operation);
    const profile = this.#routes?.profile ?? null;
    const own = profile?.engineTimeoutMs !== undefined && profile.engineTimeoutMs !== null;
    const setting = own
      ? `ENGINE_TIMEOUT of profile ${JSON.stringify(profile!.name)}`
      : "ENGINE_TIMEOUT";
    const timeoutMs = own ? profile!.engineTimeoutMs! : ctx.limits.engineTimeoutMs;
    const extraMs = this.#deadline?.kind === "finite" ? this.#deadline.extraMs : 0;
    const asked = extraMs > 0 ? ` plus the ${extraMs / 1000}s the request asked for` : "";
    const operation = this.#operation === null ? "" : ` (${this.#operation})`;
    const request = `${this.#head?.method} ${this.#target?.path}`;
    return `The Docker engine did not begin answering ${request}${operation} within ` +
      `${setting} (${timeoutMs / 1000}s${asked}): socket-proxy closed its connection to the ` +
      `engine. Raise ${setting} (0: no deadline) if the engine is only slow`;
  }

  /**
   * The version floor's body check and translation: the body admission read,
   * or read here whole (under the profile's MAX_BODY_SIZE).
   */
  async #floorBody(
    head: RequestHead,
    profile: Profile,
    operation: string,
    read: Uint8Array | null,
    rewrite: FloorRewrite,
  ): Promise<
    | { kind: "forward"; body: Uint8Array }
    | { kind: "deny"; reason: string }
    | { kind: "refuse"; error: HttpError }
    | { kind: "gone" }
  > {
    let body = read;
    if (body === null) {
      this.#fwd.body.begin(head);
      if (head.expectContinue) await this.client.write(CONTINUE_100);
      try {
        body = await this.#fwd.body.collect(this.client, profile.admission.maxBodyBytes);
      } catch (error) {
        if (!(error instanceof HttpError)) return { kind: "gone" };
        const message = `Refused by socket-proxy: ${error.message}`;
        return { kind: "refuse", error: new HttpError(error.status, message) };
      }
    }
    const outcome = optional.versionFloor.floorBody(body, rewrite, operation);
    if (outcome.kind === "refuse") return { kind: "deny", reason: outcome.reason };
    this.#floorNotes.push(...outcome.notes);
    return { kind: "forward", body: outcome.body ?? body };
  }

  /** Logs what the version floor did to the request in flight. */
  #logFloor(operation: string, target: RequestTarget): void {
    this.#ctx.logger.info("API_VERSION_FLOOR rewrite", {
      operation,
      path: target.path,
      rewrite: this.#floorNotes.join("; "),
    });
    this.#floorNotes = [];
  }

  /** Audit mode: the request goes on, and its log line says what would have refused it. */
  #wouldDeny(reason: string): void {
    this.#verdict = "would-deny";
    this.#note = this.#note === undefined ? reason : `${this.#note}; ${reason}`;
  }

  /**
   * Reads the request head a step at a time; the caller awaits `client.fill()`
   * between steps (an async function here would cost a frame per request).
   * `filled` is what the last fill resolved, `null` for the first step.
   * Returns the head's end once it is buffered whole, `MORE`, `MALFORMED`
   * (`#headError` says why), or -1 when the connection ends.
   */
  #readHead(filled: boolean | null): number {
    const ctx = this.#ctx;
    const client = this.client;
    const limits = ctx.limits;
    if (filled === null) {
      client.shrink();
      this.phase = "idle";
      this.deadline = limits.idleTimeoutMs > 0 ? Date.now() + limits.idleTimeoutMs : 0;
      this.#scanner.reset(client.start);
    } else if (!filled) return -1;
    try {
      const headEnd = this.#scanner.scan(client.buf, client.end, limits);
      if (headEnd >= 0) return (this.phase as Phase) === "closed" ? -1 : headEnd;
      if (this.#closeAfter || ctx.shuttingDown) return -1;
      if (this.phase === "idle" && this.#scanner.started) {
        this.phase = "head";
        this.deadline = limits.headerTimeoutMs > 0 ? Date.now() + limits.headerTimeoutMs : 0;
      }
      if (client.end === client.buf.length && client.start > 0) {
        this.#scanner.shift(client.compact());
      }
      return MORE;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      this.#headError = error;
      return MALFORMED;
    }
  }

  /**
   * Chooses the profile for the policy in force: by listener, address and,
   * when some profile needs it, the client container the engine reports.
   */
  async #chooseProfile(): Promise<RouteCache> {
    const active = this.#ctx.active;
    const policy = active.policy;
    let container: ClientContainer | null | undefined = undefined;
    if (identifiesClients(policy) && this.#host !== null && this.#ctx.clients !== null) {
      container = await this.#ctx.clients.lookup(this.#host);
    }
    this.#container = container ?? null;
    this.#clientKey = clientKey({
      container: this.#container,
      host: this.#host,
      listener: this.listener,
    });
    const profile = selectProfile(policy, {
      listener: this.listener,
      address: this.#host === null ? null : parseAddress(this.#host),
      container,
    });
    this.#active = active;
    this.#routes = active.routes(profile);
    return this.#routes;
  }

  /** Answers a malformed request and closes the connection. */
  async #refuse(error: HttpError, head: RequestHead | null, started: number): Promise<void> {
    this.#log(
      "warning",
      head?.method ?? "-",
      head === null ? "-" : shorten(head.target),
      "rejected",
      error.status,
      0,
      started,
      error.message,
    );
    await this.#answerAndClose(
      errorResponse(error.status, error.message, { close: true, head: head?.method === "HEAD" }),
    );
  }

  /**
   * Every denial goes through here: 403 (400 for a query the engine would read
   * ambiguously) with Docker's error body, naming the request, its operation
   * and what would allow it.
   */
  async #deny(
    head: RequestHead,
    target: RequestTarget,
    status: number,
    reason: string,
    started: number,
    options: { message?: string; retryAfter?: number } = {},
  ): Promise<boolean> {
    const operation = this.#operation === null ? "" : ` (${this.#operation})`;
    // A 404 is the engine's own answer for what does not exist (or is out of scope).
    const message = options.message ??
      (status === 404
        ? reason
        : status === 400
        ? `Refused by socket-proxy: ${head.method} ${target.path}${operation}: ${reason}`
        : `Forbidden by socket-proxy: ${head.method} ${target.path}${operation} ${reason}`);
    // A body the proxy will not read leaves the connection out of step: close it.
    const close = hasBody(head) || head.close || this.#closing();
    const bytes = errorResponse(status, message, {
      close,
      head: head.method === "HEAD",
      retryAfter: options.retryAfter,
    });
    this.#log(
      "warning",
      head.method,
      target.path + target.query,
      "denied",
      status,
      bytes.length,
      started,
      reason,
    );
    if (close) {
      await this.#answerAndClose(bytes);
      return false;
    }
    await this.client.write(bytes);
    return true;
  }

  #endPass(): void {
    this.#pass?.done();
    this.#pass = null;
  }

  #closing(): boolean {
    return this.#closeAfter || this.#ctx.shuttingDown;
  }

  /**
   * Writes a final answer, then closes gracefully: the write half first, then
   * what the client still sends is read and dropped for a moment, so that the
   * answer is not lost to a reset.
   */
  async #answerAndClose(bytes: Uint8Array): Promise<void> {
    const client = this.client;
    this.phase = "closed";
    try {
      await client.write(bytes);
    } catch {
      return;
    }
    client.closeWrite();
    const cancel = after(LINGER_MS, () => client.close());
    try {
      let dropped = 0;
      while (dropped < LINGER_BYTES) {
        dropped += client.available;
        client.start = client.end;
        client.reset();
        if (!(await client.fill())) break;
      }
    } finally {
      cancel();
    }
  }

  /**
   * Answers the `healthcheck` command: 200 when the engine answers `/_ping`,
   * 503 when not; with `ready` (`healthcheck --ready`), the proxy's readiness.
   */
  async #healthcheck(head: RequestHead, started: number, ready: boolean): Promise<boolean> {
    const { healthy, detail } = ready
      ? await engineReadiness(this.#ctx).then((r) => ({ healthy: r.ready, detail: r.detail }))
      : await engineHealth(this.#ctx.pool);
    const options = { head: head.method === "HEAD", close: head.close };
    const bytes = healthy
      ? plainResponse(200, "OK", options)
      : errorResponse(503, `Docker engine unavailable: ${detail}`, options);
    const status = healthy ? 200 : 503;
    this.#log("debug", head.method, "/_ping", "healthcheck", status, bytes.length, started, detail);
    await this.client.write(bytes);
    return !head.close;
  }

  /** One access log line (and the metrics' count): the request, what was decided, and who asked. */
  #log: LogRequest = (level, method, target, decision, status, bytes, started, reason) => {
    if (decision === "allowed" && this.#verdict !== "allowed") {
      decision = this.#verdict;
      reason = reason === undefined ? this.#note : `${this.#note}; ${reason}`;
      if (level === "info") level = "warning";
    }
    const metrics = this.#ctx.metrics;
    const profile = this.#routes?.profile ?? null;
    if (metrics !== null) {
      const answered = this.#fwd.answered >= started ? this.#fwd.answered : performance.now();
      this.#fwd.answered = 0;
      metrics.request(
        decision,
        status,
        profile?.name ?? "default",
        this.#operation,
        (answered - started) / 1000,
      );
    }
    writeAccessLine(this.#ctx.logger, level, {
      peer: this.peer,
      container: this.#container?.name,
      listener: this.listener,
      profile,
      operation: this.#operation,
      method,
      target,
      decision,
      status,
      bytes,
      ms: Math.round((performance.now() - started) * 10) / 10,
      reason,
      body: this.#facts,
    });
  };
}
