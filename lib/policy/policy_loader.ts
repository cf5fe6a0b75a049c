/**
 * The policy file: profiles chosen per client, each with rules and settings.
 *
 *   mode: enforce                 # or audit: the default of every profile
 *   profiles:
 *     - name: traefik
 *       match: { listener: unix:/run/socket-proxy/traefik.sock }
 *       rules: [SystemPing, SystemVersion, ContainerList, ContainerInspect, SystemEvents]
 *     - name: dozzle                # a recipe by name, with settings of one's own
 *       match: { listener: unix:/run/socket-proxy/dozzle.sock }
 *       preset: dozzle
 *       CONTAINER_LABELS: dozzle.enable=true
 *     - name: autoheal
 *       match: { container: { name: autoheal } }
 *       rules:
 *         - ContainerList
 *         - allow: ContainerRestart
 *           target: { labels: { autoheal: "true" } }
 *
 * Everything is checked at load: unknown keys, operations and parameters, a
 * template that matches no route, a bad CIDR, a profile an earlier one shadows
 * completely. Errors name the file, the line and what would be valid.
 */
import type { RouteSpec } from "../routes/route.ts";
import { closest } from "../suggest.ts";
import { cidrCovers, parseCidr } from "./cidr.ts";
import { compileGlob } from "./glob.ts";
import { labelMatches, parseLabelMatcher } from "./labels.ts";
import {
  describeNode,
  type DocEntry,
  type DocNode,
  DocumentError,
  parseDocumentTree,
  plainValue,
} from "./policy_document.ts";
import type { ClientMatch, Mode, Policy, Profile } from "./profile.ts";
import { findPreset, type Preset, presetRules, presetSettings, unknownPreset } from "./presets.ts";
import { parseProfileSettings, PROFILE_SETTING_NAMES, SettingError } from "./profile_settings.ts";
import { compileRule, type Rule, RuleError, type RuleSpec } from "./rule.ts";
import { UNSCOPED } from "./scope.ts";

/** A policy file that cannot be used: `file:line: message`. */
export class PolicyError extends Error {
  override name = "PolicyError";
  constructor(readonly file: string, readonly line: number, detail: string) {
    super(`${file}${line > 0 ? `:${line}` : ""}: ${detail}`);
  }
}

export interface LoadOptions {
  /** Listen addresses as `LISTEN` formats them, which `match.listener` must name. */
  listeners: readonly string[];
  /** `MODE=audit` in the environment: every profile audits. */
  forceAudit: boolean;
}

const TOP_KEYS = ["version", "mode", "profiles"];
const PROFILE_KEYS = ["name", "app", "preset", "match", "mode", "rules"];
const MATCH_KEYS = ["listener", "source", "container"];
const CONTAINER_KEYS = ["name", "labels"];
const RULE_KEYS = ["allow", "query", "target", "body"];
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function fail(line: number, message: string): never {
  throw new DocumentError(line, message);
}

function entriesOf(node: DocNode, what: string, keys: readonly string[]): DocEntry[] {
  if (node.kind !== "map") fail(node.line, `${what} must be a map, not ${describeNode(node)}`);
  for (const entry of node.entries) {
    if (!keys.includes(entry.key) && !(what === "A profile" && /^[A-Z_0-9]+$/.test(entry.key))) {
      fail(
        entry.line,
        `Unknown key ${JSON.stringify(entry.key)} in ${what.toLowerCase()}` +
          closest(entry.key, keys) + ` (valid: ${keys.join(", ")})`,
      );
    }
  }
  return node.entries;
}

function text(node: DocNode, what: string): string {
  if (node.kind !== "scalar" || typeof node.value !== "string" || node.value.trim() === "") {
    fail(node.line, `${what} must be a text, not ${describeNode(node)}`);
  }
  return node.value.trim();
}

/** A text or a list of texts. */
function texts(node: DocNode, what: string): { value: string; line: number }[] {
  const items = node.kind === "list" ? node.items : [node];
  if (items.length === 0) fail(node.line, `${what} is an empty list, which matches nothing`);
  return items.map((item) => ({ value: text(item, what), line: item.line }));
}

function parseMode(node: DocNode): Mode {
  const mode = text(node, "mode");
  if (mode !== "enforce" && mode !== "audit") {
    fail(node.line, `Invalid mode ${JSON.stringify(mode)} (valid: enforce, audit)`);
  }
  return mode;
}

function parseMatch(node: DocNode, options: LoadOptions): ClientMatch {
  const match: {
    listeners: string[] | null;
    sources: ReturnType<typeof parseCidr>[] | null;
    containerNames: ReturnType<typeof compileGlob>[] | null;
    containerLabels: ReturnType<typeof parseLabelMatcher>[] | null;
  } = { listeners: null, sources: null, containerNames: null, containerLabels: null };
  const entries = entriesOf(node, "Match", MATCH_KEYS);
  if (entries.length === 0) fail(node.line, "match is empty: leave it out to match every client");
  for (const entry of entries) {
    if (entry.key === "listener") {
      match.listeners = texts(entry.value, "listener").map(({ value, line }) => {
        if (!options.listeners.includes(value)) {
          fail(
            line,
            `Listener ${JSON.stringify(value)} is not one the proxy listens on (LISTEN): ` +
              options.listeners.join(", "),
          );
        }
        return value;
      });
    } else if (entry.key === "source") {
      match.sources = texts(entry.value, "source").map(({ value, line }) => {
        try {
          return parseCidr(value);
        } catch (error) {
          return fail(
            line,
            `Invalid source ${JSON.stringify(value)}: ${(error as Error).message} ` +
              "(want an address or a CIDR such as 172.18.0.0/16 or fd00::/8)",
          );
        }
      });
    } else {
      for (const sub of entriesOf(entry.value, "Container match", CONTAINER_KEYS)) {
        if (sub.key === "name") {
          match.containerNames = texts(sub.value, "container name").map(({ value }) =>
            compileGlob(value.replace(/^\//, ""))
          );
        } else {
          const items = sub.value.kind === "map"
            ? sub.value.entries.map((label) => ({
              value: label.value.kind === "scalar" && label.value.value === null
                ? label.key
                : `${label.key}=${String(plainValue(label.value))}`,
              line: label.line,
            }))
            : texts(sub.value, "container labels");
          match.containerLabels = items.map(({ value, line }) => {
            try {
              return parseLabelMatcher(value);
            } catch (error) {
              return fail(line, (error as Error).message);
            }
          });
        }
      }
    }
  }
  return match;
}

function parseRuleNode(node: DocNode, routes: readonly RouteSpec[], index: number): Rule {
  let spec: RuleSpec;
  const lines: Record<string, number> = {};
  if (node.kind === "scalar") {
    spec = { allow: text(node, "A rule") };
  } else {
    const entries = entriesOf(node, "A rule", RULE_KEYS);
    const allow = entries.find((entry) => entry.key === "allow");
    if (allow === undefined) {
      fail(node.line, "A rule needs allow: (an operation or METHOD /template)");
    }
    spec = { allow: text(allow.value, "allow") };
    for (const entry of entries) {
      lines[entry.key] = entry.line;
      if (entry.key === "query") {
        if (entry.value.kind !== "map") fail(entry.line, "query must be a map of parameters");
        const query: Record<string, boolean | null | string | string[]> = {};
        for (const param of entry.value.entries) {
          lines[`query.${param.key}`] = param.line;
          const value = plainValue(param.value);
          const ok = value === null || typeof value === "boolean" || typeof value === "string" ||
            (Array.isArray(value) && value.every((item) => typeof item === "string"));
          if (!ok) {
            fail(
              param.line,
              `query.${param.key} must be true, false, null, a text or a list of texts`,
            );
          }
          query[param.key] = value as boolean | null | string | string[];
        }
        spec.query = query;
      } else if (entry.key === "body") {
        if (entry.value.kind !== "map") {
          fail(entry.line, "body must be a map of fields, such as { Cmd: [[nginx, -s, reload]] }");
        }
        for (const field of entry.value.entries) lines[`body.${field.key}`] = field.line;
        spec.body = plainValue(entry.value) as Record<string, unknown>;
      } else if (entry.key === "target") {
        const labels = entriesOf(entry.value, "Target", ["labels"]);
        const map = labels[0]?.value;
        if (map === undefined || map.kind !== "map") {
          fail(entry.line, 'target needs labels: a map such as { autoheal: "true" }');
        }
        spec.target = {
          labels: Object.fromEntries(
            map.entries.map((label) => {
              const value = plainValue(label.value);
              return [label.key, value === null ? null : String(value)];
            }),
          ),
        };
      }
    }
  }
  try {
    return compileRule(routes, spec, index, node.line);
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
    fail(error.key === null ? node.line : lines[error.key] ?? node.line, error.message);
  }
}

function parseProfile(
  node: DocNode,
  routes: readonly RouteSpec[],
  options: LoadOptions,
  defaultMode: Mode,
  file: string,
): Profile {
  const entries = entriesOf(node, "A profile", PROFILE_KEYS);
  const nameEntry = entries.find((entry) => entry.key === "name");
  if (nameEntry === undefined) fail(node.line, "A profile needs a name");
  const name = text(nameEntry.value, "name");
  if (!PROFILE_NAME.test(name)) {
    fail(nameEntry.line, `Invalid profile name ${JSON.stringify(name)} (letters, digits, _ . -)`);
  }
  let match: ClientMatch | null = null;
  let mode = defaultMode;
  let preset: Preset | null = null;
  let presetLine = node.line;
  const rules: Rule[] = [];
  const settings: Record<string, unknown> = {};
  const settingLines: Record<string, number> = {};
  for (const entry of entries) {
    if (entry.key === "match") match = parseMatch(entry.value, options);
    else if (entry.key === "mode") mode = parseMode(entry.value);
    else if (entry.key === "app") text(entry.value, "app"); // what the profile was proven against
    else if (entry.key === "preset") {
      const presetName = text(entry.value, "preset");
      preset = findPreset(presetName) ?? fail(entry.line, unknownPreset(presetName, "preset"));
      presetLine = entry.line;
    } else if (entry.key === "rules") {
      if (entry.value.kind !== "list") fail(entry.line, "rules must be a list");
      entry.value.items.forEach((item, i) => rules.push(parseRuleNode(item, routes, i + 1)));
    } else if (entry.key !== "name") {
      if (!PROFILE_SETTING_NAMES.includes(entry.key)) {
        fail(
          entry.line,
          `Unknown setting ${entry.key}` + closest(entry.key, PROFILE_SETTING_NAMES) +
            ` (profiles take ${PROFILE_KEYS.join(", ")} and settings such as CONTAINERS, ` +
            "HOST_ACCESS, CONTAINER_LABELS: see the README)",
        );
      }
      settings[entry.key] = plainValue(entry.value);
      settingLines[entry.key] = entry.line;
    }
  }
  let parsed;
  try {
    parsed = parseProfileSettings(preset ? presetSettings(preset, settings) : settings, true);
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    fail(settingLines[error.setting] ?? presetLine, error.message);
  }
  return {
    name,
    file,
    line: node.line,
    match,
    mode: options.forceAudit ? "audit" : mode,
    // The preset's rules and the profile's own: a request any of them allows passes.
    rules: preset ? [...presetRules(routes, preset), ...rules] : rules,
    ...parsed,
    ...(preset ? { preset: { name: preset.name, app: preset.app } } : {}),
  };
}

/** Whether every client `later` matches is matched by `earlier` too. */
export function shadows(earlier: ClientMatch | null, later: ClientMatch | null): boolean {
  if (earlier === null) return true;
  if (later === null) return false;
  if (earlier.listeners !== null) {
    if (later.listeners === null) return false;
    if (!later.listeners.every((listener) => earlier.listeners!.includes(listener))) return false;
  }
  if (earlier.sources !== null) {
    if (later.sources === null) return false;
    if (!later.sources.every((inner) => earlier.sources!.some((o) => cidrCovers(o, inner)))) {
      return false;
    }
  }
  if (earlier.containerNames !== null) {
    if (later.containerNames === null) return false;
    const covered = later.containerNames.every((inner) =>
      earlier.containerNames!.some((outer) =>
        outer.text === inner.text || (!inner.text.includes("*") && outer.test(inner.text))
      )
    );
    if (!covered) return false;
  }
  if (earlier.containerLabels !== null) {
    if (later.containerLabels === null) return false;
    const labels = Object.fromEntries(
      later.containerLabels.filter((m) => m.value !== null).map((m) => [m.key, m.value!]),
    );
    const keys = new Set(later.containerLabels.map((m) => m.key));
    const covered = earlier.containerLabels.every((outer) =>
      outer.value === null ? keys.has(outer.key) : labelMatches(outer, labels)
    );
    if (!covered) return false;
  }
  return true;
}

/**
 * The profile a client no profile matches gets: it allows nothing. In audit
 * mode (`MODE=audit`, or the file's `mode: audit`) it audits, so that a new
 * app can be learned while the file is in use.
 */
export function fallbackProfile(file: string, mode: Mode = "enforce"): Profile {
  return {
    name: "",
    file,
    line: null,
    match: null,
    mode,
    switches: null,
    rules: [],
    admission: parseProfileSettings({}, true).admission,
    scope: UNSCOPED,
  };
}

/** Reads the policy in `source` (the text of `file`); throws `PolicyError`. */
export function parsePolicy(
  source: string,
  file: string,
  routes: readonly RouteSpec[],
  options: LoadOptions,
): Policy {
  try {
    const root = parseDocumentTree(source);
    const entries = entriesOf(root, "The policy", TOP_KEYS);
    let defaultMode: Mode = "enforce";
    let profileList: DocNode | null = null;
    for (const entry of entries) {
      if (entry.key === "version") {
        if (entry.value.kind !== "scalar" || entry.value.value !== 1) {
          fail(entry.line, "version must be 1");
        }
      } else if (entry.key === "mode") defaultMode = parseMode(entry.value);
      else profileList = entry.value;
    }
    if (profileList === null) fail(root.line || 1, "The policy needs profiles: a list");
    if (profileList.kind !== "list") fail(profileList.line, "profiles must be a list");
    const profiles: Profile[] = [];
    for (const item of profileList.items) {
      const profile = parseProfile(item, routes, options, defaultMode, file);
      const same = profiles.find((other) => other.name === profile.name);
      if (same) {
        fail(item.line, `Profile ${profile.name} is defined twice (also line ${same.line})`);
      }
      const shadow = profiles.find((other) => shadows(other.match, profile.match));
      if (shadow) {
        fail(
          item.line,
          `Profile ${profile.name} can never be chosen: profile ${shadow.name} ` +
            `(line ${shadow.line}) before it matches every client it matches`,
        );
      }
      profiles.push(profile);
    }
    return {
      file,
      profiles,
      fallback: fallbackProfile(file, options.forceAudit ? "audit" : defaultMode),
      usesContainers: profiles.some((profile) =>
        profile.match !== null &&
        (profile.match.containerNames !== null || profile.match.containerLabels !== null)
      ),
    };
  } catch (error) {
    if (error instanceof DocumentError) throw new PolicyError(file, error.line, error.message);
    throw error;
  }
}
