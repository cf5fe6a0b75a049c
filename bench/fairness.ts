/**
 * Fairness between clients: a noisy client on 127.0.0.2 sends
 * `GET /containers/json?all=1&size=1` on 64 keep-alive connections while a
 * quiet client on 127.0.0.1 sends `GET /containers/json` on 2 (wrk). The quiet
 * client's rate is measured alone and during the flood, through a proxy with
 * the per-client limits off (`MAX_CLIENT_REQUESTS=0`, the unlimited case) and
 * with the defaults, interleaved in one run, and compared as ratios.
 *
 *   scripts/deno run -A bench/fairness.ts [--seconds 5] [--rounds 3]
 *
 * Needs root for dockerd, wrk and busybox (as `scripts/bench`).
 */
import { freePort, run, startEngine } from "../scripts/private_engine.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const arg = (name: string, fallback: number) =>
  Deno.args.includes(name) ? Number(Deno.args[Deno.args.indexOf(name) + 1]) : fallback;
const SECONDS = arg("--seconds", 5);
const ROUNDS = arg("--rounds", 3);
const NOISY_CONNECTIONS = arg("--noisy", 64);
const QUIET = "/containers/json";
const NOISY = "/containers/json?all=1&size=1";

function log(message: string): void {
  console.error(`fairness: ${message}`);
}

export interface QuietResult {
  rps: number;
  p99: number;
}

function millis(text: string): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text)!;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

/** The quiet client: wrk, 1 thread, 2 connections, from 127.0.0.1. */
export async function quiet(port: number, seconds: number): Promise<QuietResult> {
  const out = await run("wrk", [
    "-t1",
    "-c2",
    `-d${seconds}s`,
    "--latency",
    `http://127.0.0.1:${port}${QUIET}`,
  ]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
  const p99 = millis(/\s99%\s+(\S+)/.exec(out)![1]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) log(`quiet client got ${non2xx[1]} non-2xx answers`);
  return { rps, p99 };
}

/**
 * Starts the noisy client; `flooding` resolves once every one of its connections has had an
 * answer (Deno's start-up is over), `stop()` with what it counted.
 */
export function noisy(
  port: number,
  connections = NOISY_CONNECTIONS,
): { flooding: Promise<void>; stop(): Promise<{ ok: number; limited: number; other: number }> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}bench/flood_client.ts`,
      "127.0.0.2",
      `127.0.0.1:${port}`,
      String(connections),
      NOISY,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const flooding = (async () => {
    let text = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.includes("flooding")) break;
    }
    if (!text.includes("flooding")) throw new Error(`The noisy client did not start: ${text}`);
  })();
  return {
    flooding,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      return JSON.parse(await stdout);
    },
  };
}

/** Waits until the proxy on `port` answers `/_ping`. */
async function ready(port: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/_ping`);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`The proxy on ${port} did not start`);
}

async function main() {
  const engine = await startEngine();
  const children: Deno.ChildProcess[] = [];
  try {
    log("preparing 5 containers");
    await engine.importBusybox("spf-busybox");
    for (let i = 0; i < 5; i++) {
      await engine.docker("run", "-d", "--network", "none", "spf-busybox", "sleep", "36000");
    }
    const start = async (env: Record<string, string>) => {
      const port = freePort();
      const child = new Deno.Command(Deno.execPath(), {
        args: ["task", "start"],
        cwd: ROOT,
        env: {
          CONTAINERS: "1",
          SOCKET_PATH: engine.socket,
          LISTEN: `127.0.0.1:${port}`,
          LOG_LEVEL: "warning",
          ...env,
        },
        stdout: "null",
        stderr: "null",
      }).spawn();
      children.push(child);
      await ready(port);
      return port;
    };
    const targets = {
      unlimited: await start({ MAX_CLIENT_REQUESTS: "0", RATE_LIMIT: "0" }),
      defaults: await start({}),
    };
    const results: Record<string, { alone: number[]; flood: number[]; p99: number[] }> = {};
    for (const name of Object.keys(targets)) results[name] = { alone: [], flood: [], p99: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, port] of Object.entries(targets)) {
        const alone = await quiet(port, SECONDS);
        const flood = noisy(port);
        await flood.flooding;
        await quiet(port, 1); // the flood settles
        const during = await quiet(port, SECONDS);
        const counted = await flood.stop();
        log(
          `round ${round + 1} ${name}: quiet alone ${alone.rps.toFixed(0)}/s, during the flood ` +
            `${during.rps.toFixed(0)}/s (p99 ${during.p99} ms); noisy ${JSON.stringify(counted)}`,
        );
        results[name].alone.push(alone.rps);
        results[name].flood.push(during.rps);
        results[name].p99.push(during.p99);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
    const fixed = (n: number) => n.toFixed(0);
    const lines = [
      "| round | limits off: quiet alone | during the flood | defaults: quiet alone | during the flood " +
      "| defaults: flood vs alone | defaults vs limits off, during the flood |",
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ];
    const alone: number[] = [];
    const versus: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const off = { alone: results.unlimited.alone[round], flood: results.unlimited.flood[round] };
      const on = { alone: results.defaults.alone[round], flood: results.defaults.flood[round] };
      alone.push(on.flood / on.alone);
      versus.push(on.flood / off.flood);
      lines.push(
        `| ${round + 1} | ${fixed(off.alone)} | ${fixed(off.flood)} | ${fixed(on.alone)} | ` +
          `${fixed(on.flood)} | ${(on.flood / on.alone).toFixed(2)}x | ` +
          `${(on.flood / off.flood).toFixed(1)}x |`,
      );
    }
    lines.push(
      `| median | | | | | ${median(alone).toFixed(2)}x | ${median(versus).toFixed(1)}x |`,
      "",
      `quiet p99 during the flood (median): limits off ${median(results.unlimited.p99)} ms, ` +
        `defaults ${median(results.defaults.p99)} ms`,
    );
    console.log(lines.join("\n"));
  } finally {
    for (const child of children) {
      child.kill("SIGTERM");
      await child.status;
    }
    await engine.stop();
  }
}

if (import.meta.main) await main();
