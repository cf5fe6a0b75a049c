/**
 * Warnings for environment variables that look like a misspelt setting
 * (`CONTAINRES=1`, `SOCKETPATH=...`, `LOG_LEVLE=debug`). Pure.
 *
 * The environment of a container holds much besides the proxy's settings — the
 * image's and the shell's variables, Kubernetes service links, whatever a
 * compose file sets for every service — so a name is reported only when all of
 * these hold:
 *
 * - it is upper case (`container=podman` is not a setting), not a setting, and
 *   not a well-known name or prefix (`PATH`, `LC_*`, `DOCKER_*`, ...) or a
 *   Kubernetes or Docker-link service variable (`WEB_SERVICE_HOST`, `DB_PORT_5432_TCP`);
 * - it is one typo from a setting (a letter added, dropped, changed, or two
 *   swapped), two for settings of 8 characters or more, and at least 4 long;
 * - its value would suit that setting: `PORT=8080` is not `POST`, `IMAGE=nginx`
 *   is not `IMAGES`, but `IMAGE=1` is. Settings that take any text
 *   (`CONTAINER_NAMES`, `OWNER`, ...) are never guessed: `CONTAINER_NAME=web`
 *   is as likely another program's variable as a typo.
 *
 * A setting's name in lower case is reported too: names are case-sensitive.
 */
import { LOG_LEVELS } from "../log/log.ts";
import { FLAG_NAMES } from "../policy/flags.ts";
import { typoDistance } from "../suggest.ts";

const COMMON_NAMES = new Set([
  "PATH",
  "HOME",
  "HOSTNAME",
  "HOST",
  "PORT",
  "TERM",
  "TZ",
  "LANG",
  "LANGUAGE",
  "PWD",
  "OLDPWD",
  "SHLVL",
  "SHELL",
  "USER",
  "LOGNAME",
  "MAIL",
  "EDITOR",
  "VISUAL",
  "PAGER",
  "TMPDIR",
  "TEMP",
  "TMP",
  "UID",
  "GID",
  "PUID",
  "PGID",
  "UMASK",
  "DEBUG",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
]);

const COMMON_PREFIXES = [
  "LC_",
  "DOCKER_",
  "KUBERNETES_",
  "XDG_",
  "DENO_",
  "SSH_",
  "GIT_",
  "NPM_",
  "NODE_",
  "SYSTEMD_",
];

/** Kubernetes service links and Docker's legacy container links. */
const SERVICE_VARIABLE =
  /_(?:SERVICE_(?:HOST|PORT)(?:_[A-Z0-9_]+)?|PORT(?:_[0-9]+_(?:TCP|UDP|SCTP)(?:_(?:PROTO|PORT|ADDR))?)?|ENV_[A-Z0-9_]+)$/;

const BOOLEAN = /^(?:1|0|true|false|yes|no|on|off)$/i;
const DURATION = /^\s*[0-9]+(?:\.[0-9]+)?\s*(?:ms|s|m)?\s*$/;
const COUNT = /^\s*[0-9]+\s*$/;
const PATH_VALUE = /^\s*(?:unix:\/\/)?\//;
const ADDRESS = /:/;

/** What a value of each setting looks like; settings not listed take anything. */
const VALUE_SHAPES: Readonly<Record<string, RegExp>> = {
  DISABLE_IPV6: BOOLEAN,
  HOST_ACCESS: BOOLEAN,
  SCRUB_ENVS: BOOLEAN,
  MODE: /^\s*(?:enforce|audit)\s*$/i,
  LOG_FORMAT: /^\s*(?:text|json)\s*$/i,
  LOG_LEVEL: new RegExp(
    `^\\s*(?:${[...LOG_LEVELS, "warn", "error", "critical", "emergency"].join("|")})\\s*$`,
    "i",
  ),
  HEADER_TIMEOUT: DURATION,
  IDLE_TIMEOUT: DURATION,
  SHUTDOWN_TIMEOUT: DURATION,
  MAX_CONNECTIONS: COUNT,
  MAX_REQUEST_LINE: COUNT,
  MAX_HEADER_SIZE: COUNT,
  MAX_HEADERS: COUNT,
  SOCKET_PATH: PATH_VALUE,
  POLICY_FILE: PATH_VALUE,
  PRESET: /^\s*[a-z][a-z0-9_.-]*\s*$/, // a recipe's name (the table is not loaded for this)
  TLS_CERT: PATH_VALUE,
  TLS_KEY: PATH_VALUE,
  LISTEN: ADDRESS,
  METRICS_LISTEN: ADDRESS,
  API_VERSION_FLOOR: /^\s*[vV]?1\.[0-9]+\s*$/,
  MAX_BODY_SIZE: /^\s*[0-9]+(?:\.[0-9]+)?\s*(?:[kmgKMG]i?)?[bB]?\s*$/,
  MAX_CLIENT_REQUESTS: COUNT,
  MAX_CLIENT_STREAMS: COUNT,
  RATE_LIMIT: /^\s*[0-9]+(?:\.[0-9]+)?\s*$/,
  RATE_BURST: COUNT,
  PROTECT_SELF: BOOLEAN,
};
for (const name of FLAG_NAMES) {
  (VALUE_SHAPES as Record<string, RegExp>)[name] = BOOLEAN;
}

function ignored(name: string): boolean {
  return COMMON_NAMES.has(name) || COMMON_PREFIXES.some((prefix) => name.startsWith(prefix)) ||
    SERVICE_VARIABLE.test(name) || name.startsWith("ALLOW_") || name.startsWith("LIBPOD_");
}

/**
 * The settings by the shape of their values and the length of their names
 * (positions in the list given): a name is compared only with the settings
 * whose values look like its own and whose names are as long, give or take
 * two (the distance is at least the difference in length). This runs for
 * every variable at start, and comparing each with every setting would be
 * work enough for V8 to spend megabytes optimizing it.
 */
type SettingIndex = Map<RegExp, Map<number, number[]>>;

function indexSettings(settings: readonly string[]): SettingIndex {
  const index: SettingIndex = new Map();
  settings.forEach((setting, i) => {
    const shape = VALUE_SHAPES[setting];
    if (setting.length < 4 || shape === undefined) return;
    let lengths = index.get(shape);
    if (lengths === undefined) index.set(shape, lengths = new Map());
    const positions = lengths.get(setting.length);
    if (positions === undefined) lengths.set(setting.length, [i]);
    else positions.push(i);
  });
  return index;
}

function likelyIn(
  index: SettingIndex,
  settings: readonly string[],
  name: string,
  value: string,
): string {
  if (name.length < 4 || !/^[A-Z][A-Z0-9_]*$/.test(name) || ignored(name)) return "";
  const letters = new Set(name);
  let best = -1;
  let bestDistance = Infinity;
  for (const [shape, lengths] of index) {
    if (!shape.test(value)) continue;
    for (let length = name.length - 2; length <= name.length + 2; length++) {
      for (const i of lengths.get(length) ?? []) {
        const setting = settings[i];
        const allowed = setting.length >= 8 ? 2 : 1;
        if (Math.abs(name.length - length) > allowed) continue;
        // Each character one of the names has and the other lacks takes an edit of its own.
        const its = new Set(setting);
        if (letters.difference(its).size > allowed || its.difference(letters).size > allowed) {
          continue;
        }
        const distance = typoDistance(name, setting, allowed);
        if (distance === 0 || distance > allowed) continue;
        // The nearest setting; of those as near, the first in the list.
        if (distance < bestDistance || (distance === bestDistance && i < best)) {
          best = i;
          bestDistance = distance;
        }
      }
    }
  }
  return best < 0 ? "" : settings[best];
}

/** The setting `name` is most likely a misspelling of, or `""`. */
export function likelySetting(name: string, value: string, known: readonly string[]): string {
  return likelyIn(indexSettings(known), known, name, value);
}

/** One warning per variable in `env` that looks like a misspelt name of `known` settings. */
export function settingTypos(
  env: Readonly<Record<string, string>>,
  known: Iterable<string>,
): string[] {
  const settings = [...new Set(known)];
  const exact = new Set(settings);
  const upper = new Map(settings.map((name) => [name.toUpperCase(), name]));
  const index = indexSettings(settings);
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (exact.has(name)) continue;
    const sameLetters = upper.get(name.toUpperCase());
    if (sameLetters !== undefined) {
      warnings.push(
        `${name} is not a setting and is ignored: did you mean ${sameLetters}? ` +
          "(names are upper case)",
      );
      continue;
    }
    const setting = likelyIn(index, settings, name, value);
    if (setting !== "") {
      warnings.push(`${name} is not a setting and is ignored: did you mean ${setting}?`);
    }
  }
  return warnings;
}
