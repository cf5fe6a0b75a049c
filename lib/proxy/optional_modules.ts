/**
 * The parts of the pipeline only some policies use — admission's checks
 * (`lib/admission/`), scoping (`lib/scoping/`, `scope_stage` and the relays of
 * rewritten answers), the engine look-ups they make (`scope_resolver`,
 * `engine_events`) and the client directory — loaded when a policy that needs
 * them is put in force: at start before the listeners serve, and on a reload
 * before the new policy is swapped in. A proxy configured by the environment
 * alone (`HOST_ACCESS=1`, no scope) never loads them, and the pipeline never
 * imports per request: it reads the references kept here.
 *
 * The specifiers are literals, so that `deno compile` bundles the modules.
 */
import type * as AdmissionStage from "./admission_stage.ts";
import type * as AnswerRelay from "./answer_relay.ts";
import type * as AnswerRewrite from "../scoping/answer_rewrite.ts";
import type * as ClientDirectoryModule from "../engine/client_directory.ts";
import type * as EngineEventsModule from "../engine/engine_events.ts";
import type * as EventFilterModule from "../scoping/event_filter.ts";
import type * as EventRelay from "./event_relay.ts";
import { identifiesClients, type Policy, type Profile } from "../policy/profile.ts";
import { isScoped } from "../policy/scope.ts";
import type * as ScopePlan from "../scoping/scope_plan.ts";
import type * as ScopeResolverModule from "../engine/scope_resolver.ts";
import type * as ScopeStage from "./scope_stage.ts";
import type * as VersionFloorStage from "./version_floor_stage.ts";
import type * as ApiVersions from "../routes/api_versions.ts";

/** Which optional parts a policy needs. */
export interface OptionalNeeds {
  /** Some profile reads request bodies or queries: `HOST_ACCESS=0`, or a scope. */
  readonly admission: boolean;
  /** Some profile has a scope, or rules on target labels. */
  readonly scoping: boolean;
  /** Clients are looked up through the engine (`identifiesClients`). */
  readonly clients: boolean;
}

/**
 * Whether requests under `profile` go through the admission stage. When not,
 * the stage has nothing to read or decide (`HOST_ACCESS=1` checks nothing,
 * only a scope labels or checks bodies, and only rules on bodies or audit
 * mode's record of commands and images read them): the body streams as it comes.
 */
export function admits(profile: Profile): boolean {
  return !profile.admission.hostAccess || isScoped(profile.scope) || profile.mode === "audit" ||
    profile.rules.some((rule) => rule.body !== null);
}

/** Whether requests under `profile` go through the scoping stage. */
export function scopes(profile: Profile): boolean {
  return isScoped(profile.scope) || profile.rules.some((rule) => rule.target !== null);
}

/** What `policy` needs beyond the default pipeline (its fallback profile included). */
export function optionalNeeds(policy: Policy): OptionalNeeds {
  const profiles = [...policy.profiles, policy.fallback];
  return {
    admission: profiles.some(admits),
    scoping: profiles.some(scopes),
    clients: identifiesClients(policy),
  };
}

/** The scoping stage's parts, as the pipeline calls them. */
export interface Scoping {
  readonly scopePlan: typeof ScopePlan.scopePlan;
  readonly isNothing: typeof ScopePlan.isNothing;
  readonly applyScope: typeof ScopeStage.applyScope;
  readonly rewriteAnswer: typeof AnswerRewrite.rewriteAnswer;
  readonly EventFilter: typeof EventFilterModule.EventFilter;
  readonly relayRewritten: typeof AnswerRelay.relayRewritten;
  readonly relayEvents: typeof EventRelay.relayEvents;
}

/** The `API_VERSION_FLOOR` stage's parts. */
export interface VersionFloor {
  readonly floorPlan: typeof ApiVersions.floorPlan;
  readonly rewriteTarget: typeof VersionFloorStage.rewriteTarget;
  readonly readsBody: typeof VersionFloorStage.readsBody;
  readonly floorBody: typeof VersionFloorStage.floorBody;
  readonly floorAnswer: typeof VersionFloorStage.floorAnswer;
}

let admission: typeof AdmissionStage | null = null;
let versionFloor: VersionFloor | null = null;
/** Loaded with scoping or with the version floor: both rewrite answers. */
let answerRelay: typeof AnswerRelay | null = null;
let scoping: Scoping | null = null;
let scopeResolver: typeof ScopeResolverModule.ScopeResolver | null = null;
let engineEvents: typeof EngineEventsModule.EngineEvents | null = null;
let clientDirectory: typeof ClientDirectoryModule.ClientDirectory | null = null;

/** Loads what `policy` needs and is not loaded yet; each module is loaded once and kept. */
export async function loadOptionalModules(policy: Policy): Promise<void> {
  const needs = optionalNeeds(policy);
  if (needs.admission && admission === null) {
    admission = await import("./admission_stage.ts");
  }
  if (needs.scoping && scoping === null) {
    const [plan, stage, rewrite, events, answerRelay_, eventRelay] = await Promise.all([
      import("../scoping/scope_plan.ts"),
      import("./scope_stage.ts"),
      import("../scoping/answer_rewrite.ts"),
      import("../scoping/event_filter.ts"),
      import("./answer_relay.ts"),
      import("./event_relay.ts"),
    ]);
    answerRelay = answerRelay_;
    scoping = {
      scopePlan: plan.scopePlan,
      isNothing: plan.isNothing,
      applyScope: stage.applyScope,
      rewriteAnswer: rewrite.rewriteAnswer,
      EventFilter: events.EventFilter,
      relayRewritten: answerRelay_.relayRewritten,
      relayEvents: eventRelay.relayEvents,
    };
  }
  // Both stages ask the engine about the objects requests name.
  if ((needs.admission || needs.scoping) && scopeResolver === null) {
    scopeResolver = (await import("../engine/scope_resolver.ts")).ScopeResolver;
  }
  // What the engine reports is cached, and forgotten on its events.
  if ((needs.admission || needs.scoping || needs.clients) && engineEvents === null) {
    engineEvents = (await import("../engine/engine_events.ts")).EngineEvents;
  }
  if (needs.clients && clientDirectory === null) {
    clientDirectory = (await import("../engine/client_directory.ts")).ClientDirectory;
  }
}

/** Loads the `API_VERSION_FLOOR` stage (once), for a proxy configured with a floor. */
export async function loadVersionFloor(): Promise<void> {
  if (versionFloor !== null) return;
  const [table, stage, relay] = await Promise.all([
    import("../routes/api_versions.ts"),
    import("./version_floor_stage.ts"),
    import("./answer_relay.ts"),
  ]);
  answerRelay ??= relay;
  versionFloor = {
    floorPlan: table.floorPlan,
    rewriteTarget: stage.rewriteTarget,
    readsBody: stage.readsBody,
    floorBody: stage.floorBody,
    floorAnswer: stage.floorAnswer,
  };
}

/** Loads the scope resolver and the engine's events, for `PROTECT_SELF`'s lookups. */
export async function loadScopeResolver(): Promise<void> {
  scopeResolver ??= (await import("../engine/scope_resolver.ts")).ScopeResolver;
  engineEvents ??= (await import("../engine/engine_events.ts")).EngineEvents;
}

function loaded<T>(module: T | null, what: string): T {
  if (module === null) {
    throw new Error(`${what} is used before a policy that needs it was loaded`);
  }
  return module;
}

/** The modules `loadOptionalModules` loaded; reading one it did not load throws. */
export const optional = {
  get admission(): typeof AdmissionStage {
    return loaded(admission, "The admission stage");
  },
  get scoping(): Scoping {
    return loaded(scoping, "The scoping stage");
  },
  get versionFloor(): VersionFloor {
    return loaded(versionFloor, "The API version floor");
  },
  /** Relays an answer rewritten whole (scoping's, the version floor's). */
  get relayRewritten(): typeof AnswerRelay.relayRewritten {
    return loaded(answerRelay, "The answer relay").relayRewritten;
  },
  get ScopeResolver(): typeof ScopeResolverModule.ScopeResolver {
    return loaded(scopeResolver, "The scope resolver");
  },
  get ClientDirectory(): typeof ClientDirectoryModule.ClientDirectory {
    return loaded(clientDirectory, "The client directory");
  },
  get EngineEvents(): typeof EngineEventsModule.EngineEvents {
    return loaded(engineEvents, "The engine's events");
  },
};
