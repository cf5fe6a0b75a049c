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

/**
 * Edit distance where swapping two neighbouring characters counts as one edit
 * (optimal string alignment): `CONTAINRES` is one typo away from `CONTAINERS`.
 * With `max`, any distance above it is returned as `max + 1`, found without
 * computing it: most names are far from most settings, and this runs for every
 * variable at start, where a full table for each pair costs enough time for V8
 * to spend megabytes optimizing it.
 */
export function typoDistance(a: string, b: string, max = Infinity): number {
  // The distance is at least the difference in length.
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    rows.push(row);
  }
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  let previousMin = 0;
  for (let i = 1; i <= a.length; i++) {
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2][j - 2] + 1);
      }
      rows[i][j] = best;
      if (best < rowMin) rowMin = best;
    }
    // Each entry comes from the row above or the one above that, plus 0 or
    // more: once two rows in a row exceed `max`, every later one does.
    if (rowMin > max && previousMin > max) return max + 1;
    previousMin = rowMin;
  }
  return Math.min(rows[a.length][b.length], max + 1);
}
