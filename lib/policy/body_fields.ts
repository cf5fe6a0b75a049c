/**
 * What a body asks the engine to run, read exactly as admission reads it (the
 * Go-exact decoder, `go_json.ts`, and its struct readers, `go_fields.ts`):
 * keys matched with Go's case folding (podman's libpod structs too), keys
 * that collide under folding refused, a field of the wrong JSON type refused
 * as the engine refuses it, and a field the proxy does not know refused,
 * since it cannot tell what the engine would do with it.
 *
 * Bodies by kind:
 *   exec           `ContainerExec`, `LibpodContainerExec` (podman's handler
 *                  reads Docker's ExecConfig): `Cmd` is a list only
 *   create         `ContainerCreate`: `Cmd` and `Entrypoint` are Docker
 *                  `StrSlice`s (a string is one argument)
 *   libpod-create  `LibpodContainerCreate` (a SpecGenerator): `command`,
 *                  `entrypoint`, `image`, `user`, `labels`, `env`, `work_dir`,
 *                  `terminal`, read under Docker's names
 *   service        `ServiceCreate`, `ServiceUpdate`: the task's image
 */
import { CONFIG_FIELDS, EXEC_CONFIG, WRAPPER_FIELDS } from "../admission/container_create.ts";
import { readStruct, type Struct, Where } from "../admission/go_fields.ts";
import { GoJsonError, type GoJsonValue, parseGoJson } from "../admission/go_json.ts";
import { HOST_CONFIG_FIELDS } from "../admission/host_config.ts";
import { SPEC_GENERATOR_FIELDS } from "../admission/libpod_fields.ts";
import { Refusal } from "../admission/refusal.ts";
import { CONTAINER_SPEC, SERVICE_SPEC, TASK_SPEC } from "../admission/service_spec.ts";
import { BODY_KINDS, type BodyKind, KIND_FIELDS } from "./body_kinds.ts";

export { BODY_KINDS, type BodyKind, KIND_FIELDS };

/** What a body asks for; `null`: the field is absent (or null). */
export interface BodyFacts {
  readonly kind: BodyKind;
  readonly cmd: readonly string[] | null;
  readonly entrypoint: readonly string[] | null;
  /** The image as sent; `imageError` says why it cannot be vouched for. */
  readonly image: string | null;
  /** Why the body runs no image a pattern could name (a rootfs, a plugin), or `null`. */
  readonly imageError: string | null;
  /** `null` when absent or empty (the engine's default user). */
  readonly user: string | null;
  readonly privileged: boolean;
  readonly tty: boolean;
  /** The environment's variable names, never their values. */
  readonly env: readonly string[];
  readonly workingDir: string | null;
  readonly labels: ReadonlyMap<string, string>;
  /** The healthcheck command the body sets, when it sets one that runs. */
  readonly healthcheck: readonly string[] | null;
}

/** A body that cannot be read: 400 as the engine would refuse it, 403 when the proxy cannot tell. */
export class BodyError extends Error {
  override name = "BodyError";
  constructor(readonly status: 400 | 403, message: string) {
    super(message);
  }
}

const HEALTH_CONFIG = [
  "Test",
  "Interval",
  "Timeout",
  "StartPeriod",
  "StartInterval",
  "Retries",
  "Successes",
];

function orNull(text: string): string | null {
  return text === "" ? null : text;
}

/** A list field: `null` when absent or null; a Docker `StrSlice` also takes a string. */
function argv(struct: Struct, name: string, strSlice: boolean): string[] | null {
  const value = struct.get(name);
  if (value === undefined || value === null) return null;
  return strSlice ? struct.strSlice(name) : struct.strings(name);
}

/** The command a healthcheck runs, or `null` (none, inherited, or `NONE`). */
function healthcheck(struct: Struct, names: readonly string[]): string[] | null {
  for (const name of names) {
    const health = struct.struct(name, HEALTH_CONFIG);
    const test = health?.strings("Test") ?? [];
    if (test.length > 0 && test[0] !== "NONE") return test;
  }
  return null;
}

function envNames(entries: readonly string[]): string[] {
  return entries.map((entry) => entry.includes("=") ? entry.slice(0, entry.indexOf("=")) : entry);
}

function read(kind: BodyKind, body: GoJsonValue): BodyFacts {
  const root = new Where("");
  if (kind === "exec") {
    const exec = readStruct(body, root, EXEC_CONFIG);
    return {
      kind,
      cmd: argv(exec, "Cmd", false),
      entrypoint: null,
      image: null,
      imageError: null,
      user: orNull(exec.str("User")),
      privileged: exec.bool("Privileged"),
      tty: exec.bool("Tty"),
      env: envNames(exec.strings("Env")),
      workingDir: orNull(exec.str("WorkingDir")),
      labels: new Map(),
      healthcheck: null,
    };
  }
  if (kind === "create") {
    const config = readStruct(body, root, [
      ...CONFIG_FIELDS,
      ...WRAPPER_FIELDS,
      ...HOST_CONFIG_FIELDS,
    ]);
    return {
      kind,
      cmd: argv(config, "Cmd", true),
      entrypoint: argv(config, "Entrypoint", true),
      image: orNull(config.str("Image")),
      imageError: null,
      user: orNull(config.str("User")),
      privileged: false,
      tty: config.bool("Tty"),
      env: envNames(config.strings("Env")),
      workingDir: orNull(config.str("WorkingDir")),
      labels: config.map("Labels"),
      healthcheck: healthcheck(config, ["Healthcheck"]),
    };
  }
  if (kind === "libpod-create") {
    const spec = readStruct(body, root, SPEC_GENERATOR_FIELDS);
    const rootfs = spec.str("rootfs");
    const raw = spec.str("raw_image_name");
    const image = spec.str("image");
    return {
      kind,
      cmd: argv(spec, "command", false),
      entrypoint: argv(spec, "entrypoint", false),
      image: orNull(image),
      imageError: rootfs !== ""
        ? `rootfs ${JSON.stringify(rootfs)} runs a directory of the host, not an image`
        : raw !== "" && raw !== image
        ? `raw_image_name ${JSON.stringify(raw)} differs from image ${JSON.stringify(image)}`
        : null,
      user: orNull(spec.str("user")),
      privileged: spec.bool("privileged"),
      tty: spec.bool("terminal"),
      env: [...spec.map("env").keys()],
      workingDir: orNull(spec.str("work_dir")),
      labels: spec.map("labels"),
      healthcheck: healthcheck(spec, ["healthconfig", "startupHealthConfig"]),
    };
  }
  const service = readStruct(body, root, SERVICE_SPEC);
  const task = service.struct("TaskTemplate", TASK_SPEC);
  const container = task?.struct("ContainerSpec", CONTAINER_SPEC);
  const plugin = task?.get("PluginSpec");
  const runtime = task?.str("Runtime") ?? "";
  return {
    kind,
    cmd: null,
    entrypoint: null,
    image: orNull(container?.str("Image") ?? ""),
    imageError: (plugin !== undefined && plugin !== null) || !["", "container"].includes(runtime)
      ? "TaskTemplate runs a plugin or attachment, not a container image"
      : null,
    user: null,
    privileged: false,
    tty: false,
    env: [],
    workingDir: null,
    labels: new Map(),
    healthcheck: null,
  };
}

function isBlank(body: Uint8Array): boolean {
  return body.every((byte) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09);
}

/**
 * Reads `body` (`null` or blank: an empty object) as the engine would for
 * `kind`; throws `BodyError`.
 */
export function readBodyFacts(kind: BodyKind, body: Uint8Array | null): BodyFacts {
  let value: GoJsonValue;
  try {
    value = body === null || isBlank(body)
      ? parseGoJson(new TextEncoder().encode("{}"))
      : parseGoJson(body);
  } catch (error) {
    if (error instanceof GoJsonError) throw new BodyError(400, error.message);
    throw error;
  }
  try {
    return read(kind, value);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    if (error.status === 400) throw new BodyError(400, error.reason);
    throw new BodyError(
      403,
      `its body has the field ${error.field}, which the proxy does not know: a body rule ` +
        "vouches only for bodies it reads whole",
    );
  }
}
