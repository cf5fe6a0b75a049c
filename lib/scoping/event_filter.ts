/**
 * `/events` for a scoped client: a JSON-lines stream filtered line by line,
 * never buffering more than one line. A client that hides containers gets the
 * events of the containers it sees, and no others (no image, network or
 * daemon events either: they name containers and objects of other clients).
 */
import { containerVisible, type Scope } from "../policy/scope.ts";

/** Longest event line accepted; the engine's are a few KiB. */
export const MAX_EVENT_LINE = 1024 * 1024;

type Json = Record<string, unknown>;

function object(value: unknown): Json | null {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Json
    : null;
}

/** Whether one event (parsed) may be shown: a container event of a visible container. */
export function eventVisible(scope: Scope, event: unknown): boolean {
  const message = object(event);
  if (message === null) return false;
  const type = message.Type ?? message.type;
  if (type !== "container") return false;
  // Docker: Actor.Attributes (labels and name); Podman's libpod: Name and Attributes.
  const attributes = object(object(message.Actor)?.Attributes) ?? object(message.Attributes) ?? {};
  const name = typeof attributes.name === "string"
    ? attributes.name
    : typeof message.Name === "string"
    ? message.Name
    : "";
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === "string") labels[key] = value;
  }
  return containerVisible(scope, name, labels);
}

const decoder = new TextDecoder();

/** Feeds the stream's bytes in; passes on the complete lines that may be shown. */
export class EventFilter {
  #scope: Scope;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;

  constructor(scope: Scope) {
    this.#scope = scope;
  }

  /**
   * Consumes `bytes`; calls `pass` with each visible line (newline included).
   * Throws when a line grows past `MAX_EVENT_LINE`.
   */
  feed(bytes: Uint8Array, pass: (line: Uint8Array) => void): void {
    let start = 0;
    for (;;) {
      const newline = bytes.indexOf(10, start);
      if (newline < 0) break;
      const piece = bytes.subarray(start, newline + 1);
      let line = piece;
      if (this.#pendingBytes > 0) {
        line = new Uint8Array(this.#pendingBytes + piece.length);
        let at = 0;
        for (const part of this.#pending) {
          line.set(part, at);
          at += part.length;
        }
        line.set(piece, at);
        this.#pending = [];
        this.#pendingBytes = 0;
      }
      if (this.#visible(line)) pass(line);
      start = newline + 1;
    }
    if (start < bytes.length) {
      this.#pendingBytes += bytes.length - start;
      if (this.#pendingBytes > MAX_EVENT_LINE) {
        throw new Error(`An event line longer than ${MAX_EVENT_LINE} bytes`);
      }
      this.#pending.push(bytes.slice(start));
    }
  }

  #visible(line: Uint8Array): boolean {
    const text = decoder.decode(line).trim();
    if (text === "") return false;
    try {
      return eventVisible(this.#scope, JSON.parse(text));
    } catch {
      return false;
    }
  }
}
