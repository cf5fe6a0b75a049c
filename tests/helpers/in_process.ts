/** The proxy started in the test process, in front of a recording fake engine. */
import { parseConfig } from "../../lib/config.ts";
import { Logger, MemorySink } from "../../lib/log.ts";
import { type ProxyServer, startProxy } from "../../lib/server.ts";
import { FakeEngine } from "./fake_engine.ts";

export interface TestProxy {
  port: number;
  server: ProxyServer;
  engine: FakeEngine;
  logs: MemorySink;
  /** Log lines so far, joined. */
  logText(): string;
}

/** Runs `fn` with a proxy configured by `env` (LISTEN and SOCKET_PATH are filled in). */
export async function withProxy(
  env: Record<string, string>,
  fn: (proxy: TestProxy) => Promise<void>,
  options: { engine?: FakeEngine; socketPath?: string } = {},
): Promise<void> {
  const engine = options.engine ?? await FakeEngine.start();
  const { config } = parseConfig({
    LISTEN: "127.0.0.1:0",
    SOCKET_PATH: options.socketPath ?? engine.path,
    LOG_LEVEL: "debug",
    ...env,
  });
  const logs = new MemorySink();
  const server = await startProxy(config, {
    logger: new Logger({ level: config.logLevel, sink: logs }),
  });
  const address = server.addresses[0];
  const port = address.transport === "tcp" ? address.port : 0;
  try {
    await fn({ port, server, engine, logs, logText: () => logs.lines.join("") });
  } finally {
    await server.close();
    await engine.close();
  }
}
