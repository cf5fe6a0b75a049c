/**
 * The worker of scripts/mutation/mutate_fast.ts: imports a group's test files once
 * (collecting what they register with `Deno.test`), then runs every test once
 * per mutant it is sent, with Stryker's `__stryker__.activeMutant` set to that
 * mutant, and answers with the first failure or `null`. A mutant in code that
 * runs while modules load is given to a fresh worker as `preset`, set before
 * the imports.
 */

/// <reference lib="deno.worker" />

interface Registered {
  name: string;
  fn: (t: TestContext) => unknown;
}

interface TestContext {
  name: string;
  step(
    name: string | StepDefinition | ((t: TestContext) => unknown),
    fn?: (t: TestContext) => unknown,
  ): Promise<boolean>;
}

interface StepDefinition {
  name: string;
  fn: (t: TestContext) => unknown;
  ignore?: boolean;
}

interface StrykerGlobal {
  activeMutant?: string;
  currentTestId?: string;
  mutantCoverage?: { static: Record<string, number> };
}

type Message =
  | { kind: "load"; files: string[]; preset: string | null }
  | { kind: "run"; mutant: string | null };

const tests: Registered[] = [];
const stryker =
  (): StrykerGlobal => ((globalThis as { __stryker__?: StrykerGlobal }).__stryker__ ??= {});

// deno-lint-ignore no-explicit-any
function register(first: any, second?: any, third?: any): void {
  if (typeof first === "function") tests.push({ name: first.name, fn: first });
  else if (typeof first === "string") {
    const options = typeof second === "object" ? second : {};
    if (!options.ignore) tests.push({ name: first, fn: third ?? second });
  } else if (!first.ignore) tests.push({ name: first.name, fn: first.fn ?? second });
}
Object.assign(register, { ignore() {}, only: register });
(Deno as unknown as { test: unknown }).test = register;

function context(name: string): TestContext {
  return {
    name,
    async step(step, fn) {
      const definition: StepDefinition = typeof step === "function"
        ? { name: step.name, fn: step }
        : typeof step === "string"
        ? { name: step, fn: fn! }
        : step;
      if (definition.ignore) return false;
      await definition.fn(context(`${name} ... ${definition.name}`));
      return true;
    },
  };
}

async function runAll(): Promise<string | null> {
  for (const test of tests) {
    try {
      await test.fn(context(test.name));
    } catch (error) {
      return `${test.name}: ${String(error).slice(0, 200)}`;
    }
  }
  return null;
}

self.onmessage = async (event: MessageEvent<Message>) => {
  const message = event.data;
  if (message.kind === "load") {
    stryker().activeMutant = message.preset ?? undefined;
    try {
      for (const file of message.files) await import(file);
    } catch (error) {
      self.postMessage({ kind: "loaded", error: String(error).slice(0, 200), covered: [] });
      return;
    }
    self.postMessage({
      kind: "loaded",
      error: null,
      covered: Object.keys(stryker().mutantCoverage?.static ?? {}),
    });
    return;
  }
  stryker().activeMutant = message.mutant ?? undefined;
  const failure = await runAll();
  self.postMessage({
    kind: "ran",
    failure,
    covered: Object.keys(stryker().mutantCoverage?.static ?? {}),
  });
};
