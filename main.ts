/**
 * socket-proxy: a Docker Engine API socket proxy that lets through only the
 * API calls a user allowed. This file only wires the parts together.
 */
import { ConfigError, parseCommandLine, USAGE } from "./lib/config.ts";
import { checkHealth } from "./lib/healthcheck.ts";
import { Logger } from "./lib/log.ts";
import { formatListenAddress } from "./lib/listen_address.ts";
import { missingPermissions, runFlags } from "./lib/permissions.ts";
import { startProxy } from "./lib/server.ts";
import { sleep } from "./lib/timer.ts";
import { describeConfig } from "./lib/summary.ts";
import { VERSION } from "./lib/version.ts";

function fail(message: string, code = 2): never {
  console.error(`socket-proxy: ${message}`);
  Deno.exit(code);
}

function readEnvironment(): Record<string, string> {
  try {
    return Deno.env.toObject();
  } catch {
    return fail("Cannot read the environment: run with --allow-env");
  }
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(Deno.args, readEnvironment());
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const { command, config, warnings } = parsed;
  if (command === "help") {
    console.log(USAGE);
    return;
  }
  if (command === "version") {
    console.log(`socket-proxy ${VERSION}`);
    return;
  }
  if (command === "healthcheck") {
    const result = await checkHealth(config.listen[0]);
    console.log(`${result.healthy ? "healthy" : "unhealthy"}: ${result.detail}`);
    Deno.exit(result.healthy ? 0 : 1);
  }

  const missing = missingPermissions(config);
  if (missing.length > 0) {
    const listen = config.listen.map(formatListenAddress).join(",");
    fail(
      `Not permitted to use the configured addresses (${missing.join(", ")}): this build may ` +
        `only use what it was granted. From source, run it with ` +
        `\`deno run ${
          runFlags(config).join(" ")
        } main.ts\`; for a binary, build one that may with ` +
        `\`deno task compile --listen ${listen} --socket ${config.socketPath}\``,
    );
  }

  const logger = new Logger({
    level: config.logLevel,
    format: config.logFormat,
    timeZone: config.timeZone,
  });
  for (const warning of warnings) logger.warning(warning);
  let server;
  try {
    server = await startProxy(config, { logger });
  } catch (error) {
    logger.error(`Cannot listen: ${(error as Error).message}`);
    await logger.flush();
    Deno.exit(1);
  }
  logger.block("notice", describeConfig(config, server.addresses, VERSION));

  let stopping = false;
  const stop = async (signal: Deno.Signal) => {
    if (stopping) {
      logger.warning(`Received ${signal} again: exiting now`);
      await Promise.race([logger.flush(), sleep(100)]);
      Deno.exit(1);
    }
    stopping = true;
    logger.notice(`Received ${signal}: shutting down`, {
      grace: `${config.limits.shutdownGraceMs / 1000}s`,
      connections: server.connectionCount,
    });
    await server.shutdown();
    logger.notice("Stopped");
    await logger.flush();
    Deno.exit(0);
  };
  // SIGUSR1: one line of live figures, for operators.
  Deno.addSignalListener("SIGUSR1", () => {
    const memory = Deno.memoryUsage();
    const mib = (bytes: number) => Math.round(bytes / 104857.6) / 10;
    logger.notice("Status", {
      connections: server.connectionCount,
      engineConnections: server.pool.open,
      engineIdle: server.pool.idleCount,
      rssMiB: mib(memory.rss),
      heapUsedMiB: mib(memory.heapUsed),
      heapTotalMiB: mib(memory.heapTotal),
      externalMiB: mib(memory.external),
    });
  });
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));

  // Not fatal: the proxy answers 502 until the engine appears.
  try {
    server.pool.release(await server.pool.connect(), Date.now());
  } catch (error) {
    logger.warning(
      `Docker engine not reachable at unix://${config.socketPath}: ${(error as Error).message} ` +
        "(answering 502 until it is)",
    );
  }
}

if (import.meta.main) await main();
