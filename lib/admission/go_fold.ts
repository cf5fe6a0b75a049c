/**
 * Go's encoding/json folding of names, on its own so that the policy's
 * decision (which folds libpod's query parameter names the same way) does not
 * load the JSON decoder.
 */

const foldCache = new Map<number, number>();

/** The smallest code point of `c`'s simple case-folding orbit (Go's `foldRune`). */
function foldRune(c: number): number {
  const cached = foldCache.get(c);
  if (cached !== undefined) return cached;
  const orbit = new Set<number>([c]);
  const queue = [c];
  while (queue.length > 0) {
    const char = String.fromCodePoint(queue.pop()!);
    for (const mapped of [char.toLowerCase(), char.toUpperCase()]) {
      const code = mapped.codePointAt(0)!;
      // Only one-to-one mappings are simple case mappings.
      if (String.fromCodePoint(code) === mapped && !orbit.has(code)) {
        orbit.add(code);
        queue.push(code);
      }
    }
  }
  const smallest = Math.min(...orbit);
  for (const member of orbit) foldCache.set(member, smallest);
  return smallest;
}

/**
 * A struct field name or object key folded as Go's encoding/json folds it to
 * match keys to fields: ASCII letters upper-cased, other characters replaced by
 * the smallest character of their simple case-folding orbit (`ſ` -> `S`,
 * KELVIN SIGN -> `K`).
 */
export function goFoldName(name: string): string {
  let out = "";
  for (const char of name) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) {
      out += code >= 0x61 && code <= 0x7a ? String.fromCharCode(code - 0x20) : char;
    } else {
      out += String.fromCodePoint(foldRune(code));
    }
  }
  return out;
}
