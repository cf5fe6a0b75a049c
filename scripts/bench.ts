/**
 * The benchmark: the bare engine (dockerd on loopback TCP), haproxy with
 * linuxserver's rules, and this proxy started as the README starts it, all in
 * front of one private dockerd, measured in one run and compared as ratios.
 *
 *   scripts/bench                    full run, writes bench/RESULTS.md
 *   scripts/bench --quick            shorter runs, prints the tables only
 *   scripts/bench --baseline <dir>   also measures the checkout in <dir> (an
 *                                    earlier commit: `git worktree add <dir> <rev>`)
 *
 * socket-proxy is measured three times: configured by the environment, with a
 * policy file of 5 profiles x 30 rules where the client matches the last one,
 * and scoped (`CONTAINER_LABELS`: the container list filtered).
 *
 * Needs dockerd, haproxy, wrk and busybox (Debian: docker.io haproxy wrk
 * busybox-static) and root for dockerd.
 */

import { freePort, run, startEngine } from "./private_engine.ts";

const QUICK = Deno.args.includes("--quick");
const BASELINE = Deno.args.includes("--baseline")
  ? Deno.args[Deno.args.indexOf("--baseline") + 1]
  : null;
const SECONDS = QUICK ? 3 : 5;
const ROUNDS = 2;
const STREAM_MIB = QUICK ? 64 : 256;
const WATCHERS = 1000;
const MILLION = QUICK ? 200_000 : 1_000_000;
const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

function log(message: string): void {
  console.error(`bench: ${message}`);
}

async function waitFor(url: string, timeoutMs = 30_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.status === 200) return performance.now() - started;
    } catch {
      // Not yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`${url} did not answer in ${timeoutMs}ms`);
}

/** The pid of the process listening on 127.0.0.1:`port`. */
async function pidOnPort(port: number): Promise<number> {
  const out = await run("ss", ["-ltnpH", `sport = :${port}`]);
  const match = /pid=(\d+)/.exec(out);
  if (!match) throw new Error(`Nothing listens on ${port}`);
  return Number(match[1]);
}

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
}

function millis(text: string): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text)!;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

async function wrk(
  url: string,
  connections: number,
  options: { seconds?: number; method?: string } = {},
): Promise<WrkResult> {
  const args = ["-t2", `-c${connections}`, `-d${options.seconds ?? SECONDS}s`, "--latency"];
  if (options.method) {
    const script = `${ROOT}bench/out/method_${options.method}.lua`;
    await Deno.writeTextFile(script, `wrk.method = "${options.method}"\n`);
    args.push("-s", script);
  }
  const out = await run("wrk", [...args, url]);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (errors) throw new Error(`${url}: ${errors[1]} error responses`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50: millis(/\s50%\s+(\S+)/.exec(out)![1]),
    p99: millis(/\s99%\s+(\S+)/.exec(out)![1]),
    requests: Number(/(\d+) requests in/.exec(out)![1]),
  };
}

interface Target {
  name: string;
  port: number;
  docker: string;
}

/** Operations a bench profile allows besides what the workloads need. */
const FILLER = [
  "ContainerInspect",
  "ContainerTop",
  "ContainerChanges",
  "ContainerStats",
  "ContainerResize",
  "ContainerStart",
  "ContainerStop",
  "ContainerRestart",
  "ContainerPause",
  "ContainerUnpause",
  "ContainerWait",
  "ContainerRename",
  "ImageList",
  "ImageInspect",
  "ImageHistory",
  "ImageSearch",
  "NetworkList",
  "NetworkInspect",
  "VolumeList",
  "VolumeInspect",
  "SystemInfo",
  "SystemVersion",
  "SystemDataUsage",
  "ExecInspect",
]; // deno-fmt-ignore

/** A policy of 5 profiles x 30 rules; 127.0.0.1 (the benchmark's client) matches the last. */
export function benchPolicy(): string {
  const lines = ["profiles:"];
  for (let p = 1; p <= 5; p++) {
    lines.push(`  - name: app${p}`);
    lines.push(`    match: { source: ${p < 5 ? `10.0.0.${p}` : "127.0.0.0/8"} }`);
    lines.push("    rules:");
    for (const operation of FILLER) lines.push(`      - ${operation}`);
    lines.push("      - allow: ContainerKill", "        query: { signal: [SIGHUP, SIGUSR1] }");
    lines.push("      - allow: ContainerLogs", "        query: { follow: false }");
    lines.push("      - SystemEvents", "      - SystemPingHead", "      - ContainerList");
    lines.push("      - SystemPing");
  }
  return lines.join("\n") + "\n";
}

/** Reads an image export through `target`; MiB/s. */
async function exportRate(target: Target, image: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${target.port}/v1.41/images/${image}/get`);
  let bytes = 0;
  for await (const chunk of response.body!) bytes += chunk.length;
  const seconds = (performance.now() - started) / 1000;
  if (bytes < STREAM_MIB * 1024 * 1024) throw new Error(`Export too short: ${bytes}`);
  return bytes / 1024 / 1024 / seconds;
}

/** Sends STREAM_MIB through `docker exec -i cat` and reads it back; MiB/s each way, NaN on failure. */
async function execRate(target: Target, container: string): Promise<number> {
  try {
    return await execOnce(target, container);
  } catch (error) {
    log(`exec through ${target.name} failed: ${(error as Error).message}`);
    return Number.NaN;
  }
}

async function execOnce(target: Target, container: string): Promise<number> {
  const child = new Deno.Command("docker", {
    args: ["-H", target.docker, "exec", "-i", container, "cat"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { DOCKER_CONFIG: `${ROOT}bench/out/docker-config` },
  }).spawn();
  const started = performance.now();
  const chunk = new Uint8Array(1024 * 1024).fill(97);
  const writing = (async () => {
    const writer = child.stdin.getWriter();
    for (let i = 0; i < STREAM_MIB; i++) await writer.write(chunk);
    await writer.close();
  })();
  let bytes = 0;
  for await (const piece of child.stdout) bytes += piece.length;
  const stderr = decoder.decode(await new Response(child.stderr).arrayBuffer());
  await writing.catch(() => {});
  await child.status;
  const seconds = (performance.now() - started) / 1000;
  if (bytes !== STREAM_MIB * 1024 * 1024) {
    throw new Error(`exec returned ${bytes} bytes: ${stderr.trim()}`);
  }
  return STREAM_MIB / seconds;
}

/** Opens `count` idle /events watchers; returns a function that closes them. */
async function openWatchers(port: number, count: number): Promise<() => void> {
  const conns: Deno.Conn[] = [];
  const request = new TextEncoder().encode("GET /v1.41/events HTTP/1.1\r\nHost: bench\r\n\r\n");
  for (let i = 0; i < count; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, count - i) }, async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(request);
      const head = new Uint8Array(1024);
      const n = await conn.read(head);
      if (!n || !decoder.decode(head.subarray(0, n)).startsWith("HTTP/1.1 200")) {
        throw new Error("An /events watcher was not answered 200");
      }
      conns.push(conn);
    }));
  }
  return () => {
    for (const conn of conns) conn.close();
  };
}

async function machine(): Promise<string> {
  const cpu = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "?";
  const memory = Number(/MemTotal:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/meminfo"))![1]);
  const cores = navigator.hardwareConcurrency;
  const kernel = (await run("uname", ["-r"])).trim();
  const versions = [
    `deno ${Deno.version.deno}`,
    (await run("dockerd", ["--version"])).trim().replace("Docker version ", "dockerd "),
    (await run("haproxy", ["-v"])).split("\n")[0].replace(/ - https.*/, ""),
    (await run("sh", ["-c", "wrk --version 2>&1 | head -1"])).split(" [")[0],
  ];
  return `${cores} cores (${cpu}), ${Math.round(memory / 1024 / 1024)} GiB, Linux ${kernel}; ` +
    versions.join(", ");
}

const fmt = (n: number, digits = 0) => Number.isNaN(n) ? "fails" : n.toFixed(digits);
const times = (n: number) => Number.isNaN(n) ? "—" : `${n.toFixed(2)}x`;

async function main() {
  await Deno.mkdir(`${ROOT}bench/out/docker-config`, { recursive: true });
  const ports = { engine: freePort(), haproxy: freePort(), proxy: freePort() };
  const engine = await startEngine({ tcpPort: ports.engine });
  const { root, socket, docker } = engine;
  const children: Deno.ChildProcess[] = [];
  const switches = {
    CONTAINERS: "1",
    IMAGES: "1",
    EXEC: "1",
    POST: "1",
    EVENTS: "1",
    PING: "1",
    VERSION: "1",
    LOG_LEVEL: "info",
  };
  let cleaned: Promise<void> | null = null;
  const cleanUp = () =>
    cleaned ??= (async () => {
      for (const child of children) {
        try {
          child.kill("SIGTERM");
        } catch {
          // Gone.
        }
        await child.status;
      }
      const leftover = (await docker("ps", "-aq")).split("\n").filter(Boolean);
      if (leftover.length > 0) await docker("rm", "-f", ...leftover);
      await engine.stop();
    })();
  // Interrupted: stop what was started before leaving.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => cleanUp().finally(() => Deno.exit(130)));
  }
  try {
    await waitFor(`http://127.0.0.1:${ports.engine}/_ping`);
    log("preparing images and containers");
    await engine.importBusybox("spb-busybox");
    await run("sh", [
      "-c",
      `mkdir -p ${root}/big && head -c ${STREAM_MIB}M /dev/urandom > ${root}/big/blob && ` +
      `tar -C ${root}/big -c . | docker -H unix://${socket} import - spb-big`,
    ]);
    for (let i = 0; i < 5; i++) {
      await docker(
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        `spb-c${i}`,
        ...(i < 3 ? ["--label", "bench.scope=yes"] : []),
        "spb-busybox",
        "sleep",
        "36000",
      );
    }

    log("starting haproxy and socket-proxy");
    const haproxy = new Deno.Command("haproxy", {
      args: ["-db", "-f", `${ROOT}bench/haproxy.cfg`],
      env: { ...switches, SOCKET_PATH: socket, BIND: `127.0.0.1:${ports.haproxy}` },
      stdout: "null",
      stderr: "null",
    }).spawn();
    children.push(haproxy);
    // Started as the README starts it.
    const startProxy = (port: number) =>
      new Deno.Command(Deno.execPath(), {
        args: ["task", "start"],
        cwd: ROOT,
        env: { ...switches, SOCKET_PATH: socket, LISTEN: `127.0.0.1:${port}` },
        stdout: "null",
        stderr: "null",
      }).spawn();
    const startupTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = freePort();
      const child = startProxy(port);
      startupTimes.push(await waitFor(`http://127.0.0.1:${port}/_ping`));
      child.kill("SIGTERM");
      await child.status;
    }
    const haproxyStart: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = freePort();
      const started = performance.now();
      const child = new Deno.Command("haproxy", {
        args: ["-db", "-f", `${ROOT}bench/haproxy.cfg`],
        env: { ...switches, SOCKET_PATH: socket, BIND: `127.0.0.1:${port}` },
        stdout: "null",
        stderr: "null",
      }).spawn();
      await waitFor(`http://127.0.0.1:${port}/_ping`);
      haproxyStart.push(performance.now() - started);
      child.kill("SIGTERM");
      await child.status;
    }
    const proxy = startProxy(ports.proxy);
    children.push(proxy);
    const policyPort = freePort();
    const policyFile = `${ROOT}bench/out/policy.yaml`;
    await Deno.writeTextFile(policyFile, benchPolicy());
    children.push(
      new Deno.Command(Deno.execPath(), {
        args: ["task", "start"],
        cwd: ROOT,
        env: { POLICY_FILE: policyFile, SOCKET_PATH: socket, LISTEN: `127.0.0.1:${policyPort}` },
        stdout: "null",
        stderr: "null",
      }).spawn(),
    );
    const scopedPort = freePort();
    children.push(
      new Deno.Command(Deno.execPath(), {
        args: ["task", "start"],
        cwd: ROOT,
        env: {
          ...switches,
          CONTAINER_LABELS: "bench.scope=yes",
          SOCKET_PATH: socket,
          LISTEN: `127.0.0.1:${scopedPort}`,
        },
        stdout: "null",
        stderr: "null",
      }).spawn(),
    );
    const baselinePort = freePort();
    if (BASELINE !== null) {
      children.push(
        new Deno.Command(Deno.execPath(), {
          args: ["task", "start"],
          cwd: BASELINE,
          env: { ...switches, SOCKET_PATH: socket, LISTEN: `127.0.0.1:${baselinePort}` },
          stdout: "null",
          stderr: "null",
        }).spawn(),
      );
      await waitFor(`http://127.0.0.1:${baselinePort}/_ping`);
    }
    await waitFor(`http://127.0.0.1:${policyPort}/_ping`);
    await waitFor(`http://127.0.0.1:${scopedPort}/_ping`);
    await waitFor(`http://127.0.0.1:${ports.haproxy}/_ping`);
    await waitFor(`http://127.0.0.1:${ports.proxy}/_ping`);
    const proxyPid = await pidOnPort(ports.proxy);
    const haproxyPid = await pidOnPort(ports.haproxy);
    const idle = { proxy: rssMiB(proxyPid), haproxy: rssMiB(haproxyPid) };

    const targets: Target[] = [
      { name: "engine", port: ports.engine, docker: `tcp://127.0.0.1:${ports.engine}` },
      { name: "haproxy", port: ports.haproxy, docker: `tcp://127.0.0.1:${ports.haproxy}` },
      { name: "socket-proxy", port: ports.proxy, docker: `tcp://127.0.0.1:${ports.proxy}` },
    ];
    const rateTargets: Target[] = [
      ...targets,
      { name: "policy", port: policyPort, docker: `tcp://127.0.0.1:${policyPort}` },
      ...(BASELINE === null ? [] : [{
        name: "baseline",
        port: baselinePort,
        docker: `tcp://127.0.0.1:${baselinePort}`,
      }]),
    ];
    const rate: Record<string, Record<string, WrkResult>> = {};
    const workloads: [string, string, number, string?][] = [
      ["GET /_ping, 10 connections", "/_ping", 10],
      ["GET /_ping, 100 connections", "/_ping", 100],
      ["GET /v1.41/containers/json, 50 connections", "/v1.41/containers/json", 50],
      ["HEAD /_ping, 10 connections", "/_ping", 10, "HEAD"],
    ];
    for (const [name, path, connections, method] of workloads) {
      rate[name] = {};
      const scoped = path.includes("/containers/json")
        ? [{ name: "scoped", port: scopedPort, docker: `tcp://127.0.0.1:${scopedPort}` }]
        : [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const target of [...rateTargets, ...scoped]) {
          log(`${name} -> ${target.name} (round ${round + 1})`);
          const result = await wrk(`http://127.0.0.1:${target.port}${path}`, connections, {
            method,
          });
          const best = rate[name][target.name];
          if (!best || result.rps > best.rps) rate[name][target.name] = result;
        }
      }
    }
    const streams: Record<string, Record<string, number>> = { export: {}, exec: {} };
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of targets) {
        log(`${STREAM_MIB} MiB image export and exec -> ${target.name} (round ${round + 1})`);
        streams.export[target.name] = Math.max(
          streams.export[target.name] ?? 0,
          await exportRate(target, "spb-big"),
        );
        const exec = await execRate(target, "spb-c0");
        const best = streams.exec[target.name];
        streams.exec[target.name] = best === undefined || Number.isNaN(best)
          ? exec
          : Math.max(best, exec);
      }
    }
    const afterRun = { proxy: rssMiB(proxyPid), haproxy: rssMiB(haproxyPid) };

    log(`${WATCHERS} idle /events watchers`);
    const watching: Record<string, number> = {};
    for (
      const [name, port, pid] of [["socket-proxy", ports.proxy, proxyPid], [
        "haproxy",
        ports.haproxy,
        haproxyPid,
      ]] as const
    ) {
      const close = await openWatchers(port, WATCHERS);
      watching[name] = rssMiB(pid);
      close();
    }

    log(`${MILLION} requests for memory growth`);
    const before = rssMiB(proxyPid);
    let done = 0;
    while (done < MILLION) {
      done += (await wrk(`http://127.0.0.1:${ports.proxy}/_ping`, 50, { seconds: 10 })).requests;
    }
    const grown = rssMiB(proxyPid) - before;

    // The report.
    const ratio = (name: string, of: string, to: string) => rate[name][of].rps / rate[name][to].rps;
    const lines: string[] = [];
    const date = new Date().toISOString().slice(0, 16).replace("T", " ");
    lines.push("# Benchmark results", "");
    lines.push(`Run on ${date} UTC with \`scripts/bench\`${QUICK ? " --quick" : ""}.`, "");
    lines.push(`Machine: ${await machine()}.`, "");
    lines.push(
      "Three targets in front of the same private dockerd, measured interleaved in one run, best " +
        `of ${ROUNDS} rounds: the engine itself on loopback TCP, haproxy with linuxserver's rules ` +
        "(`bench/haproxy.cfg`), and socket-proxy started with `deno task start`. Both proxies log " +
        "every request, as they do by default. wrk runs with 2 threads for " + `${SECONDS}s.`,
      "",
    );
    lines.push(
      "| workload | engine | haproxy | socket-proxy | vs haproxy | vs engine | target |",
      "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    );
    const targetsFor: Record<string, string> = {
      "GET /_ping, 10 connections": "≥ 1.5x haproxy, ≥ 0.75x engine",
      "GET /_ping, 100 connections": "≥ 1.5x haproxy, ≥ 0.75x engine",
      "GET /v1.41/containers/json, 50 connections": "≥ 1.2x haproxy, ≥ 0.9x engine",
      "HEAD /_ping, 10 connections": "",
    };
    for (const [name] of workloads) {
      const r = rate[name];
      lines.push(
        `| ${name}: requests/s | ${fmt(r.engine.rps)} | ${fmt(r.haproxy.rps)} | ${
          fmt(r["socket-proxy"].rps)
        } | ` +
          `${times(ratio(name, "socket-proxy", "haproxy"))} | ${
            times(ratio(name, "socket-proxy", "engine"))
          } | ${targetsFor[name]} |`,
      );
      lines.push(
        `| ${name}: p50 / p99 ms | ${fmt(r.engine.p50, 2)} / ${fmt(r.engine.p99, 2)} | ` +
          `${fmt(r.haproxy.p50, 2)} / ${fmt(r.haproxy.p99, 2)} | ${
            fmt(r["socket-proxy"].p50, 2)
          } / ${fmt(r["socket-proxy"].p99, 2)} | ` +
          `p99 ${times(r["socket-proxy"].p99 / r.haproxy.p99)} | | ${
            name.includes("_ping") && !name.startsWith("HEAD") ? "p99 ≤ haproxy" : ""
          } |`,
      );
    }
    for (
      const [key, label] of [
        ["export", `${STREAM_MIB} MiB image export (GET /images/{name}/get)`],
        ["exec", `${STREAM_MIB} MiB each way through docker exec -i cat`],
      ]
    ) {
      const s = streams[key];
      lines.push(
        `| ${label}: MiB/s | ${fmt(s.engine)} | ${fmt(s.haproxy)} | ${fmt(s["socket-proxy"])} | ` +
          `${times(s["socket-proxy"] / s.haproxy)} | ${
            times(s["socket-proxy"] / s.engine)
          } | ≥ 0.95x engine |`,
      );
    }
    lines.push("");
    lines.push(
      "socket-proxy with a policy file (5 profiles x 30 rules, the client matching the last; " +
        "`benchPolicy()` in `scripts/bench.ts`)" +
        (BASELINE === null ? "" : ", and the baseline checkout given with `--baseline`") +
        ", in the same run:",
      "",
      `| workload | socket-proxy | with the policy file | policy vs env | policy vs haproxy |${
        BASELINE === null ? "" : " baseline | env vs baseline |"
      }`,
      `| --- | ---: | ---: | ---: | ---: |${BASELINE === null ? "" : " ---: | ---: |"}`,
    );
    for (const [name] of workloads) {
      const r = rate[name];
      lines.push(
        `| ${name}: requests/s | ${fmt(r["socket-proxy"].rps)} | ${fmt(r.policy.rps)} | ${
          times(r.policy.rps / r["socket-proxy"].rps)
        } | ${times(r.policy.rps / r.haproxy.rps)} |${
          BASELINE === null
            ? ""
            : ` ${fmt(r.baseline.rps)} | ${times(r["socket-proxy"].rps / r.baseline.rps)} |`
        }`,
      );
    }
    const list = rate["GET /v1.41/containers/json, 50 connections"];
    lines.push(
      "",
      "Scoped (`CONTAINER_LABELS=bench.scope=yes`: 3 of the 5 containers visible, the list filtered " +
        "by the engine and again by the proxy) against unscoped, same run:",
      "",
      "| workload | unscoped | scoped | scoped vs unscoped | scoped vs haproxy |",
      "| --- | ---: | ---: | ---: | ---: |",
      `| GET /v1.41/containers/json, 50 connections: requests/s | ${
        fmt(list["socket-proxy"].rps)
      } | ${fmt(list.scoped.rps)} | ${times(list.scoped.rps / list["socket-proxy"].rps)} | ${
        times(list.scoped.rps / list.haproxy.rps)
      } |`,
      `| same: p50 / p99 ms | ${fmt(list["socket-proxy"].p50, 2)} / ${
        fmt(list["socket-proxy"].p99, 2)
      } | ${fmt(list.scoped.p50, 2)} / ${fmt(list.scoped.p99, 2)} | | |`,
    );
    lines.push("");
    lines.push("| resources | haproxy | socket-proxy | target |", "| --- | ---: | ---: | --- |");
    lines.push(
      `| resident memory idle, MiB | ${fmt(idle.haproxy, 1)} | ${fmt(idle.proxy, 1)} | ≤ 40 |`,
    );
    lines.push(
      `| resident memory after the run, MiB | ${fmt(afterRun.haproxy, 1)} | ${
        fmt(afterRun.proxy, 1)
      } | |`,
    );
    lines.push(
      `| resident memory with ${WATCHERS} idle /events watchers, MiB | ${
        fmt(watching.haproxy, 1)
      } | ${fmt(watching["socket-proxy"], 1)} | ≤ 80 |`,
    );
    lines.push(
      `| resident memory growth over ${done} more requests, MiB | | ${fmt(grown, 1)} | none |`,
    );
    lines.push(
      `| start to first answered /_ping, ms (best of 3) | ${fmt(Math.min(...haproxyStart))} | ${
        fmt(Math.min(...startupTimes))
      } | ≤ 150 |`,
    );
    lines.push("");
    const report = lines.join("\n");
    console.log(report);
    if (!QUICK) {
      const path = `${ROOT}bench/RESULTS.md`;
      let notes = "";
      try {
        const old = await Deno.readTextFile(path);
        const at = old.indexOf("\n## ");
        if (at >= 0) notes = old.slice(at);
      } catch {
        // First run.
      }
      await Deno.writeTextFile(path, report + notes);
      log(`wrote ${path}`);
    }
  } finally {
    await cleanUp();
  }
}

await main();
