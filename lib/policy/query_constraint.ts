/**
 * Query constraints of a rule: `ContainerKill` only with `signal` in
 * `[SIGHUP, SIGUSR1]`, `ContainerLogs` only without `follow`, `ImageCreate`
 * only with `fromImage` matching `ghcr.io/acme/*`.
 *
 * Written in the policy file as a map from parameter to what it may be:
 *   `false` / `true`   a boolean, read as the engine reads it (absent is false)
 *   `null`             absent
 *   `"text"`           equal to the text, or matching it as a glob (`*`, `**`)
 *   `[a, b, ...]`      any of those texts or globs
 * A constrained parameter given more than once is refused: engines and
 * handlers disagree on which value counts.
 */
import { compileGlob, type Glob } from "./glob.ts";
import { goBoolean, type QueryParams } from "./query_params.ts";

export type ConstraintSpec = boolean | null | string | readonly string[];

export interface QueryConstraint {
  readonly name: string;
  /** For messages: `signal in [SIGHUP, SIGUSR1]`, `without follow`. */
  readonly text: string;
  /** Why `params` fail the constraint, or `null` when they pass. */
  check(params: QueryParams): string | null;
  /** The constraint makes this boolean parameter false (such as `stdin`). */
  readonly forcesFalse: boolean;
}

/** Linux signal numbers, as moby's `signal.SignalMap` names them. */
const SIGNALS: Readonly<Record<string, number>> = {
  ABRT: 6,
  ALRM: 14,
  BUS: 7,
  CHLD: 17,
  CLD: 17,
  CONT: 18,
  FPE: 8,
  HUP: 1,
  ILL: 4,
  INT: 2,
  IO: 29,
  IOT: 6,
  KILL: 9,
  PIPE: 13,
  POLL: 29,
  PROF: 27,
  PWR: 30,
  QUIT: 3,
  SEGV: 11,
  STKFLT: 16,
  STOP: 19,
  SYS: 31,
  TERM: 15,
  TRAP: 5,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  USR1: 10,
  USR2: 12,
  VTALRM: 26,
  WINCH: 28,
  XCPU: 24,
  XFSZ: 25,
  RTMIN: 34,
  RTMAX: 64,
}; // deno-fmt-ignore

/**
 * A signal as the engine parses it (`strconv.Atoi`, else the name upper-cased
 * without `SIG`), as its number; `null` when the engine would refuse it.
 */
export function signalNumber(text: string): number | null {
  if (/^[+-]?[0-9]+$/.test(text)) {
    const number = Number(text);
    return number > 0 && number <= 64 ? number : null;
  }
  const name = text.toUpperCase().replace(/^SIG/, "");
  const plus = /^RTMIN\+([0-9]+)$/.exec(name) ?? /^RTMAX-([0-9]+)$/.exec(name);
  if (plus !== null) {
    const number = name.startsWith("RTMIN") ? 34 + Number(plus[1]) : 64 - Number(plus[1]);
    return number >= 34 && number <= 64 ? number : null;
  }
  return Object.hasOwn(SIGNALS, name) ? SIGNALS[name] : null;
}

function single(params: QueryParams, name: string): string | undefined | null {
  const values = params.get(name);
  if (values === undefined) return undefined;
  return values.length === 1 ? values[0] : null;
}

function show(value: string): string {
  return JSON.stringify(value.length > 80 ? value.slice(0, 80) + "..." : value);
}

/**
 * Compiles the constraint on parameter `name`. `type` is the parameter's type
 * in the Engine API (`boolean`, `string`, ...); `trueByDefault`: a boolean the
 * engine reads as true when it is absent (`stream` of stats). Throws `Error`
 * with what would be valid.
 */
export function compileConstraint(
  name: string,
  spec: ConstraintSpec,
  type: string,
  trueByDefault = false,
): QueryConstraint {
  const repeated = `${name} is given more than once`;
  if (spec === null) {
    return {
      name,
      text: `without ${name}`,
      forcesFalse: type === "boolean",
      check: (params) => params.has(name) ? `${name} is given` : null,
    };
  }
  if (typeof spec === "boolean") {
    if (type !== "boolean") {
      throw new Error(`${name} is a ${type} parameter: give a text or a list, not ${spec}`);
    }
    return {
      name,
      text: spec ? `with ${name}=1` : trueByDefault ? `with ${name}=0` : `without ${name}`,
      forcesFalse: !spec,
      check: (params) => {
        const given = params.get(name);
        const value = given === undefined ? trueByDefault : goBoolean(given);
        if (value === spec) return null;
        if (value === null) {
          return params.get(name)!.length > 1
            ? repeated
            : `${name}=${show(params.get(name)![0])} is not clearly true or false`;
        }
        if (given === undefined) {
          return `${name} is not given, and the engine takes it as ${trueByDefault ? "1" : "0"}`;
        }
        return spec ? `${name} is not set` : `${name} is set`;
      },
    };
  }
  const texts = typeof spec === "string" ? [spec] : [...spec];
  if (texts.length === 0) throw new Error(`${name}: an empty list allows nothing, use null`);
  if (type === "boolean") {
    throw new Error(`${name} is a boolean parameter: use true or false`);
  }
  const text = texts.length === 1 && typeof spec === "string"
    ? `with ${name} ${spec.includes("*") ? "matching" : "="} ${spec}`
    : `with ${name} in [${texts.join(", ")}]`;
  if (name === "signal") {
    const allowed = new Set<number>();
    for (const signal of texts) {
      const number = signalNumber(signal);
      if (number === null) throw new Error(`Unknown signal ${JSON.stringify(signal)}`);
      allowed.add(number);
    }
    return {
      name,
      text,
      forcesFalse: false,
      check: (params) => {
        const value = single(params, name);
        if (value === null) return repeated;
        if (value === undefined) return `${name} is not given (the engine's default applies)`;
        const number = signalNumber(value);
        return number !== null && allowed.has(number) ? null : `${name}=${show(value)}`;
      },
    };
  }
  const globs: Glob[] = texts.map(compileGlob);
  const reference = IMAGE_REFERENCES.has(name);
  return {
    name,
    text,
    forcesFalse: false,
    check: (params) => {
      const value = single(params, name);
      if (value === null) return repeated;
      if (value === undefined) return `${name} is not given`;
      const matches = (text: string) => globs.some((glob) => glob.test(text));
      if (matches(value) || (reference && matches(normalizeReference(value)))) return null;
      return `${name}=${show(value)}`;
    },
  };
}

/** Parameters that name an image, matched as sent and in the engine's normalized form too. */
const IMAGE_REFERENCES = new Set(["fromImage", "reference", "image"]);

/**
 * An image reference as the engine normalizes it: `nginx` is
 * `docker.io/library/nginx`, `acme/app` is `docker.io/acme/app`; a first
 * component with a `.` or `:`, or `localhost`, is a registry.
 */
export function normalizeReference(reference: string): string {
  const slash = reference.indexOf("/");
  if (slash < 0) return `docker.io/library/${reference}`;
  const first = reference.slice(0, slash);
  if (first.includes(".") || first.includes(":") || first === "localhost") return reference;
  return `docker.io/${reference}`;
}
