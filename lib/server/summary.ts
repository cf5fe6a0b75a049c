/** The start-up summary: the effective policy in one readable block. */
import type { Config } from "../config/config.ts";
import {
  ACTION_FLAGS,
  DOCKER_SECTIONS,
  GUARDED_ACTIONS,
  LIBPOD_CONTAINER_ACTION_FLAGS,
  LIBPOD_POD_ACTION_FLAGS,
  LIBPOD_SECTIONS,
} from "../policy/flags.ts";
import { formatListenAddress, type ListenAddress } from "../config/listen_address.ts";
import { describeProfile } from "../policy/explain.ts";
import type { Policy } from "../policy/profile.ts";

function onOf(config: Config, names: Iterable<string>): string {
  const on = [...new Set(names)].filter((name) => config.flags[name]);
  return on.length === 0 ? "none" : on.join(" ");
}

function seconds(ms: number): string {
  return ms === 0 ? "none" : `${ms / 1000}s`;
}

/** Lines describing what `config` allows, where it listens and which engine it guards. */
export function describeConfig(
  config: Config,
  addresses: ListenAddress[],
  version: string,
  policy: Policy = config.policy,
  metricsAddress: ListenAddress | null = config.metricsListen,
): string[] {
  const { flags, limits } = config;
  const guarded = Object.entries(GUARDED_ACTIONS);
  const limitLine = `  limits:     ${limits.maxConnections} connections, head timeout ${
    seconds(limits.headerTimeoutMs)
  }, idle timeout ${seconds(limits.idleTimeoutMs)}, shutdown grace ${
    seconds(limits.shutdownGraceMs)
  }, engine timeout ${seconds(limits.engineTimeoutMs)}`;
  const head = [
    `socket-proxy ${version} listening on ${addresses.map(formatListenAddress).join(", ")}`,
    `  engine:     unix://${config.socketPath}`,
    ...(config.tls === null
      ? []
      : [`  tls:        on TCP listeners, certificate ${config.tls.certFile}`]),
    ...(metricsAddress === null
      ? []
      : [`  metrics:    http://${formatListenAddress(metricsAddress)}/metrics`]),
  ];
  if (policy.file !== null) {
    return [
      ...head,
      `  policy:     ${policy.file}: ${policy.profiles.length} profile(s), first match wins, ` +
      "nothing for any other client",
      ...policy.profiles.flatMap((profile) => describeProfile(profile).map((line) => "  " + line)),
      limitLine,
    ];
  }
  const mode = policy.profiles[0]?.mode === "audit"
    ? ["  mode:       audit (MODE=audit): what would be denied is forwarded and logged"]
    : [];
  return [
    ...head,
    ...mode,
    `  methods:    ${flags.POST ? "all (POST=1)" : "GET and HEAD only (POST=0, read-only)"}`,
    `  sections:   ${onOf(config, Object.values(DOCKER_SECTIONS).sort())}`,
    `  actions:    ${onOf(config, Object.values(ACTION_FLAGS).flat())} (POST /containers/{id}/...)`,
    `  container:  ${
      guarded.map(([action, flag]) => `${action} ${flags[flag] ? "allowed" : "refused"}`).join(", ")
    }`,
    `  exec:       ${flags.EXEC ? "allowed (EXEC=1)" : "refused (EXEC=0)"}`,
    `  libpod:     ${
      onOf(config, [
        ...Object.values(LIBPOD_SECTIONS).sort(),
        ...LIBPOD_CONTAINER_ACTION_FLAGS,
        ...LIBPOD_POD_ACTION_FLAGS,
      ])
    }`,
    limitLine,
  ];
}
