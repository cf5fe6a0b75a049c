/** The proxy started in the test process, in front of a recording fake engine. */
import { parseConfig } from "../../lib/config/config.ts";
import { formatListenAddress } from "../../lib/config/listen_address.ts";
import { Logger, MemorySink } from "../../lib/log/log.ts";
import { loadPolicyFile, presetPolicy } from "../../lib/config/policy_file.ts";
import type { Policy } from "../../lib/policy/profile.ts";
import { type ProxyServer, startProxy } from "../../lib/server/server.ts";
import { FakeEngine } from "./fake_engine.ts";
import type { WatchdogOptions } from "../../lib/engine/engine_watchdog.ts";

export interface TestProxy {
  port: number;
  server: ProxyServer;
  engine: FakeEngine;
  logs: MemorySink;
  /** Log lines so far, joined. */
  logText(): string;
  /** The policy file, when the proxy was given one. */
  policyFile: string | null;
  /** Reads a policy text as the proxy reads its file (for reloads). */
  loadPolicy(text: string): Promise<Policy>;
}

export interface TestProxyOptions {
  engine?: FakeEngine;
  socketPath?: string;
  /** A policy file's text (YAML or JSON); the proxy then runs with it. */
  policy?: string;
  /** The engine watchdog's timing; none by default, which would add requests to the recording. */
  watchdog?: WatchdogOptions;
}

/** Runs `fn` with a proxy configured by `env` (LISTEN and SOCKET_PATH are filled in; PRESET works). */
export async function withProxy(
  env: Record<string, string>,
  fn: (proxy: TestProxy) => Promise<void>,
  options: TestProxyOptions = {},
): Promise<void> {
  const engine = options.engine ?? await FakeEngine.start();
  const { config } = parseConfig({
    LISTEN: "127.0.0.1:0",
    SOCKET_PATH: options.socketPath ?? engine.path,
    LOG_LEVEL: "debug",
    ...env,
  });
  const loadOptions = {
    listeners: config.listen.map(formatListenAddress),
    forceAudit: config.mode === "audit",
  };
  let policyFile: string | null = null;
  const loadPolicy = async (text: string) => {
    policyFile ??= `${await Deno.makeTempDir({ prefix: "sp-policy-" })}/policy.yaml`;
    await Deno.writeTextFile(policyFile, text);
    return await loadPolicyFile(policyFile, loadOptions);
  };
  // As main.ts starts: the policy file's, or PRESET's, or the environment's.
  const policy = options.policy !== undefined
    ? await loadPolicy(options.policy)
    : config.preset !== null
    ? await presetPolicy(config.preset, config.mode)
    : undefined;
  const logs = new MemorySink();
  const server = await startProxy(config, {
    logger: new Logger({ level: config.logLevel, format: config.logFormat, sink: logs }),
    policy,
    watchdog: options.watchdog ?? false,
  });
  const address = server.addresses[0];
  const port = address.transport === "tcp" ? address.port : 0;
  try {
    await fn({
      port,
      server,
      engine,
      logs,
      logText: () => logs.lines.join(""),
      policyFile,
      loadPolicy,
    });
  } finally {
    await server.close();
    await engine.close();
  }
}
