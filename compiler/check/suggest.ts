/** "Did you mean" and "nearest valid value" helpers for hints. */

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions ("gleu" → "gelu" is 1). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

function normalise(s: string): string {
  return s.toLowerCase().replace(/[_^-]/g, '');
}

/**
 * The candidate closest to `word`, if it is plausibly a misspelling: at most a third of the longer
 * word's letters differ (at least one), ignoring case and underscores; failing that, the shortest
 * candidate that `word` (4+ letters) abbreviates.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  const w = normalise(word);
  let prefixed: string | undefined;
  for (const c of candidates) {
    if (c === word) continue;
    const dist = normalise(c) === w ? 0 : editDistance(word.toLowerCase(), c.toLowerCase());
    const limit = Math.max(1, Math.floor(Math.max(word.length, c.length) / 3));
    if (dist <= limit && dist < bestDist) {
      best = c;
      bestDist = dist;
    }
    // an abbreviation: `powerlaw` for `powerlaw_blockdependent`
    if (w.length >= 4 && normalise(c).startsWith(w) && (prefixed === undefined || c.length < prefixed.length)) prefixed = c;
  }
  return best ?? prefixed;
}

/** "did you mean `x`?" or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const c = closest(word, candidates);
  return c === undefined ? undefined : `did you mean \`${c}\`?`;
}

/** Joins hint fragments, skipping missing ones: after a question or sentence with a space, else with "; ". */
export function joinHints(...parts: (string | undefined)[]): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined && p !== '');
  if (present.length === 0) return undefined;
  return present.reduce((acc, p) => `${acc}${/[?.]$/.test(acc) ? ' ' : '; '}${p}`);
}

export interface Nearest {
  below?: number;
  above?: number;
}

/** The nearest ints below and above `x` (excluding x) that satisfy `ok`, searching at most `reach` away and not below `min`. */
export function nearestMatching(x: number, ok: (n: number) => boolean, reach: number, min = 1): Nearest {
  const out: Nearest = {};
  for (let n = x - 1; n >= Math.max(min, x - reach); n--) {
    if (ok(n)) {
      out.below = n;
      break;
    }
  }
  for (let n = x + 1; n <= x + reach; n++) {
    if (ok(n)) {
      out.above = n;
      break;
    }
  }
  return out;
}

/** The divisors of `n` nearest to `x` on each side. */
export function nearestDivisors(n: number, x: number): Nearest {
  return nearestMatching(x, (d) => n % d === 0, n, 1);
}

/** "128 or 132", "128", or undefined. */
export function showNearest(n: Nearest): string | undefined {
  const vals = [n.below, n.above].filter((v): v is number => v !== undefined);
  return vals.length === 0 ? undefined : vals.join(' or ');
}

/** "a, b or c" */
export function listWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}
