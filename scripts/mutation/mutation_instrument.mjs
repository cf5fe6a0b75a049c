// Writes Stryker's instrumented copies of some modules and lists their mutants:
// the first step of scripts/mutation/mutate_fast.ts, run apart because StrykerJS's
// instrumenter needs node_modules/ (--node-modules-dir=manual) and the tests
// must not. Input (stdin): {root, out, files: [{name, ranges?: [[from, to]]}]};
// writes out/<name> for each file and prints the mutants as JSON, with
// 1-based lines and columns as in Stryker's reports.
import { readFileSync, writeFileSync } from "node:fs";
// Resolved at run time: node_modules/ exists only once `deno task mutate` installed StrykerJS.
const { Instrumenter } = await import(
  new URL("../../node_modules/@stryker-mutator/instrumenter/dist/src/index.js", import.meta.url)
    .href
);

const input = JSON.parse(readFileSync(0, "utf8"));
const quiet = new Proxy({}, {
  get: (_t, key) => String(key).startsWith("is") ? () => false : () => {},
});
const instrumenter = new Instrumenter(quiet);
const result = await instrumenter.instrument(
  input.files.map(({ name, ranges }) => ({
    name,
    content: readFileSync(`${input.root}/${name}`, "utf8"),
    mutate: ranges === undefined ? true : ranges.map(([from, to]) => ({
      start: { line: from - 1, column: 0 },
      end: { line: to - 1, column: Number.MAX_SAFE_INTEGER },
    })),
  })),
  { plugins: null, excludedMutations: [], ignorers: [] },
);
for (const file of result.files) writeFileSync(`${input.out}/${file.name}`, file.content);
const position = ({ line, column }) => ({ line: line + 1, column: column + 1 });
console.log(JSON.stringify(result.mutants.map((mutant) => ({
  id: mutant.id,
  fileName: mutant.fileName,
  mutatorName: mutant.mutatorName,
  replacement: mutant.replacement,
  location: { start: position(mutant.location.start), end: position(mutant.location.end) },
}))));
