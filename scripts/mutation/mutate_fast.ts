/**
 * Mutation testing in process: the same mutants as `deno task mutate` (Stryker's
 * instrumenter, the groups of stryker.config.mjs, the same test files), run in
 * a few workers that import the tests once and switch the active mutant between
 * runs, as Stryker's in-process runners do, instead of one `deno test` process
 * per mutant. A group takes seconds to minutes instead of up to an hour:
 *
 *   deno task mutate:fast <group>...    (MUTATE_CONCURRENCY workers, default 2)
 *
 * Mutants in code that runs while modules load (constant tables, regexes) get
 * a fresh worker each, with the mutant set before the imports; mutants no test
 * reaches are reported as NoCoverage without a run; a run past its limit is a
 * Timeout, and its worker is replaced. After each mutant the unmutated tests
 * run again in the same worker, and the worker is replaced when they fail: a
 * mutant that left a module's state broken (a cache filled wrongly, a lazily
 * built table) cannot make the next one look killed. Writes
 * reports/mutation/<group>.json in Stryker's format, which
 * scripts/mutation/mutation_summary.ts and scripts/mutation/mutation_recheck.ts read;
 * `deno task mutate:recheck` re-tests survivors in processes of their own,
 * and `deno task mutate` remains the reference.
 */

import { sandbox, testCommand } from "./mutation_recheck.ts";

interface Mutant {
  id: string;
  fileName: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
  status?: string;
  statusReason?: string;
}

type Reply =
  | { kind: "loaded"; error: string | null; covered: string[] }
  | { kind: "ran"; failure: string | null; covered: string[] };

const root = new URL("../../", import.meta.url).pathname;
const concurrency = Number(Deno.env.get("MUTATE_CONCURRENCY") ?? "2");
const LOAD_LIMIT_MS = 60_000;

/** The group's test files and mutate patterns, from stryker.config.mjs. */
async function groupOf(group: string): Promise<{ tests: string[]; mutate: string[] }> {
  const command = await testCommand(group);
  const config = await import(`../../stryker.config.mjs?group=${group}`);
  return {
    tests: command.split(" ").filter((word) => word.endsWith(".ts")),
    mutate: config.GROUPS[group].mutate,
  };
}

/** `lib/x.ts`, `lib/x.ts:10-20` or `lib/dir/**\/*.ts` as files with line ranges. */
async function expandMutate(
  patterns: string[],
): Promise<{ name: string; ranges?: [number, number][] }[]> {
  const files = new Map<string, [number, number][] | undefined>();
  for (const pattern of patterns) {
    const [path, range] = pattern.split(":");
    if (path.includes("*")) {
      const dir = path.slice(0, path.indexOf("*")).replace(/\/$/, "");
      for await (const name of walk(`${root}${dir}`)) {
        if (name.endsWith(".ts")) files.set(`${dir}/${name}`, undefined);
      }
    } else if (range === undefined) {
      files.set(path, undefined);
    } else {
      const [from, to] = range.split("-").map(Number);
      files.set(path, [...(files.get(path) ?? []), [from, to]]);
    }
  }
  return [...files].sort().map(([name, ranges]) => ranges ? { name, ranges } : { name });
}

async function* walk(dir: string, prefix = ""): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) yield* walk(`${dir}/${entry.name}`, `${prefix}${entry.name}/`);
    else yield `${prefix}${entry.name}`;
  }
}

async function instrument(
  dir: string,
  files: { name: string; ranges?: [number, number][] }[],
): Promise<Mutant[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-lock",
      "--node-modules-dir=manual",
      "scripts/mutation/mutation_instrument.mjs",
    ],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify({ root, out: dir, files })));
  await writer.close();
  const { code, stdout } = await child.output();
  if (code !== 0) throw new Error("mutate_fast: the instrumenter failed");
  return JSON.parse(new TextDecoder().decode(stdout));
}

/** A test worker with its test files loaded; `preset` is active while they load. */
class Lane {
  #worker: Worker | null = null;
  #pending: ((reply: Reply | "timeout" | "error") => void) | null = null;

  constructor(readonly dir: string, readonly tests: string[]) {}

  #ask(message: unknown, limit: number): Promise<Reply | "timeout" | "error"> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending = null;
        this.stop();
        resolve("timeout");
      }, limit);
      this.#pending = (reply) => {
        clearTimeout(timer);
        this.#pending = null;
        resolve(reply);
      };
      this.#worker!.postMessage(message);
    });
  }

  async start(preset: string | null): Promise<Reply | "timeout" | "error"> {
    this.stop();
    const worker = new Worker(`file://${this.dir}/scripts/mutation/mutation_worker.ts`, {
      type: "module",
    });
    worker.onmessage = (event: MessageEvent<Reply>) => this.#pending?.(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.stop();
      this.#pending?.("error");
    };
    this.#worker = worker;
    const files = this.tests.map((test) => `file://${this.dir}/${test}`);
    return await this.#ask({ kind: "load", files, preset }, LOAD_LIMIT_MS);
  }

  run(mutant: string | null, limit: number): Promise<Reply | "timeout" | "error"> {
    return this.#ask({ kind: "run", mutant }, limit);
  }

  get alive(): boolean {
    return this.#worker !== null;
  }

  stop(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }
}

function statusOf(reply: Reply | "timeout" | "error"): [string, string] {
  if (reply === "timeout") return ["Timeout", "ran past its limit"];
  if (reply === "error") return ["Killed", "the worker failed"];
  if (reply.kind === "loaded") {
    return reply.error === null ? ["Survived", ""] : ["Killed", reply.error];
  }
  return reply.failure === null ? ["Survived", ""] : ["Killed", reply.failure];
}

async function mutateGroup(group: string): Promise<void> {
  const started = Date.now();
  const { tests, mutate } = await groupOf(group);
  const files = await expandMutate(mutate);
  const dir = await sandbox("mutate-fast-");
  console.error(`mutate_fast: ${group}: instrumenting ${files.length} files in ${dir}`);
  const mutants = await instrument(dir, files);
  console.error(`mutate_fast: ${group}: ${mutants.length} mutants`);

  // Which mutants run at load, and which the unmutated tests reach at all.
  const probe = new Lane(dir, tests);
  const loaded = await probe.start(null);
  if (loaded === "timeout" || loaded === "error" || loaded.kind !== "loaded" || loaded.error) {
    throw new Error(`mutate_fast: the ${group} tests do not load: ${JSON.stringify(loaded)}`);
  }
  const atLoad = new Set(loaded.covered);
  const t0 = Date.now();
  const baseline = await probe.run(null, LOAD_LIMIT_MS);
  if (
    baseline === "timeout" || baseline === "error" || baseline.kind !== "ran" || baseline.failure
  ) {
    throw new Error(`mutate_fast: the ${group} tests fail unmutated: ${JSON.stringify(baseline)}`);
  }
  const limit = 5_000 + 5 * (Date.now() - t0);
  const reached = new Set(baseline.covered);
  probe.stop();

  const queue = mutants.filter((m) => {
    if (reached.has(m.id)) return true;
    m.status = "NoCoverage";
    return false;
  });
  let next = 0;
  let done = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    const lane = new Lane(dir, tests);
    while (next < queue.length) {
      const mutant = queue[next++];
      let reply: Reply | "timeout" | "error";
      if (atLoad.has(mutant.id)) {
        reply = await lane.start(mutant.id);
        if (reply !== "timeout" && reply !== "error" && reply.kind === "loaded" && !reply.error) {
          reply = await lane.run(mutant.id, limit);
        }
        lane.stop();
      } else {
        if (!lane.alive) await lane.start(null);
        reply = await lane.run(mutant.id, limit);
        // A mutant may leave a module's state broken (a cache filled wrongly):
        // the next mutant runs only where the unmutated tests pass again.
        if (lane.alive) {
          const clean = await lane.run(null, limit);
          if (clean === "timeout" || clean === "error" || clean.kind !== "ran" || clean.failure) {
            lane.stop();
          }
        }
      }
      [mutant.status, mutant.statusReason] = statusOf(reply);
      if (++done % 200 === 0) console.error(`mutate_fast: ${group}: ${done}/${queue.length}`);
    }
    lane.stop();
  }));
  await Deno.remove(dir, { recursive: true });

  const report = {
    schemaVersion: "1",
    thresholds: { high: 95, low: 90 },
    runner: "scripts/mutation/mutate_fast.ts",
    date: new Date().toISOString(),
    files: Object.fromEntries(
      await Promise.all(files.map(async ({ name }) => [name, {
        language: "typescript",
        source: await Deno.readTextFile(`${root}${name}`),
        mutants: mutants.filter((m) => m.fileName === name).map(({ fileName: _, ...m }) => m),
      }])),
    ),
  };
  await Deno.mkdir(`${root}reports/mutation`, { recursive: true });
  await Deno.writeTextFile(`${root}reports/mutation/${group}.json`, JSON.stringify(report));
  const count = (status: string) => mutants.filter((m) => m.status === status).length;
  console.log(
    `mutate_fast: ${group}: ${mutants.length} mutants in ${
      Math.round((Date.now() - started) / 1000)
    } s: ${count("Killed")} killed, ${count("Timeout")} timed out, ${
      count("Survived")
    } survived, ` +
      `${count("NoCoverage")} not reached`,
  );
}

if (import.meta.main) {
  for (const group of Deno.args) await mutateGroup(group);
  // A terminated worker's timers can keep the event loop alive.
  Deno.exit(0);
}
