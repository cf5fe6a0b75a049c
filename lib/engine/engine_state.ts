/**
 * What the watchdog concludes from its probes: whether the engine is up, why
 * not, since when, and the one log line each change of state deserves (not one
 * per probe, nor per request). Pure: `engine_watchdog.ts` probes and keeps the
 * state, this decides.
 */

/** One probe: the engine answered an API call in time, or why not. */
export interface ProbeResult {
  readonly ok: boolean;
  /** Why not (empty when it answered). */
  readonly detail: string;
  /** Nothing listens on the socket: a request fails at once anyway, no need to fail it early. */
  readonly unreachable?: boolean;
}

export interface EngineState {
  /** `null` until the first probe has answered. */
  readonly up: boolean | null;
  /** Why it is down (empty while up). */
  readonly reason: string;
  /** When the state began (ms since the epoch). */
  readonly since: number;
  /**
   * Down, and a request would wait on an engine that accepts connections and
   * does not answer: clients are answered 502 at once instead. (An engine that
   * is not there refuses connections at once: requests go on, and the first
   * after it comes back succeeds without waiting for the next probe.)
   */
  readonly failFast: boolean;
}

/** A line for the log when the state changes. */
export interface Transition {
  readonly level: "warning" | "notice";
  readonly message: string;
}

export const UNKNOWN: EngineState = Object.freeze({
  up: null,
  reason: "",
  since: 0,
  failFast: false,
});

/** The API call the watchdog makes, as the messages name it. */
export const PROBE_CALL = "GET /version";

/**
 * The verdict on a probe's answer: `statusLine` is what the engine sent first
 * (`HTTP/1.1 200 OK`), or "" when it sent nothing. Any answer below 500 is an
 * engine at work (a proxy in front of it may refuse `/version` with a 403);
 * a 5xx is an engine that cannot serve.
 */
export function probeVerdict(statusLine: string): ProbeResult {
  const match = /^HTTP\/1\.[01] ([0-9]{3})/.exec(statusLine);
  if (match === null) {
    return {
      ok: false,
      detail: statusLine === ""
        ? `the engine closed the connection without answering ${PROBE_CALL}`
        : `the engine answered ${PROBE_CALL} with something other than HTTP`,
    };
  }
  const status = Number(match[1]);
  if (status < 500) return { ok: true, detail: "" };
  return { ok: false, detail: `the engine answered ${PROBE_CALL} with ${status}` };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/** The state after `result` at `now`, and the line to log when it changed. */
export function nextEngineState(
  state: EngineState,
  result: ProbeResult,
  now: number,
  socketPath: string,
): { state: EngineState; log: Transition | null } {
  if (result.ok) {
    if (state.up === true) return { state, log: null };
    const next = { up: true, reason: "", since: now, failFast: false };
    if (state.up === null) return { state: next, log: null };
    return {
      state: next,
      log: {
        level: "notice",
        message: `Docker engine at unix://${socketPath} answers again, after ` +
          `${seconds(now - state.since)} down: forwarding requests again`,
      },
    };
  }
  if (state.up === false) {
    // Still down: the reason may change, the log line is not repeated.
    return {
      state: {
        up: false,
        reason: result.detail,
        since: state.since,
        failFast: !result.unreachable,
      },
      log: null,
    };
  }
  return {
    state: { up: false, reason: result.detail, since: now, failFast: !result.unreachable },
    log: {
      level: "warning",
      message: `Docker engine not reachable at unix://${socketPath}: ${result.detail} ` +
        (result.unreachable
          ? "(answering 502 until it answers)"
          : "(answering 502 at once until it answers again)"),
    },
  };
}

/** What `/readyz` and `healthcheck --ready` say. */
export interface Readiness {
  readonly ready: boolean;
  readonly detail: string;
}

/** Readiness from the state. */
export function readiness(state: EngineState): Readiness {
  if (state.up === true) return { ready: true, detail: `the engine answers ${PROBE_CALL}` };
  if (state.up === null) return { ready: false, detail: "the engine has not been asked yet" };
  return { ready: false, detail: state.reason };
}
