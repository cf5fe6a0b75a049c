/**
 * Patterns for command lines (`Cmd`, `Entrypoint`): one glob per argument,
 * `[pg_dump, -U, "*"]`. A `*` matches within one argument and never spans
 * arguments; an argument that is exactly `**`, last in the pattern, matches
 * any number of further arguments (none included).
 *
 * A wildcard never matches shell syntax — `; & | $ \` < > ( ) \` or a line
 * break — so that `[sh, -c, "pg_dump *"]` cannot let `pg_dump; rm -rf /`
 * through, nor `[psql, "**"]` a `\!` escape hidden in `$(...)`. Such a
 * character is allowed only where the pattern writes it literally.
 */

export interface ArgvPattern {
  /** As written, for messages: `[pg_dump, **]`. */
  readonly text: string;
  test(argv: readonly string[]): boolean;
}

/** Characters a wildcard never matches. */
const SHELL = ";&|$`<>()\\\\\\n\\r";
const SPECIAL = /[.+?^${}()|[\]\\/]/g;

function argumentRegex(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] !== "*") source += glob[i].replace(SPECIAL, "\\$&");
    else {
      while (glob[i + 1] === "*") i++;
      source += `[^${SHELL}]*`;
    }
  }
  return new RegExp(`^${source}$`);
}

/** Formats an argv for messages: `["sh", "-c", "x"]`. */
export function formatArgv(argv: readonly string[]): string {
  const text = JSON.stringify(argv);
  return text.length > 200 ? text.slice(0, 196) + '..."]' : text;
}

/** Compiles one argv pattern; throws `Error` when `**` is not last. */
export function compileArgvPattern(pattern: readonly string[]): ArgvPattern {
  const rest = pattern.length > 0 && pattern[pattern.length - 1] === "**";
  const fixed = rest ? pattern.slice(0, -1) : [...pattern];
  if (fixed.includes("**")) {
    throw new Error(
      `${JSON.stringify(pattern)}: "**" (any further arguments) may only be the last argument`,
    );
  }
  const rests = new RegExp(`^[^${SHELL}]*$`);
  const regexes = fixed.map(argumentRegex);
  return {
    text: `[${pattern.join(", ")}]`,
    test(argv) {
      if (rest ? argv.length < regexes.length : argv.length !== regexes.length) return false;
      for (let i = 0; i < argv.length; i++) {
        if (!(i < regexes.length ? regexes[i] : rests).test(argv[i])) return false;
      }
      return true;
    },
  };
}
