/**
 * Profiles: what one kind of client may do, and which clients it is for.
 *
 * A policy is a list of profiles; a client gets the first whose `match` fits
 * it — by listener, by source address or CIDR, or by the client container's
 * name or labels — and, when none does, a profile that denies everything. An
 * env-only configuration is the same model with one profile for every client.
 */
import type { ClientLimits } from "../limits/client_limiter.ts";
import type { AdmissionSettings } from "../admission/admission_settings.ts";
import { type Cidr, cidrContains } from "./cidr.ts";
import type { Flags } from "./flags.ts";
import type { Glob } from "./glob.ts";
import { type LabelMatcher, labelMatches, type Labels } from "./labels.ts";
import type { Rule } from "./rule.ts";
import type { Scope } from "./scope.ts";

export type Mode = "enforce" | "audit";

/** Which clients a profile is for; every criterion given must hold, any value of one may. */
export interface ClientMatch {
  /** Listen addresses as `LISTEN` writes them (`unix:/run/sp/traefik.sock`, `0.0.0.0:2375`). */
  readonly listeners: readonly string[] | null;
  readonly sources: readonly Cidr[] | null;
  /** Client container names (globs, without the leading `/`). */
  readonly containerNames: readonly Glob[] | null;
  /** Labels the client container must all carry. */
  readonly containerLabels: readonly LabelMatcher[] | null;
}

export interface Profile {
  /** `""` for the fallback of a policy file, which no client chose. */
  readonly name: string;
  /** The policy file it comes from, `PRESET=<name>` for the environment's preset, `null` for its switches. */
  readonly file: string | null;
  /** Where it is defined in the policy file. */
  readonly line: number | null;
  /** `null`: every client. */
  readonly match: ClientMatch | null;
  readonly mode: Mode;
  /** linuxserver's switches, when the profile is written with them. */
  readonly switches: Flags | null;
  readonly rules: readonly Rule[];
  readonly admission: AdmissionSettings;
  readonly scope: Scope;
  /** The preset it takes its rules and settings from (`preset:`, `PRESET`), if any. */
  readonly preset?: { readonly name: string; readonly app: string };
  /** `ENGINE_TIMEOUT` for this profile's requests, in ms; `null` or absent: the proxy's. */
  readonly engineTimeoutMs?: number | null;
  /** The per-client limits (absent: the defaults, `DEFAULT_CLIENT_LIMITS`). */
  readonly clientLimits?: ClientLimits;
  /** `PROTECT_SELF` (absent: on). */
  readonly protectSelf?: boolean;
}

export interface Policy {
  /** The policy file, `PRESET=<name>`, or `null` for an env-only configuration of switches. */
  readonly file: string | null;
  readonly profiles: readonly Profile[];
  /** What a client no profile matches gets: nothing. */
  readonly fallback: Profile;
  /** Some profile matches by client container: clients must be resolved through the engine. */
  readonly usesContainers: boolean;
}

/** The container a client connects from, as the engine reports it. */
export interface ClientContainer {
  readonly id: string;
  /** Without the leading `/`. */
  readonly name: string;
  readonly labels: Labels;
}

/** What is known of a client when its profile is chosen. */
export interface Client {
  /** The listener it connected to, formatted as in `LISTEN`. */
  readonly listener: string;
  /** Its address (see `parseAddress`), `null` on a unix socket. */
  readonly address: Uint8Array | null;
  /** Its container; `null` when it is none, `undefined` when not looked up. */
  readonly container: ClientContainer | null | undefined;
}

/**
 * Whether clients must be identified through the engine: some profile matches
 * by client container, or audits (so that its log, and `learn`, name them).
 */
export function identifiesClients(policy: Policy): boolean {
  return policy.usesContainers || policy.profiles.some((profile) => profile.mode === "audit");
}

/** Whether `match` fits `client`. */
export function clientMatches(match: ClientMatch | null, client: Client): boolean {
  if (match === null) return true;
  if (match.listeners !== null && !match.listeners.includes(client.listener)) return false;
  if (match.sources !== null) {
    const address = client.address;
    if (address === null || !match.sources.some((cidr) => cidrContains(cidr, address))) {
      return false;
    }
  }
  if (match.containerNames !== null || match.containerLabels !== null) {
    const container = client.container;
    if (container === null || container === undefined) return false;
    if (
      match.containerNames !== null &&
      !match.containerNames.some((glob) => glob.test(container.name))
    ) return false;
    if (
      match.containerLabels !== null &&
      !match.containerLabels.every((matcher) => labelMatches(matcher, container.labels))
    ) return false;
  }
  return true;
}

/** The first profile that fits `client`, or the policy's deny-all fallback. */
export function selectProfile(policy: Policy, client: Client): Profile {
  for (const profile of policy.profiles) {
    if (clientMatches(profile.match, client)) return profile;
  }
  return policy.fallback;
}

/** For logs and `explain`: `profile "traefik" (line 4)`. */
export function describeProfile(profile: Profile): string {
  return `profile ${JSON.stringify(profile.name)}` +
    (profile.line === null ? "" : ` (line ${profile.line})`);
}
