/**
 * Go's encoding/json folding of names, on its own so that the policy's
 * decision (which folds libpod's query parameter names the same way) does not
 * load the JSON decoder.
 */

const foldCache = new Map<number, number>();

/**
 * Members of Go's case orbits that no JavaScript case mapping leads to from
 * the others (MICRO SIGN, COMBINING GREEK YPOGEGRAMMENI, CYRILLIC SMALL LETTER
 * UNBLENDED UK): the links that complete those orbits.
 */
const ORBIT_LINKS = new Map<number, number>([
  [0x39c, 0xb5],
  [0x3bc, 0xb5],
  [0x399, 0x345],
  [0x3b9, 0x345],
  [0xa64a, 0x1c88],
  [0xa64b, 0x1c88],
]);

/** The smallest code point of `c`'s simple case-folding orbit (Go's `foldRune`). */
function foldRune(c: number): number {
  const cached = foldCache.get(c);
  if (cached !== undefined) return cached;
  const orbit = new Set<number>([c]);
  const queue = [c];
  while (queue.length > 0) {
    const code = queue.pop()!;
    const char = String.fromCodePoint(code);
    const link = ORBIT_LINKS.get(code);
    for (
      const mapped of [
        char.toLowerCase(),
        char.toUpperCase(),
        ...link ? [String.fromCodePoint(link)] : [],
      ]
    ) {
      const next = mapped.codePointAt(0)!;
      // Only one-to-one mappings are simple case mappings.
      if (String.fromCodePoint(next) === mapped && !orbit.has(next)) {
        orbit.add(next);
        queue.push(next);
      }
    }
  }
  // Cached for `c` only: what the search found depends on where it started.
  const smallest = Math.min(...orbit);
  foldCache.set(c, smallest);
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
