/**
 * A small command-line parser: `--name value`, `--name=value`, boolean
 * `--name`, short aliases (`-h`), and positionals. Hand-written rather than
 * `node:util`'s `parseArgs`, whose Node compatibility layer costs the proxy
 * about 6 MiB of resident memory at start.
 */

export interface FlagSpec {
  /** Flags that take a value. */
  strings: readonly string[];
  /** Flags that take none. */
  booleans: readonly string[];
  /** Short alias to long name: `{ h: "help" }`. */
  aliases?: Readonly<Record<string, string>>;
}

export interface ParsedFlags {
  values: Record<string, string | true>;
  positionals: string[];
}

/** Parses `args`; throws an `Error` naming the offending argument. */
export function parseFlags(args: readonly string[], spec: FlagSpec): ParsedFlags {
  const values: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      const alias = spec.aliases?.[arg.slice(1)];
      if (alias === undefined) throw new Error(`Unknown option ${arg}`);
      name = alias;
    }
    if (spec.booleans.includes(name)) {
      if (inline !== undefined) throw new Error(`Option --${name} takes no value`);
      values[name] = true;
    } else if (spec.strings.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new Error(`Option --${name} needs a value`);
      values[name] = value;
    } else {
      throw new Error(`Unknown option ${arg}`);
    }
  }
  return { values, positionals };
}
