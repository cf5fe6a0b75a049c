/**
 * Checkouts of the proxy against each other on the hot path: one private
 * dockerd, each checkout started as `deno task start` starts it (the bench's
 * switches), `GET /_ping` through each with wrk, interleaved round by round
 * (the order rotates every round). For each run it reads the proxy's CPU time
 * (utime + stime in `/proc/<pid>/stat`) over the requests it served: on a
 * shared machine, CPU per request moves far less with the load than
 * requests per second does.
 *
 *   scripts/deno run -A scripts/bench_ab.ts [--rounds 10] [--seconds 3] \
 *     [--conns 10,100] [--path /_ping] [--env POLICY_FILE=<file>,...] \
 *     name=<checkout> name=<checkout> ...
 *
 * A checkout is a directory such as `git worktree add <dir> <rev>` makes; the
 * first is the one the others are compared with, per round and as the median
 * of the per-round ratios. Needs dockerd and wrk, and root for dockerd.
 */

import { freePort, run, startEngine } from "./private_engine.ts";

const args = [...Deno.args];
function option(name: string, fallback: string): string {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const [, value] = args.splice(at, 2);
  return value;
}
const ROUNDS = Number(option("--rounds", "10"));
const SECONDS = Number(option("--seconds", "3"));
const CONNECTIONS = option("--conns", "10,100").split(",").map(Number);
const PATH = option("--path", "/_ping");
/** `--env NAME=VALUE,...`: the proxies' settings instead of the bench's switches. */
const ENV = option("--env", "");
const CLOCK_TICKS = 100; // USER_HZ, what /proc/<pid>/stat counts in

interface Checkout {
  name: string;
  dir: string;
  port: number;
  pid: number;
  child: Deno.ChildProcess | null;
  rps: Record<number, number[]>;
  cpu: Record<number, number[]>;
}

const checkouts: Checkout[] = args.map((arg) => {
  const [name, dir] = arg.split("=");
  if (!name || !dir) throw new Error(`Expected name=<checkout>, got ${arg}`);
  return { name, dir, port: 0, pid: 0, child: null, rps: {}, cpu: {} };
});
if (checkouts.length === 0) {
  console.error("usage: bench_ab.ts [options] name=<checkout> ...");
  Deno.exit(2);
}

function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function load(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function waitFor(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // Not yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${url} did not answer in 30s`);
}

const engine = await startEngine();
const switches: Record<string, string> = ENV === ""
  ? {
    CONTAINERS: "1",
    IMAGES: "1",
    EXEC: "1",
    POST: "1",
    EVENTS: "1",
    PING: "1",
    VERSION: "1",
    LOG_LEVEL: "info",
  }
  : Object.fromEntries(ENV.split(",").map((pair) => pair.split("=", 2)));
try {
  for (const checkout of checkouts) {
    checkout.port = freePort();
    checkout.child = new Deno.Command(Deno.execPath(), {
      args: ["task", "start"],
      cwd: checkout.dir,
      env: { ...switches, SOCKET_PATH: engine.socket, LISTEN: `127.0.0.1:${checkout.port}` },
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitFor(`http://127.0.0.1:${checkout.port}${PATH}`);
    const listening = await run("ss", ["-ltnpH", `sport = :${checkout.port}`]);
    checkout.pid = Number(/pid=(\d+)/.exec(listening)![1]);
    for (const connections of CONNECTIONS) {
      checkout.rps[connections] = [];
      checkout.cpu[connections] = [];
    }
    // Warm up, so that no checkout is measured while V8 still compiles it.
    await run("wrk", ["-t2", "-c10", "-d2s", `http://127.0.0.1:${checkout.port}${PATH}`]);
  }
  console.log(`load at start: ${load()}`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const connections of CONNECTIONS) {
      const order = checkouts.map((_, i) => checkouts[(i + round) % checkouts.length]);
      for (const checkout of order) {
        const before = cpuTicks(checkout.pid);
        const out = await run("wrk", [
          "-t2",
          `-c${connections}`,
          `-d${SECONDS}s`,
          `http://127.0.0.1:${checkout.port}${PATH}`,
        ]);
        const ticks = cpuTicks(checkout.pid) - before;
        if (/Non-2xx/.test(out)) throw new Error(`${checkout.name} answered errors:\n${out}`);
        const requests = Number(/(\d+) requests in/.exec(out)![1]);
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
        const cpu = ticks / CLOCK_TICKS * 1e6 / requests;
        checkout.rps[connections].push(rps);
        checkout.cpu[connections].push(cpu);
        console.log(
          `round ${round + 1}, ${connections} connections, ${checkout.name}: ` +
            `${rps.toFixed(0)} requests/s, ${cpu.toFixed(1)} µs CPU per request (load ${load()})`,
        );
      }
    }
  }
  console.log(`load at the end: ${load()}`);
  const first = checkouts[0];
  const list = (values: number[]) => values.map((value) => value.toFixed(2)).join(" ");
  console.log(
    `\nGET ${PATH}, ${ROUNDS} rounds of ${SECONDS}s; medians, and ratios to ${first.name} ` +
      "within each round:\n",
  );
  console.log(
    "| connections | checkout | requests/s | µs CPU per request | requests/s ratio | " +
      "CPU per request ratio |",
  );
  console.log("| ---: | --- | ---: | ---: | --- | --- |");
  for (const connections of CONNECTIONS) {
    for (const checkout of checkouts) {
      const rps = checkout.rps[connections];
      const cpu = checkout.cpu[connections];
      const rpsRatios = rps.map((value, i) => value / first.rps[connections][i]);
      const cpuRatios = cpu.map((value, i) => value / first.cpu[connections][i]);
      console.log(
        `| ${connections} | ${checkout.name} | ${median(rps).toFixed(0)} | ` +
          `${median(cpu).toFixed(1)} | ${median(rpsRatios).toFixed(2)}x (${list(rpsRatios)}) | ` +
          `${median(cpuRatios).toFixed(2)}x (${list(cpuRatios)}) |`,
      );
    }
  }
} finally {
  for (const checkout of checkouts) {
    if (checkout.child === null) continue;
    try {
      checkout.child.kill("SIGTERM");
    } catch {
      // Gone.
    }
    await checkout.child.status;
  }
  await engine.stop();
}
