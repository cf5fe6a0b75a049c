/**
 * The operations whose bodies rules on bodies read, and the fields each kind
 * of body offers. A module of its own, without admission's readers, so that
 * compiling a policy (`rule.ts`, `body_constraint.ts`) loads none of them:
 * `body_fields.ts`, which reads bodies, is loaded with the admission stage.
 */

export type BodyKind = "exec" | "create" | "libpod-create" | "service";

/** The operations whose bodies body constraints read, and how. */
export const BODY_KINDS: Readonly<Record<string, BodyKind>> = {
  ContainerExec: "exec",
  LibpodContainerExec: "exec",
  ContainerCreate: "create",
  LibpodContainerCreate: "libpod-create",
  ServiceCreate: "service",
  ServiceUpdate: "service",
};

/** The fields a body constraint may name, per kind (Docker's names). */
export const KIND_FIELDS: Readonly<Record<BodyKind, readonly string[]>> = {
  exec: ["Cmd", "User", "Privileged", "Tty", "Env", "WorkingDir"],
  create: ["Image", "Cmd", "Entrypoint", "User", "Tty", "Env", "WorkingDir", "Labels"],
  "libpod-create": ["Image", "Cmd", "Entrypoint", "User", "Tty", "Env", "WorkingDir", "Labels"],
  service: ["Image"],
};
