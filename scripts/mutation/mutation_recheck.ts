/**
 * Re-tests only the surviving and timed-out mutants of a group's last Stryker
 * report against the group's tests as they are now, and marks those now killed
 * in the report (`reports/mutation/<group>.json`), so that adding a test for a
 * survivor does not cost a whole run of the group:
 *
 *   deno task mutate:recheck <group>...
 *
 * Each mutant is written into a copy of the repository in place of the
 * original text (the same replacement Stryker compiled in) and the group's
 * test command is run there; a failing run kills it. A mutant Stryker saw
 * time out is given 20 s: on a loaded machine a slow run is not always a hang.
 * The module must be unchanged since the report (its text is compared): after
 * a change to a module, run the group again with `deno task mutate <group>`.
 */

interface Position {
  line: number;
  column: number;
}

interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  statusReason?: string;
  location: { start: Position; end: Position };
}

interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
  recheck?: string;
}

const root = new URL("../../", import.meta.url).pathname;
const concurrency = Number(Deno.env.get("MUTATE_CONCURRENCY") ?? "1");
/** A run this long is a mutant that hangs the tests (Stryker's limit is seconds). */
const RUN_LIMIT_MS = 20_000;

/** Offset in `source` of a 1-based line and column. */
function offset(source: string, { line, column }: Position): number {
  let at = 0;
  for (let i = 1; i < line; i++) at = source.indexOf("\n", at) + 1;
  return at + column - 1;
}

/** `source` with the mutant's replacement in place of the text it mutates. */
export function applyMutant(source: string, mutant: Mutant): string {
  const start = offset(source, mutant.location.start);
  const end = offset(source, mutant.location.end);
  return source.slice(0, start) + (mutant.replacement ?? "") + source.slice(end);
}

/** The group's test command, as stryker.config.mjs builds it. */
export async function testCommand(group: string): Promise<string> {
  Deno.env.set("MUTATE_GROUP", group);
  Deno.env.set("MUTATE_DENO", Deno.execPath());
  const config = await import(`../../stryker.config.mjs?group=${group}`);
  return config.default.commandRunner.command;
}

/** Whether the tests pass: true, false, or "timeout" when they run past `RUN_LIMIT_MS`. */
async function run(command: string, cwd: string): Promise<boolean | "timeout"> {
  const child = new Deno.Command("bash", {
    // exec: the timeout's signal reaches deno itself.
    args: ["-c", `exec ${command}`],
    cwd,
    stdout: "null",
    stderr: "null",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).spawn();
  let timedOut = false;
  const timer = AbortSignal.timeout(RUN_LIMIT_MS);
  const onTimeout = () => {
    timedOut = true;
    child.kill("SIGKILL");
  };
  timer.addEventListener("abort", onTimeout);
  const { code } = await child.status;
  timer.removeEventListener("abort", onTimeout);
  return timedOut ? "timeout" : code === 0;
}

/** A copy of the repository's sources and tests to mutate in. */
/** A copy of the repository to mutate in (also used by scripts/mutation/mutate_fast.ts). */
export async function sandbox(prefix = "mutation-recheck-"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  const { code } = await new Deno.Command("bash", {
    args: [
      "-c",
      `tar -C "${root}" --exclude=./.git --exclude=./.deno --exclude=./node_modules ` +
      `--exclude=./reports --exclude=./.stryker-tmp --exclude=./bench/out -cf - . | tar -C "${dir}" -xf -`,
    ],
  }).output();
  if (code !== 0) throw new Error("mutation: could not copy the repository");
  return dir;
}

async function recheck(group: string): Promise<void> {
  const path = `${root}reports/mutation/${group}.json`;
  const report: Report = JSON.parse(await Deno.readTextFile(path));
  const command = await testCommand(group);
  const work: { file: string; source: string; mutant: Mutant }[] = [];
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    if (await Deno.readTextFile(`${root}${file}`) !== source) {
      throw new Error(
        `mutation_recheck: ${file} changed since the ${group} report: run \`deno task mutate ${group}\``,
      );
    }
    for (const mutant of mutants) {
      // A timeout on a loaded machine may be slowness, not a hang: it is run again too.
      if (["Survived", "NoCoverage", "Timeout"].includes(mutant.status)) {
        work.push({ file, source, mutant });
      }
    }
  }
  const dirs = await Promise.all(Array.from({ length: concurrency }, () => sandbox()));
  if (!await run(command, dirs[0])) {
    throw new Error(`mutation_recheck: the ${group} tests fail unmutated`);
  }
  let killed = 0;
  let revived = 0;
  let next = 0;
  await Promise.all(dirs.map(async (dir) => {
    while (next < work.length) {
      const { file, source, mutant } = work[next++];
      await Deno.writeTextFile(`${dir}/${file}`, applyMutant(source, mutant));
      const passed = await run(command, dir);
      await Deno.writeTextFile(`${dir}/${file}`, source);
      const was = mutant.status;
      mutant.status = passed === "timeout" ? "Timeout" : passed ? "Survived" : "Killed";
      if (mutant.status !== was) {
        mutant.statusReason = `${was}, then ${mutant.status} when re-checked by mutation_recheck`;
      }
      if (mutant.status === "Killed") killed++;
      if (was === "Timeout" && mutant.status === "Survived") revived++;
    }
  }));
  for (const dir of dirs) await Deno.remove(dir, { recursive: true });
  report.recheck = new Date().toISOString();
  await Deno.writeTextFile(path, JSON.stringify(report));
  console.log(
    `mutation_recheck: ${group}: ${killed} of ${work.length} survivors and timeouts killed, ` +
      `${revived} timeouts survive when given ${RUN_LIMIT_MS / 1000} s`,
  );
}

if (import.meta.main) {
  for (const group of Deno.args) await recheck(group);
}
