/**
 * The mutation score per module from Stryker's JSON reports
 * (reports/mutation/<group>.json), as a Markdown table for mutation/RESULTS.md,
 * and every surviving mutant that mutation/EQUIVALENT.md does not explain.
 *
 *   deno run --allow-read=. scripts/mutation/mutation_summary.ts [--dir=reports/mutation] [group...]
 *
 * A survivor is explained by a line of mutation/EQUIVALENT.md (or of
 * mutation/equivalent/<group>.md) of the form
 *   - `lib/file.ts` L12 `MutatorName`: `original` → `replacement`: why
 * matched by file, mutator, original and replacement (not by line, which moves
 * as code changes). Exits 1 when some survivor is not explained.
 */

interface Position {
  line: number;
  column: number;
}

interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: Position; end: Position };
}

/** The source text a mutant replaced, on one line. */
function original(source: string, { start, end }: { start: Position; end: Position }): string {
  const lines = source.split("\n");
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return collapse(
    [
      lines[start.line - 1].slice(start.column - 1),
      ...lines.slice(start.line, end.line - 1),
      lines[end.line - 1].slice(0, end.column - 1),
    ].join(" "),
  );
}

interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

const root = new URL("../../", import.meta.url);
const collapse = (text: string) => text.replace(/\s+/g, " ").trim();

/** mutation/EQUIVALENT.md, then mutation/equivalent/*.md (a file per group), as one text. */
async function equivalentText(): Promise<string> {
  const texts: string[] = [];
  try {
    texts.push(await Deno.readTextFile(new URL("mutation/EQUIVALENT.md", root)));
  } catch { /* none yet */ }
  const dir = new URL("mutation/equivalent/", root);
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(".md")) names.push(entry.name);
    }
  } catch { /* none yet */ }
  for (const name of names.sort()) texts.push(await Deno.readTextFile(new URL(name, dir)));
  return texts.join("\n");
}

async function explained(): Promise<Set<string>> {
  const text = await equivalentText();
  const keys = new Set<string>();
  // `deno fmt` wraps long list items: join continuation lines to their item.
  const items = text.replace(/\n {2}(?=\S)/g, " ");
  for (const line of items.split("\n")) {
    const match = /^- `([^`]+)` L\d+ `(\w+)`: `(.*?)` → `(.*?)`: /.exec(line);
    if (match !== null) {
      keys.add(`${match[1]} ${match[2]} ${collapse(match[3])} → ${collapse(match[4])}`);
    }
  }
  return keys;
}

const dirArg = Deno.args.find((arg) => arg.startsWith("--dir="));
const reports = new URL(
  (dirArg === undefined ? "reports/mutation" : dirArg.slice(6)).replace(/\/?$/, "/"),
  root,
);

async function groups(args: string[]): Promise<string[]> {
  if (args.length > 0) return args;
  const names: string[] = [];
  for await (const entry of Deno.readDir(reports)) {
    if (entry.name.endsWith(".json")) names.push(entry.name.slice(0, -5));
  }
  return names.sort();
}

const equivalent = await explained();
const rows: string[] = [];
const unexplained: string[] = [];
for (const group of await groups(Deno.args.filter((arg) => !arg.startsWith("--")))) {
  let report: Report;
  try {
    report = JSON.parse(
      await Deno.readTextFile(new URL(`${group}.json`, reports)),
    );
  } catch {
    console.error(`mutation_summary: no report for ${group}`);
    continue;
  }
  for (const [file, { source, mutants }] of Object.entries(report.files).sort()) {
    const count = (status: string) => mutants.filter((m) => m.status === status).length;
    const detected = count("Killed") + count("Timeout");
    const survivors = mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage");
    const valid = detected + survivors.length;
    let listed = 0;
    for (const mutant of survivors) {
      const key = `${file} ${mutant.mutatorName} ${collapse(original(source, mutant.location))} → ${
        collapse(mutant.replacement ?? "")
      }`;
      if (equivalent.has(key)) {
        listed++;
        continue;
      }
      // As a line for EQUIVALENT.md, once the reason is known.
      unexplained.push(
        `- \`${file}\` L${mutant.location.start.line} \`${mutant.mutatorName}\`: ` +
          `\`${original(source, mutant.location)}\` → \`${collapse(mutant.replacement ?? "")}\`: `,
      );
    }
    const score = valid === 0 ? 100 : (100 * detected) / valid;
    const without = valid - listed === 0 ? 100 : (100 * detected) / (valid - listed);
    rows.push(
      `| \`${file}\` | ${group} | ${mutants.length} | ${detected} | ${survivors.length} | ` +
        `${listed} | ${score.toFixed(1)}% | ${without.toFixed(1)}% |`,
    );
  }
}
console.log(
  "| module | group | mutants | killed | survived | equivalent | score | score, equivalents out |",
);
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const row of rows) console.log(row);
if (unexplained.length > 0) {
  console.log(`\n${unexplained.length} surviving mutants are not in mutation/EQUIVALENT.md:\n`);
  for (const line of unexplained) console.log(line);
  Deno.exitCode = 1;
}
