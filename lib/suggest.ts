/** "Did you mean" hints for misspelt names, by edit distance. */

/** Levenshtein distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The candidate nearest to `name` within `maxDistance` edits, or `""`. */
export function nearest(name: string, candidates: Iterable<string>, maxDistance = 3): string {
  let best = "";
  let bestDistance = maxDistance + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** ` (did you mean X?)` for the nearest candidate, or `""`. */
export function closest(name: string, candidates: Iterable<string>, maxDistance = 3): string {
  const best = nearest(name, candidates, maxDistance);
  return best === "" ? "" : ` (did you mean ${best}?)`;
}
