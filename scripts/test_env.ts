/**
 * Runs a command (the test suite) next to a private Docker engine and a
 * private Podman API service, then stops both by process id.
 *
 *   deno run -A scripts/test_env.ts deno test -A tests/
 *   deno run -A scripts/test_env.ts --matrix deno test -A tests/
 *   deno run -A scripts/test_env.ts --engines=sid deno test -A tests/e2e_clients_test.ts
 *
 * The command sees:
 *   SP_TEST_DOCKER_SOCKET  the engine's unix socket
 *   SP_TEST_DOCKER_PID     dockerd's process id (to SIGSTOP it: a wedged engine)
 *   SP_TEST_PODMAN_SOCKET  the Podman service's unix socket
 *   SP_TEST_IMAGE          a busybox image imported from Debian's busybox-static
 *   SP_TEST_ENGINE         which engines: `debian12`, `trixie`, `sid` or `sid-min`
 *   SP_TEST_DOCKER_MIN_API_VERSION  `1.44` for `sid-min` (no podman socket there)
 *
 * `--matrix` runs the command against Debian 12's dockerd 20.10 and podman 4.3,
 * then the e2e suites of `engines/engine_matrix.ts` (MATRIX_TESTS) against the
 * newer engines of each suite in MATRIX_SUITES, run as containers of the
 * Debian 12 dockerd, and RAISED_MINIMUM_TESTS against sid's dockerd started
 * with DOCKER_MIN_API_VERSION=1.44 (`sid-min`). `--engines=<list>` (`debian12`,
 * `trixie`, `sid`, `sid-min`) runs the command itself against each named. The exit code is the first
 * failure's; every engine pair runs even after one failed.
 */
import {
  MATRIX_SUITES,
  MATRIX_TESTS,
  prepareTrees,
  RAISED_MINIMUM,
  RAISED_MINIMUM_TESTS,
  startPair,
  startRaisedMinimum,
} from "./engines/engine_matrix.ts";
import { startEngine, startPodman } from "./private_engine.ts";

export const TEST_IMAGE = "sp-busybox:latest";

interface Run {
  engines: string;
  command: string[];
}

function parseArgs(args: string[]): Run[] {
  let matrix = false;
  let engines: string[] | null = null;
  while (args[0]?.startsWith("--")) {
    const flag = args.shift()!;
    if (flag === "--matrix") matrix = true;
    else if (flag.startsWith("--engines=")) engines = flag.slice("--engines=".length).split(",");
    else throw new Error(`unknown flag ${flag} (valid: --matrix, --engines=debian12,trixie,sid)`);
  }
  if (args.length === 0) {
    throw new Error("usage: test_env.ts [--matrix | --engines=<list>] <command> [args...]");
  }
  const raised = `${RAISED_MINIMUM.suite}-min`;
  const valid = ["debian12", ...MATRIX_SUITES, raised];
  for (const name of engines ?? []) {
    if (!valid.includes(name)) {
      throw new Error(`unknown engine pair ${name} (valid: ${valid.join(", ")})`);
    }
  }
  if (!matrix) return (engines ?? ["debian12"]).map((name) => ({ engines: name, command: args }));
  // The matrix: the given command on Debian 12, the e2e suites on the others.
  const [deno, test] = args;
  if (deno !== "deno" || test !== "test") throw new Error("--matrix runs `deno test ...` only");
  const flags = args.slice(2).filter((arg) => arg.startsWith("-"));
  return [
    { engines: "debian12", command: args },
    ...MATRIX_SUITES.map((suite) => ({
      engines: suite,
      command: ["deno", "test", ...flags, ...MATRIX_TESTS],
    })),
    { engines: raised, command: ["deno", "test", ...flags, ...RAISED_MINIMUM_TESTS] },
  ];
}

async function runCommand(
  command: string[],
  env: Record<string, string>,
): Promise<number> {
  const [name, ...args] = command;
  // `deno` is this very Deno, which need not be on the PATH.
  const program = name === "deno" ? Deno.execPath() : name;
  const child = new Deno.Command(program, {
    args,
    env: { ...env, SP_TEST_IMAGE: TEST_IMAGE },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

function seconds(since: number): string {
  return `${Math.round((Date.now() - since) / 1000)}s`;
}

async function main(): Promise<number> {
  const runs = parseArgs([...Deno.args]);
  const suites = [
    ...new Set(
      runs.map((run) => run.engines.replace(/-min$/, "")).filter((name) => name !== "debian12"),
    ),
  ];
  const treesStarted = Date.now();
  const trees = suites.length > 0 ? await prepareTrees(suites) : [];
  if (suites.length > 0) console.error(`test_env: engine trees ready in ${seconds(treesStarted)}`);
  const engine = await startEngine();
  const results: string[] = [];
  let exitCode = 0;
  try {
    await engine.importBusybox(TEST_IMAGE);
    for (const run of runs) {
      const started = Date.now();
      let code: number;
      let label: string;
      if (run.engines === "debian12") {
        const podman = await startPodman(engine.root);
        label = `dockerd 20.10 + podman 4.3 (Debian 12)`;
        console.error(
          `test_env: ${label}: dockerd pid ${engine.pid} on ${engine.socket}, ` +
            `podman on ${podman.socket}`,
        );
        try {
          code = await runCommand(run.command, {
            SP_TEST_DOCKER_SOCKET: engine.socket,
            SP_TEST_DOCKER_PID: String(engine.pid),
            SP_TEST_PODMAN_SOCKET: podman.socket,
            SP_TEST_ENGINE: run.engines,
          });
        } finally {
          await podman.stop();
        }
      } else if (run.engines.endsWith("-min")) {
        const suite = run.engines.replace(/-min$/, "");
        let docker;
        try {
          docker = await startRaisedMinimum(
            engine,
            trees.find((t) => t.suite === suite)!,
            TEST_IMAGE,
            RAISED_MINIMUM.minimum,
          );
        } catch (error) {
          console.error(`test_env: ${run.engines}: ${(error as Error).message}`);
          results.push(`${run.engines}: the engine did not start (${seconds(started)})`);
          exitCode ||= 2;
          continue;
        }
        label = `${docker.label} (Debian ${suite})`;
        console.error(`test_env: ${label}: pid ${docker.pid} on ${docker.socket}`);
        console.error(`test_env: ${label}: ${run.command.join(" ")}`);
        try {
          code = await runCommand(run.command, {
            SP_TEST_DOCKER_SOCKET: docker.socket,
            SP_TEST_DOCKER_MIN_API_VERSION: RAISED_MINIMUM.minimum,
            SP_TEST_ENGINE: run.engines,
          });
        } finally {
          await docker.stop();
        }
      } else {
        let pair;
        try {
          pair = await startPair(engine, trees.find((t) => t.suite === run.engines)!, TEST_IMAGE);
        } catch (error) {
          console.error(`test_env: ${run.engines}: ${(error as Error).message}`);
          results.push(`${run.engines}: the engines did not start (${seconds(started)})`);
          exitCode ||= 2;
          continue;
        }
        label = pair.label;
        console.error(
          `test_env: ${label}: dockerd pid ${pair.docker.pid} on ${pair.docker.socket}, ` +
            `podman pid ${pair.podman.pid} on ${pair.podman.socket}`,
        );
        console.error(`test_env: ${label}: ${run.command.join(" ")}`);
        try {
          code = await runCommand(run.command, {
            SP_TEST_DOCKER_SOCKET: pair.docker.socket,
            SP_TEST_PODMAN_SOCKET: pair.podman.socket,
            SP_TEST_ENGINE: run.engines,
          });
        } finally {
          await pair.stop();
        }
      }
      results.push(
        `${label}: ${code === 0 ? "passed" : `failed (exit ${code})`} in ${seconds(started)}`,
      );
      exitCode ||= code;
    }
  } finally {
    await engine.stop();
  }
  if (runs.length > 1 || suites.length > 0) {
    console.error(`test_env: engines\n${results.map((line) => `  ${line}`).join("\n")}`);
  }
  return exitCode;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`test_env: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
