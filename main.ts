/**
 * socket-proxy: a Docker Engine API socket proxy that lets through only the
 * API calls a user allowed. This file only wires the parts together. What only
 * a command uses is imported by that command, so that starting the proxy does
 * not load it.
 */
import {
  type CommandOptions,
  type Config,
  ConfigError,
  parseCommandLine,
  USAGE,
} from "./lib/config/config.ts";
import { formatListenAddress, formatListenSpec } from "./lib/config/listen_address.ts";
import { Logger } from "./lib/log/log.ts";
import { missingPermissions, runFlags } from "./lib/server/permissions.ts";
import { parseAddress } from "./lib/policy/cidr.ts";
import { describePolicy, explainRequest, hostAccessWarnings } from "./lib/policy/explain.ts";
import type { Policy } from "./lib/policy/profile.ts";
import { loadPolicyFile, PolicyFileError, presetPolicy } from "./lib/config/policy_file.ts";
import type { PolicyReloader } from "./lib/server/policy_reloader.ts";
import { routeMatcher, ROUTES } from "./lib/routes/engine_routes.ts";
import { startProxy } from "./lib/server/server.ts";
import { describeConfig } from "./lib/server/summary.ts";
import { sleep } from "./lib/timer.ts";
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

/** The policy in force at start: the policy file's, the preset's, or the environment's. */
async function initialPolicy(config: Config): Promise<Policy> {
  if (config.policyFile === null && config.preset === null) return config.policy;
  try {
    if (config.preset !== null) return await presetPolicy(config.preset, config.mode);
    return await loadPolicyFile(config.policyFile!, loadOptions(config));
  } catch (error) {
    if (error instanceof PolicyFileError) fail(error.message);
    throw error;
  }
}

function loadOptions(config: Config) {
  return { listeners: config.listen.map(formatListenAddress), forceAudit: config.mode === "audit" };
}

/** `explain`: prints the decision; exits 0 when the request would pass, 1 when not. */
async function explain(config: Config, policy: Policy, options: CommandOptions): Promise<never> {
  const [method, target] = options.args;
  const address = options.client ?? "127.0.0.1";
  const parsedAddress = parseAddress(address);
  if (parsedAddress === null && !address.startsWith("unix")) {
    fail(`Invalid --client ${JSON.stringify(address)}: want an IP address`);
  }
  let container = null;
  if (options.container !== undefined) {
    const [name, ...labels] = options.container.split(",");
    container = {
      id: "",
      name: name.replace(/^\//, ""),
      labels: Object.fromEntries(labels.map((label) => {
        const equals = label.indexOf("=");
        return equals < 0 ? [label, ""] : [label.slice(0, equals), label.slice(equals + 1)];
      })),
    };
  }
  const { allowed, lines } = explainRequest(
    policy,
    routeMatcher(),
    {
      listener: options.listener ?? formatListenAddress(config.listen[0]),
      address: parsedAddress,
      container,
    },
    method.toUpperCase(),
    target,
    options.body === undefined ? undefined : {
      text: options.body,
      // Body readers are admission's: loaded for --body only, as the proxy loads them.
      read: (await import("./lib/policy/body_fields.ts")).readBodyFacts,
    },
  );
  console.log(lines.join("\n"));
  Deno.exit(allowed ? 0 : 1);
}

/** `learn`: the policy a JSON access log on standard input shows. */
async function learn(options: CommandOptions): Promise<void> {
  const { learnPolicy } = await import("./lib/policy/learn.ts");
  const text = await new Response(Deno.stdin.readable).text();
  const result = learnPolicy(text.split("\n"), ROUTES);
  if (options.policyOut) await Deno.writeTextFile(options.policyOut, result.text);
  else console.log(result.text.trimEnd());
  console.error(
    `socket-proxy learn: ${result.requests} requests of ${result.clients} client(s)` +
      (result.skipped > 0 ? `, ${result.skipped} other lines skipped` : ""),
  );
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(Deno.args, readEnvironment());
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const { command, config, options, warnings } = parsed;
  if (command === "help") {
    console.log(USAGE);
    return;
  }
  if (command === "version") {
    console.log(`socket-proxy ${VERSION}`);
    return;
  }
  if (command === "healthcheck") {
    const { checkHealth } = await import("./lib/server/healthcheck.ts");
    const ready = options.ready === true;
    const result = await checkHealth(config.listen[0], { tls: config.tls, ready });
    const [yes, no] = ready ? ["ready", "not ready"] : ["healthy", "unhealthy"];
    console.log(`${result.healthy ? yes : no}: ${result.detail}`);
    Deno.exit(result.healthy ? 0 : 1);
  }
  if (command === "learn") return await learn(options);
  if (command === "presets") {
    const { presetListing } = await import("./lib/policy/presets.ts");
    console.log(presetListing().join("\n"));
    return;
  }

  const policy = await initialPolicy(config);
  if (command === "check") {
    for (const warning of [...warnings, ...hostAccessWarnings(policy, routeMatcher())]) {
      console.error(`warning: ${warning}`);
    }
    console.log(describePolicy(policy).join("\n"));
    return;
  }
  if (command === "explain") await explain(config, policy, options);

  const missing = missingPermissions(config);
  if (missing.length > 0) {
    const listen = config.listen.map(formatListenSpec).join(",");
    const dirs = new Set(
      [config.policyFile, config.tls?.certFile, config.tls?.keyFile].filter((file) => !!file)
        .map((file) => file!.slice(0, file!.lastIndexOf("/")) || "/"),
    );
    const dir = [...dirs].join(",");
    const metrics = config.metricsListen === null
      ? ""
      : ` --metrics-listen ${formatListenAddress(config.metricsListen)}`;
    fail(
      `Not permitted to use the configured addresses (${missing.join(", ")}): this build may ` +
        `only use what it was granted. From source, run it with ` +
        `\`deno run ${
          runFlags(config).join(" ")
        } main.ts\`; for a binary, build one that may with ` +
        `\`deno task compile --listen ${listen} --socket ${config.socketPath}` +
        `${dir ? ` --config-dir ${dir}` : ""}${metrics}\``,
    );
  }

  const logger = new Logger({
    level: config.logLevel,
    format: config.logFormat,
    timeZone: config.timeZone,
  });
  for (const warning of [...warnings, ...hostAccessWarnings(policy, routeMatcher())]) {
    logger.warning(warning);
  }
  let server;
  try {
    server = await startProxy(config, { logger, policy });
  } catch (error) {
    logger.error(`Cannot listen: ${(error as Error).message}`);
    await logger.flush();
    Deno.exit(1);
  }
  logger.block(
    "notice",
    describeConfig(config, server.addresses, VERSION, policy, server.metricsAddress),
  );

  let reloader: PolicyReloader | null = null;
  if (config.policyFile !== null) {
    const { PolicyReloader } = await import("./lib/server/policy_reloader.ts");
    reloader = new PolicyReloader(config.policyFile, loadOptions(config), server, logger);
    server.metrics?.watchReloads(reloader);
    reloader.start(await Deno.readTextFile(config.policyFile).catch(() => null));
  }

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
    await reloader?.stop();
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
  // SIGHUP: reload the policy file (without one, there is nothing to reload).
  Deno.addSignalListener("SIGHUP", () => {
    if (reloader === null) {
      logger.notice("Received SIGHUP: nothing to reload, the environment configures the proxy");
    } else {
      reloader.reload("SIGHUP");
    }
  });
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  // An engine that is not there at start is not fatal: the watchdog (started
  // with the server) logs it, and the proxy answers 502 until the engine answers.
}

if (import.meta.main) await main();
