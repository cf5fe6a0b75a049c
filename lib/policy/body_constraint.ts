/**
 * Body constraints of a rule (`body:`, next to `query:` and `target:`): exec
 * only this command, create only these images, as this user.
 *
 *   - allow: ContainerExec
 *     body:
 *       Cmd: [[pg_dump, "**"], [pg_dumpall, --clean]]   # argv patterns
 *       User: [postgres, null]                           # null: absent
 *       Privileged: false
 *   - allow: ContainerCreate
 *     body:
 *       Image: ["ghcr.io/acme/**", "postgres:16*"]        # normalized as the engine does
 *
 * Fields, in Docker's names (podman's libpod bodies are read under them:
 * `command` is `Cmd`, `image` is `Image`, `work_dir` is `WorkingDir`):
 *   Cmd, Entrypoint   a list of argv patterns (`argv_pattern.ts`); `null` in
 *                     the list allows the field to be absent
 *   Image             a text or list of image patterns (`image_reference.ts`)
 *   User, WorkingDir  a text or list of texts or globs; `null`: absent
 *   Privileged, Tty   true or false (absent is false)
 *   Env               the variable names allowed (globs); `null`: none
 *   Labels            labels the body must carry: `{ job: "*" }`, `{ x: null }` (absent)
 *
 * A rule on `Cmd` of a create also refuses an `Entrypoint` it does not
 * constrain itself (the engine would run `Entrypoint + Cmd`), and a
 * healthcheck that runs a command (another command in the same container).
 * A body is checked as `body_fields.ts` reads it; a constraint is compiled
 * once, at load, for the body kinds of the routes its rule covers.
 */
import { type ArgvPattern, compileArgvPattern, formatArgv } from "./argv_pattern.ts";
import type { BodyFacts } from "./body_fields.ts";
import { type BodyKind, KIND_FIELDS } from "./body_kinds.ts";
import { compileGlob, type Glob } from "./glob.ts";
import { compileImagePattern, normalizeImage } from "./image_reference.ts";
import { closest } from "../suggest.ts";

export type BodySpec = Readonly<Record<string, unknown>>;

export interface BodyConstraint {
  /** For messages: `Cmd in [[pg_dump, **]], User in [postgres, null]`. */
  readonly text: string;
  /** The fields it constrains, in Docker's names. */
  readonly fields: readonly string[];
  /** Why `facts` fail it (every failing field, named), or `null` when they pass. */
  check(facts: BodyFacts): string | null;
}

/** A body spec that cannot be compiled; `field` names the field at fault. */
export class BodyConstraintError extends Error {
  override name = "BodyConstraintError";
  constructor(message: string, readonly field: string | null = null) {
    super(message);
  }
}

export const BODY_FIELDS = [
  "Cmd",
  "Entrypoint",
  "Image",
  "User",
  "WorkingDir",
  "Privileged",
  "Tty",
  "Env",
  "Labels",
];

/** podman's and lower-case spellings, for suggestions. */
const SPELLINGS: Readonly<Record<string, string>> = {
  command: "Cmd",
  cmd: "Cmd",
  entrypoint: "Entrypoint",
  image: "Image",
  user: "User",
  work_dir: "WorkingDir",
  workingdir: "WorkingDir",
  privileged: "Privileged",
  terminal: "Tty",
  tty: "Tty",
  env: "Env",
  labels: "Labels",
};

type FieldCheck = (facts: BodyFacts) => string | null;

interface Compiled {
  text: string;
  check: FieldCheck;
}

function show(value: string | null): string {
  if (value === null) return "absent";
  return JSON.stringify(value.length > 80 ? value.slice(0, 80) + "..." : value);
}

function fail(field: string, message: string): never {
  throw new BodyConstraintError(`body.${field} ${message}`, field);
}

/** `[[a, b], null]` or `[a, b]` mistaken for it: a list of argv patterns. */
function compileArgv(field: "Cmd" | "Entrypoint", spec: unknown): Compiled {
  const list = spec === null ? [null] : spec;
  const example = field === "Cmd" ? '[[pg_dump, "**"], [nginx, -s, reload]]' : "[[/entry.sh]]";
  if (!Array.isArray(list) || list.length === 0) {
    fail(field, `must be a list of argv patterns such as ${example}, or null`);
  }
  let absent = false;
  const patterns: ArgvPattern[] = [];
  for (const item of list) {
    if (item === null) absent = true;
    else if (Array.isArray(item) && item.every((arg) => typeof arg === "string")) {
      try {
        patterns.push(compileArgvPattern(item));
      } catch (error) {
        fail(field, (error as Error).message);
      }
    } else {
      fail(
        field,
        `must be a list of argv patterns such as ${example} (each a list of arguments), ` +
          `not ${JSON.stringify(item)}`,
      );
    }
  }
  const texts = [...patterns.map((pattern) => pattern.text), ...(absent ? ["null"] : [])];
  const get = (facts: BodyFacts) => field === "Cmd" ? facts.cmd : facts.entrypoint;
  return {
    text: `${field} in [${texts.join(", ")}]`,
    check: (facts) => {
      const argv = get(facts);
      if (argv === null) return absent ? null : `${field} is not given`;
      if (patterns.some((pattern) => pattern.test(argv))) return null;
      return `${field} ${formatArgv(argv)} matches none of [${texts.join(", ")}]`;
    },
  };
}

/** A text or list of texts (globs), `null` allowing absence. */
function compileTexts(field: "User" | "WorkingDir", spec: unknown): Compiled {
  const list = Array.isArray(spec) ? spec : [spec];
  if (list.length === 0) fail(field, "is an empty list, which allows nothing: use null");
  let absent = false;
  const globs: Glob[] = [];
  for (const item of list) {
    if (item === null) absent = true;
    else if (typeof item === "string" && item !== "") globs.push(compileGlob(item));
    else fail(field, `must be a text, null, or a list of them, not ${JSON.stringify(item)}`);
  }
  const texts = [...globs.map((glob) => glob.text), ...(absent ? ["null"] : [])];
  return {
    text: `${field} in [${texts.join(", ")}]`,
    check: (facts) => {
      const value = field === "User" ? facts.user : facts.workingDir;
      if (value === null ? absent : globs.some((glob) => glob.test(value))) return null;
      return `${field} ${show(value)} is none of [${texts.join(", ")}]`;
    },
  };
}

function compileImage(spec: unknown): Compiled {
  const list = Array.isArray(spec) ? spec : [spec];
  if (list.length === 0 || !list.every((item) => typeof item === "string" && item !== "")) {
    fail("Image", 'must be an image pattern or a list of them, such as ["ghcr.io/acme/**"]');
  }
  const globs = (list as string[]).map(compileImagePattern);
  const texts = `[${globs.map((glob) => glob.text).join(", ")}]`;
  return {
    text: `Image in ${texts}`,
    check: (facts) => {
      if (facts.imageError !== null) return facts.imageError;
      if (facts.image === null) return "Image is not given";
      const normalized = normalizeImage(facts.image, facts.kind !== "libpod-create");
      if ("error" in normalized) return `Image ${normalized.error}`;
      if (globs.some((glob) => glob.test(normalized.name))) return null;
      return `Image ${show(facts.image)} (${normalized.name}) matches none of ${texts}`;
    },
  };
}

function compileBoolean(field: "Privileged" | "Tty", spec: unknown): Compiled {
  if (typeof spec !== "boolean") fail(field, "must be true or false");
  return {
    text: `${field}=${spec}`,
    check: (facts) => {
      const value = field === "Privileged" ? facts.privileged : facts.tty;
      return value === spec ? null : `${field} is ${value}`;
    },
  };
}

function compileEnv(spec: unknown): Compiled {
  const list = spec === null ? [] : spec;
  if (!Array.isArray(list) || !list.every((item) => typeof item === "string" && item !== "")) {
    fail("Env", "must be a list of variable names (globs such as PG*), or null for none");
  }
  const globs = (list as string[]).map(compileGlob);
  const texts = `[${globs.map((glob) => glob.text).join(", ")}]`;
  return {
    text: globs.length === 0 ? "without Env" : `Env names in ${texts}`,
    check: (facts) => {
      const bad = facts.env.filter((name) => !globs.some((glob) => glob.test(name)));
      if (bad.length === 0) return null;
      return `Env sets ${bad.map((name) => show(name)).join(", ")}` +
        (globs.length === 0 ? ", and the rule allows no Env" : `, not in ${texts}`);
    },
  };
}

function compileLabels(spec: unknown): Compiled {
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    fail("Labels", 'must be a map of labels to globs or null, such as { job: "*" }');
  }
  const entries = Object.entries(spec as Record<string, unknown>);
  if (entries.length === 0) fail("Labels", "is empty");
  const matchers = entries.map(([key, value]) => {
    if (value !== null && typeof value !== "string") {
      fail("Labels", `${key} must be a text (glob) or null, not ${JSON.stringify(value)}`);
    }
    return { key, glob: value === null ? null : compileGlob(value) };
  });
  const text = matchers.map(({ key, glob }) => glob === null ? `!${key}` : `${key}=${glob.text}`);
  return {
    text: `Labels ${text.join(", ")}`,
    check: (facts) => {
      const failed: string[] = [];
      for (const { key, glob } of matchers) {
        const value = facts.labels.get(key);
        if (glob === null && value !== undefined) failed.push(`Labels has ${key}`);
        if (glob !== null && (value === undefined || !glob.test(value))) {
          failed.push(`Labels ${key} is ${show(value ?? null)}, not ${glob.text}`);
        }
      }
      return failed.length === 0 ? null : failed.join(", ");
    },
  };
}

function compileField(field: string, spec: unknown): Compiled {
  switch (field) {
    case "Cmd":
    case "Entrypoint":
      return compileArgv(field, spec);
    case "Image":
      return compileImage(spec);
    case "User":
    case "WorkingDir":
      return compileTexts(field, spec);
    case "Privileged":
    case "Tty":
      return compileBoolean(field, spec);
    case "Env":
      return compileEnv(spec);
    default:
      return compileLabels(spec);
  }
}

/**
 * Compiles `spec` for a rule covering `operations` whose bodies are of
 * `kinds` (one per operation, in the same order); throws `BodyConstraintError`.
 */
export function compileBodyConstraint(
  spec: BodySpec,
  operations: readonly string[],
  kinds: readonly (BodyKind | undefined)[],
): BodyConstraint {
  const names = Object.keys(spec);
  if (names.length === 0) throw new BodyConstraintError("body is empty: leave it out");
  kinds.forEach((kind, i) => {
    if (kind === undefined) {
      throw new BodyConstraintError(
        `body: applies to ContainerExec, ContainerCreate, ServiceCreate, ServiceUpdate and ` +
          `libpod's exec and create, and the rule also covers ${operations[i]}`,
      );
    }
  });
  const checks: Compiled[] = [];
  for (const name of names) {
    if (!BODY_FIELDS.includes(name)) {
      const hint = Object.hasOwn(SPELLINGS, name.toLowerCase())
        ? ` (did you mean ${SPELLINGS[name.toLowerCase()]}?)`
        : closest(name, BODY_FIELDS);
      throw new BodyConstraintError(
        `Unknown body field ${JSON.stringify(name)}${hint} (valid: ${BODY_FIELDS.join(", ")})`,
        name,
      );
    }
    kinds.forEach((kind, i) => {
      if (!KIND_FIELDS[kind!].includes(name)) {
        fail(
          name,
          `is not a field of ${operations[i]}'s body (it has: ${KIND_FIELDS[kind!].join(", ")})`,
        );
      }
    });
    checks.push(compileField(name, spec[name]));
  }
  const argvRule = names.includes("Cmd") || names.includes("Entrypoint");
  if (names.includes("Cmd") && !names.includes("Entrypoint")) {
    checks.push({
      text: "",
      check: (facts) =>
        facts.entrypoint === null
          ? null
          : `Entrypoint ${formatArgv(facts.entrypoint)} is set, and the engine would run it with ` +
            "Cmd as its arguments: the rule constrains Cmd only (add Entrypoint: to it)",
    });
  }
  if (argvRule) {
    checks.push({
      text: "",
      check: (facts) =>
        facts.healthcheck === null
          ? null
          : `its healthcheck runs ${formatArgv(facts.healthcheck)} in the container, and the ` +
            "rule allows only the commands it names",
    });
  }
  return {
    text: checks.filter((check) => check.text !== "").map((check) => check.text).join(", "),
    fields: names,
    check(facts) {
      const failed = checks.map((check) => check.check(facts)).filter((why) => why !== null);
      return failed.length === 0 ? null : failed.join("; ");
    },
  };
}
