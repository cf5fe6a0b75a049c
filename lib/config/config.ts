/**
 * Configuration from the environment (the drop-in names and defaults) and from
 * command-line flags, which win over the environment. Pure: the caller passes
 * the environment and the arguments in.
 *
 * `lib/config/`: settings from the environment and flags, typo hints, the policy file's entry.
 * Imports `lib/policy/`, `lib/admission/`, `lib/log/` and below.
 */
import { parseFlags } from "./cli_args.ts";
import { closest } from "../suggest.ts";
import { DURATION_CHOICES, durationMs } from "../duration.ts";
import { ADMISSION_SETTING_NAMES } from "../admission/admission_settings.ts";
import { environmentPolicy } from "../policy/env_policy.ts";
import { FLAG_NAMES, flagDefault, type Flags } from "../policy/flags.ts";
import type { Mode, Policy } from "../policy/profile.ts";
import { PROFILE_SETTING_NAMES, SettingError } from "../policy/profile_settings.ts";
import { defaultListenAddress, type ListenAddress, parseListenList } from "./listen_address.ts";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "../log/log.ts";
import { OpsSettingError, type OpsSettings, parseOpsSettings } from "./ops_settings.ts";
import { settingTypos } from "./setting_typos.ts";
import { DEFAULT_TIME_ZONE, isValidTimeZone } from "../log/timestamp.ts";

export interface Limits {
  /** Longest request line, in bytes (414 past it). */
  maxRequestLine: number;
  /** Largest header block, in bytes (431 past it). */
  maxHeaderBytes: number;
  /** Most header fields in one request (431 past it). */
  maxHeaderCount: number;
  /** Time allowed to send a request head once it has begun, in ms; 0 for none. */
  headerTimeoutMs: number;
  /** Time an idle keep-alive connection is kept, in ms; 0 for none. */
  idleTimeoutMs: number;
  /** Most client connections at once (503 past it). */
  maxConnections: number;
  /** Time in-flight requests get to finish on SIGTERM, in ms. */
  shutdownGraceMs: number;
  /** Time the engine gets to begin its answer to a finite request, in ms; 0 for none. */
  engineTimeoutMs: number;
}

export interface Config {
  /** The switches from the environment (what the start-up summary shows without a policy file). */
  flags: Flags;
  /** The policy from the environment: one profile for every client. */
  policy: Policy;
  /** `POLICY_FILE`/`--policy`: the policy file, which then decides instead. */
  policyFile: string | null;
  /**
   * `PRESET`/`--preset`: a recipe by name, which then decides instead, with
   * `values` (the profile settings the environment changes) over its own.
   */
  preset: { name: string; values: Record<string, string> } | null;
  /** `MODE`: `audit` forwards what would be denied (and logs it), in every profile. */
  mode: Mode;
  socketPath: string;
  listen: ListenAddress[];
  /** Whether `listen` was given (`LISTEN`/`--listen`) rather than the default. */
  listenGiven: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  timeZone: string;
  limits: Limits;
  /** `METRICS_LISTEN`: where Prometheus metrics are served, `null` for nowhere. */
  metricsListen: OpsSettings["metricsListen"];
  /** `TLS_CERT` and `TLS_KEY`: TLS on the TCP listeners, `null` for plain HTTP. */
  tls: OpsSettings["tls"];
  /**
   * `API_VERSION_FLOOR`: requests for an older Docker API version are sent as
   * this one (`[1, 44]`), or refused where that would change them; `null`: off.
   */
  versionFloor: readonly [number, number] | null;
}

export type Command =
  | "serve"
  | "healthcheck"
  | "check"
  | "explain"
  | "learn"
  | "presets"
  | "help"
  | "version";

/** What `explain` and `learn` take besides the configuration. */
export interface CommandOptions {
  /** `explain`: the request's method and target. */
  args: string[];
  /** `explain --client`: the client's address. */
  client?: string;
  /** `explain --listener`: the listener it connects to (as `LISTEN` writes it). */
  listener?: string;
  /** `explain --container name[,label=value...]`: the client's container. */
  container?: string;
  /** `explain --body`: the request's body (JSON), for rules on bodies. */
  body?: string;
  /** `learn --policy-out`: where to write the learned policy (standard output when absent). */
  policyOut?: string;
  /** `healthcheck --ready`: ask for readiness (the engine answers) rather than health. */
  ready?: boolean;
}

export interface ParsedCommandLine {
  command: Command;
  config: Config;
  options: CommandOptions;
  /** Non-fatal remarks to log once the logger exists. */
  warnings: string[];
}

const COMMANDS: Readonly<Record<string, number>> = {
  healthcheck: 0,
  check: 0,
  explain: 2,
  learn: 0,
  presets: 0,
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Settings other than the policy switches: environment name, flag, default. */
const SETTINGS = {
  SOCKET_PATH: { flag: "socket", fallback: "/var/run/docker.sock" },
  LISTEN: { flag: "listen", fallback: "" },
  DISABLE_IPV6: { flag: "disable-ipv6", fallback: "0" },
  LOG_LEVEL: { flag: "log-level", fallback: "info" },
  LOG_FORMAT: { flag: "log-format", fallback: "text" },
  HEADER_TIMEOUT: { flag: "header-timeout", fallback: "10s" },
  IDLE_TIMEOUT: { flag: "idle-timeout", fallback: "60s" },
  SHUTDOWN_TIMEOUT: { flag: "shutdown-timeout", fallback: "10s" },
  ENGINE_TIMEOUT: { flag: "engine-timeout", fallback: "10m" },
  MAX_CONNECTIONS: { flag: "max-connections", fallback: "1024" },
  MAX_REQUEST_LINE: { flag: "max-request-line", fallback: "8192" },
  MAX_HEADER_SIZE: { flag: "max-header-size", fallback: "65536" },
  MAX_HEADERS: { flag: "max-headers", fallback: "100" },
  POLICY_FILE: { flag: "policy", fallback: "" },
  PRESET: { flag: "preset", fallback: "" },
  MODE: { flag: "mode", fallback: "enforce" },
  METRICS_LISTEN: { flag: "metrics-listen", fallback: "" },
  TLS_CERT: { flag: "tls-cert", fallback: "" },
  TLS_KEY: { flag: "tls-key", fallback: "" },
  API_VERSION_FLOOR: { flag: "api-version-floor", fallback: "" },
} as const;
type SettingName = keyof typeof SETTINGS;

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);

/** Parses a boolean the way the drop-in images are configured: `1/0`, `true/false`, `yes/no`, `on/off`. */
export function parseBoolean(name: string, value: string): boolean {
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ConfigError(
    `Invalid value for ${name}: ${JSON.stringify(value)} (use 1/0, true/false, yes/no or on/off)`,
  );
}

/** Parses `10`, `10s`, `1.5s`, `500ms`, `2m`, `1h` or `1m30s` into milliseconds. */
export function parseDuration(name: string, value: string): number {
  const ms = durationMs(value.replace(/^(\s*[0-9.]+)\s+(ms|s|m|h)\s*$/, "$1$2"));
  if (ms === null) {
    throw new ConfigError(
      `Invalid duration for ${name}: ${JSON.stringify(value)} (${DURATION_CHOICES})`,
    );
  }
  return ms;
}

function parseCount(name: string, value: string, min: number): number {
  if (!/^\s*[0-9]+\s*$/.test(value) || Number(value) < min) {
    throw new ConfigError(
      `Invalid value for ${name}: ${JSON.stringify(value)} (want an integer >= ${min})`,
    );
  }
  return Number(value);
}

/**
 * `API_VERSION_FLOOR`: empty for off, or a Docker API version from 1.25 to
 * 1.51 (the versions whose changes `routes/api_versions.ts` lists).
 */
export function parseVersionFloor(name: string, value: string): readonly [number, number] | null {
  const text = value.trim();
  if (text === "" || text === "0" || text.toLowerCase() === "off") return null;
  const match = /^[vV]?1\.([0-9]{1,2})$/.exec(text);
  const minor = match ? Number(match[1]) : -1;
  if (minor < 25 || minor > 51) {
    throw new ConfigError(
      `Invalid value for ${name}: ${
        JSON.stringify(value)
      } (use an API version from 1.25 to 1.51, ` +
        "such as 1.44, or leave it empty for none)",
    );
  }
  return [1, minor];
}

function suggestion(name: string): string {
  return closest(name, FLAG_NAMES);
}

const FLAG_SPEC = {
  strings: [
    ...Object.values(SETTINGS).map((setting) => setting.flag),
    "client",
    "listener",
    "container",
    "body",
    "policy-out",
  ],
  booleans: ["help", "version", "ready"],
  aliases: { h: "help", V: "version" },
};

export const USAGE = `Usage: socket-proxy [command] [options]

A Docker Engine API socket proxy that lets through only the API calls you allow.
Configured like linuxserver's and Tecnativa's socket-proxy images: CONTAINERS=1,
POST=0, ALLOW_START=1, LIBPOD_CONTAINERS=1, ... (see the README for every switch).

Commands:
  (none)                   run the proxy
  healthcheck              ask the running proxy whether it and the engine answer;
                           exit 0 when they do, 1 when not
      --ready              ask whether it is ready instead: its watchdog saw the
                           engine answer an API call in time
  check                    check the configuration (and --policy file) and print the
                           effective profiles; exit 0 when it is valid, 2 when not
  explain METHOD TARGET    the decision on one request: the route and operation, the
                           profile and rule that decide, or what would allow it
      --client <addr>      the client's address (default 127.0.0.1)
      --listener <addr>    the listener it connects to (default: the first of LISTEN)
      --container <spec>   its container: name[,label=value,...]
      --body <json>        its body, for rules on bodies: '{"Cmd":["nginx","-s","reload"]}'
  learn                    read the proxy's JSON access log (LOG_FORMAT=json) on
                           standard input and print the smallest policy that allows
                           exactly what it shows, per client
      --policy-out <file>  write the policy there instead
  presets                  list the recipes usable by name (PRESET, preset:), with
                           the app version each was proven against

Options (each wins over its environment variable):
  --listen <addr,...>      LISTEN: host:port, [v6]:port or unix:/path, a unix socket
                           optionally with ?mode=0660&group=<gid or name>
                           (default [::]:2375, or 0.0.0.0:2375 with DISABLE_IPV6=1)
  --socket <path>          SOCKET_PATH: the engine socket (default /var/run/docker.sock)
  --disable-ipv6 <bool>    DISABLE_IPV6: listen on 0.0.0.0 instead of [::] (default 0)
  --log-level <level>      LOG_LEVEL: debug, info, notice, warning, err, crit, alert,
                           emerg (default info)
  --log-format <format>    LOG_FORMAT: text or json (default text)
  --header-timeout <dur>   HEADER_TIMEOUT: time to send a request head (default 10s)
  --idle-timeout <dur>     IDLE_TIMEOUT: idle keep-alive connections (default 60s)
  --shutdown-timeout <dur> SHUTDOWN_TIMEOUT: grace for in-flight requests (default 10s)
  --engine-timeout <dur>   ENGINE_TIMEOUT: time the engine gets to begin answering a
                           finite request, else 504; streams are exempt (default 10m,
                           0: none)
  --max-connections <n>    MAX_CONNECTIONS: client connections at once (default 1024)
  --max-request-line <n>   MAX_REQUEST_LINE: bytes (default 8192)
  --max-header-size <n>    MAX_HEADER_SIZE: bytes (default 65536)
  --max-headers <n>        MAX_HEADERS: header fields (default 100)
  --policy <file>          POLICY_FILE: a policy file (YAML or JSON) with a profile per
                           client; it decides instead of the switches
  --preset <name>          PRESET: a proven recipe by name (see presets) decides
                           instead of the switches; settings in the environment
                           that change a drop-in default win over the recipe's
  --mode <mode>            MODE: enforce, or audit (forward what would be denied and
                           log it as would-deny) (default enforce)
  --metrics-listen <addr>  METRICS_LISTEN: serve Prometheus metrics at GET /metrics on
                           this host:port, such as 127.0.0.1:9102 (default: off)
  --tls-cert <file>        TLS_CERT: PEM certificate chain; with --tls-key, the TCP
                           listeners speak TLS (unix sockets stay plain)
  --tls-key <file>         TLS_KEY: the certificate's PEM private key
  --api-version-floor <v>  API_VERSION_FLOOR: send requests for older Docker API
                           versions as this one (1.44 for Docker 29), or refuse
                           them where that would change them (default: off)
  -h, --help               print this help
  -V, --version            print the version
`;

/**
 * Parses the command line and the environment. Throws `ConfigError` naming the
 * offending variable or flag.
 */
export function parseCommandLine(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseFlags(args, FLAG_SPEC);
  } catch (error) {
    throw new ConfigError(`Invalid command line: ${(error as Error).message}`);
  }
  const values = parsed.values;
  let command: Command = "serve";
  const [first, ...rest] = parsed.positionals;
  if (first !== undefined) {
    if (!Object.hasOwn(COMMANDS, first)) {
      throw new ConfigError(
        `Unknown command: ${first}${closest(first, Object.keys(COMMANDS))} (try --help)`,
      );
    }
    command = first as Command;
    if (rest.length !== COMMANDS[first]) {
      throw new ConfigError(
        COMMANDS[first] === 0
          ? `Too many arguments: ${rest.join(" ")}`
          : `${first} takes METHOD TARGET, such as: ${first} GET /v1.47/containers/json`,
      );
    }
  }
  if (values.help) command = "help";
  else if (values.version) command = "version";
  const text = (name: string) =>
    typeof values[name] === "string" ? values[name] as string : undefined;
  const options: CommandOptions = {
    args: rest,
    client: text("client"),
    listener: text("listener"),
    container: text("container"),
    body: text("body"),
    policyOut: text("policy-out"),
  };
  if (values.ready === true) options.ready = true;
  if (options.ready && command !== "healthcheck") {
    throw new ConfigError("--ready goes with the healthcheck command: healthcheck --ready");
  }

  const flagValue = (name: SettingName): string | undefined => {
    const value = values[SETTINGS[name].flag];
    return typeof value === "string" ? value : undefined;
  };
  const { config, warnings } = parseConfig(env, flagValue);
  return { command, config, options, warnings };
}

/** Builds the configuration; `override` returns a flag's value, which wins over `env`. */
export function parseConfig(
  env: Readonly<Record<string, string>>,
  override: (name: SettingName) => string | undefined = () => undefined,
): { config: Config; warnings: string[] } {
  const warnings: string[] = [];
  const known = new Set([...FLAG_NAMES, ...ADMISSION_SETTING_NAMES]);
  for (const name of Object.keys(env)) {
    if ((name.startsWith("ALLOW_") || name.startsWith("LIBPOD_")) && !known.has(name)) {
      throw new ConfigError(`Unknown setting ${name}${suggestion(name)}`);
    }
  }
  const flags: Record<string, boolean> = {};
  for (const name of FLAG_NAMES) {
    const value = env[name];
    flags[name] = value === undefined ? flagDefault(name) : parseBoolean(name, value);
  }

  const setting = (name: SettingName): string => {
    const flag = override(name);
    if (flag !== undefined) return flag;
    return env[name] ?? SETTINGS[name].fallback;
  };
  const label = (name: SettingName): string =>
    override(name) !== undefined ? `--${SETTINGS[name].flag}` : name;

  const socketPath = setting("SOCKET_PATH").trim().replace(/^unix:\/\//, "");
  if (!socketPath.startsWith("/")) {
    throw new ConfigError(`Invalid value for ${label("SOCKET_PATH")}: want an absolute path`);
  }
  const disableIpv6 = parseBoolean(label("DISABLE_IPV6"), setting("DISABLE_IPV6"));
  const listenText = setting("LISTEN");
  let listen: ListenAddress[];
  try {
    listen = listenText.trim() === ""
      ? [defaultListenAddress(disableIpv6)]
      : parseListenList(listenText);
  } catch (error) {
    throw new ConfigError(`Invalid value for ${label("LISTEN")}: ${(error as Error).message}`);
  }
  let ops: OpsSettings;
  try {
    ops = parseOpsSettings(setting, label, listen);
  } catch (error) {
    if (error instanceof OpsSettingError) throw new ConfigError(error.message);
    throw error;
  }
  warnings.push(...ops.warnings);
  warnings.push(...settingTypos(env, [...PROFILE_SETTING_NAMES, ...Object.keys(SETTINGS)]));

  let logLevel = setting("LOG_LEVEL").trim().toLowerCase();
  logLevel = { warn: "warning", error: "err", critical: "crit", emergency: "emerg" }[logLevel] ??
    logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(
      `Invalid value for ${label("LOG_LEVEL")}: ${JSON.stringify(setting("LOG_LEVEL"))} (use ${
        LOG_LEVELS.join(", ")
      })`,
    );
  }
  const logFormat = setting("LOG_FORMAT").trim().toLowerCase();
  if (logFormat !== "text" && logFormat !== "json") {
    throw new ConfigError(`Invalid value for ${label("LOG_FORMAT")}: use text or json`);
  }

  let timeZone = DEFAULT_TIME_ZONE;
  const tz = (env.TZ ?? "").replace(/^:/, "").trim();
  if (tz !== "") {
    if (isValidTimeZone(tz)) timeZone = tz;
    else warnings.push(`Unknown time zone TZ=${tz}: logging in ${timeZone}`);
  }

  const limits: Limits = {
    maxRequestLine: parseCount(label("MAX_REQUEST_LINE"), setting("MAX_REQUEST_LINE"), 64),
    maxHeaderBytes: parseCount(label("MAX_HEADER_SIZE"), setting("MAX_HEADER_SIZE"), 256),
    maxHeaderCount: parseCount(label("MAX_HEADERS"), setting("MAX_HEADERS"), 1),
    headerTimeoutMs: parseDuration(label("HEADER_TIMEOUT"), setting("HEADER_TIMEOUT")),
    idleTimeoutMs: parseDuration(label("IDLE_TIMEOUT"), setting("IDLE_TIMEOUT")),
    shutdownGraceMs: parseDuration(label("SHUTDOWN_TIMEOUT"), setting("SHUTDOWN_TIMEOUT")),
    engineTimeoutMs: parseDuration(label("ENGINE_TIMEOUT"), setting("ENGINE_TIMEOUT")),
    maxConnections: parseCount(label("MAX_CONNECTIONS"), setting("MAX_CONNECTIONS"), 1),
  };

  const mode = setting("MODE").trim().toLowerCase();
  if (mode !== "enforce" && mode !== "audit") {
    throw new ConfigError(`Invalid value for ${label("MODE")}: use enforce or audit`);
  }
  const policyFile = setting("POLICY_FILE").trim() || null;
  const presetName = setting("PRESET").trim() || null;
  if (presetName !== null && policyFile !== null) {
    throw new ConfigError(
      `${label("PRESET")}=${presetName} and ${label("POLICY_FILE")} exclude each other: ` +
        `in a policy file, write preset: ${presetName} in a profile`,
    );
  }
  const versionFloor = parseVersionFloor(label("API_VERSION_FLOOR"), setting("API_VERSION_FLOOR"));
  const profileValues: Record<string, string> = {};
  for (const name of PROFILE_SETTING_NAMES) {
    // A setting of the whole proxy that a profile may override is the proxy's here.
    if (Object.hasOwn(SETTINGS, name)) continue;
    if (env[name] !== undefined) profileValues[name] = env[name];
  }
  let policy: Policy;
  try {
    policy = environmentPolicy(profileValues, mode);
  } catch (error) {
    if (error instanceof SettingError) throw new ConfigError(error.message);
    throw error;
  }
  if (policyFile !== null) {
    // The image bakes the drop-in defaults into its environment: only a
    // setting that changes them was meant, and is now in the wrong place.
    for (const [name, value] of Object.entries(profileValues)) {
      const isDefault = FLAG_NAMES.includes(name)
        ? flags[name] === flagDefault(name)
        : name === "HOST_ACCESS" && /^\s*(1|true|yes|on)\s*$/i.test(value);
      if (!isDefault) {
        warnings.push(
          `${name}=${value} in the environment is ignored: the policy file ${policyFile} ` +
            "decides (write it in a profile there)",
        );
      }
    }
  }

  let preset: Config["preset"] = null;
  if (presetName !== null) {
    // The image bakes the drop-in defaults into its environment: a switch at
    // its default was not meant, and would widen the recipe (EVENTS=1).
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(profileValues)) {
      if (!FLAG_NAMES.includes(name) || flags[name] !== flagDefault(name)) values[name] = value;
    }
    preset = { name: presetName, values };
  }

  return {
    config: {
      flags: Object.freeze(flags),
      policy,
      policyFile,
      preset,
      mode,
      socketPath,
      listen,
      listenGiven: listenText.trim() !== "",
      logLevel: logLevel as LogLevel,
      logFormat,
      timeZone,
      limits,
      metricsListen: ops.metricsListen,
      tls: ops.tls,
      versionFloor,
    },
    warnings,
  };
}
