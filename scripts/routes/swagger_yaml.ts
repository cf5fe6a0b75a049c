/**
 * Parses moby's swagger files. The older ones (v1.25 to v1.38) hold
 * double-quoted scalars whose continuation lines are indented less than YAML
 * allows; Go's YAML reader takes them, `npm:yaml` does not. Those lines are
 * re-indented under their key before parsing; any other error still fails.
 */
import { parse } from "yaml";

const QUOTED_VALUE = /^(\s*)(- )?[\w.$-]+: "(.*)$/;

/** Whether a double-quoted scalar's text closes on this line. */
function closesQuote(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return true;
  }
  return false;
}

/** Re-indents the continuation lines of multi-line double-quoted scalars. */
export function repairQuotedScalars(text: string): string {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = QUOTED_VALUE.exec(lines[i]);
    if (open === null || closesQuote(open[3])) continue;
    const indent = " ".repeat(open[1].length + (open[2] ? 2 : 0) + 2);
    for (let j = i + 1; j < lines.length; j++) {
      if (lines[j].trim() !== "") lines[j] = indent + lines[j].trimStart();
      i = j;
      if (closesQuote(lines[j])) break;
    }
  }
  return lines.join("\n");
}

/** Parses a swagger document. */
export function parseSwagger(text: string, name: string): Record<string, unknown> {
  try {
    return parse(repairQuotedScalars(text), { maxAliasCount: -1 }) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`Cannot parse ${name}: ${(error as Error).message}`);
  }
}
