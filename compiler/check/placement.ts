import type { Ratio } from './coerce.js';

/**
 * The placement rule for `blocks N ratio a:b` (documented in the language docs): the stack is
 * N/(a+b) groups of g = a+b consecutive blocks; in group k (starting at block k·g) the b sLSTM
 * blocks sit at offsets floor((j + 0.5)·g / b), j = 0..b−1, evenly spread and centred.
 * 7:1 with 8 blocks → [4]; 1:1 with 4 → [1, 3]; 0:1 → every block; 1:0 → none.
 * Returns undefined when the ratio does not fit N (see `ratioFits`).
 */
export function ratioPlacement(numBlocks: number, ratio: Ratio): number[] | undefined {
  if (!ratioFits(numBlocks, ratio)) return undefined;
  const g = ratio.mlstm + ratio.slstm;
  const out: number[] = [];
  for (let start = 0; start < numBlocks; start += g) {
    for (let j = 0; j < ratio.slstm; j++) out.push(start + Math.floor(((j + 0.5) * g) / ratio.slstm));
  }
  return out;
}

export function ratioFits(numBlocks: number, r: Ratio): boolean {
  const g = r.mlstm + r.slstm;
  return r.mlstm >= 0 && r.slstm >= 0 && g >= 1 && numBlocks % g === 0;
}

/** `count` sLSTM blocks spread over `numBlocks` by the same rule (one group of the whole stack). */
export function spreadPlacement(numBlocks: number, count: number): number[] {
  return ratioPlacement(numBlocks, { mlstm: numBlocks - count, slstm: count }) ?? [];
}

/** The sLSTM positions closest to ratio a:b for a block count it does not divide. */
export function nearestRatioPlacement(numBlocks: number, r: Ratio): number[] {
  return spreadPlacement(numBlocks, Math.round((numBlocks * r.slstm) / (r.mlstm + r.slstm)));
}

/** "[1, 3]" */
export function showPositions(p: readonly number[]): string {
  return `[${p.join(', ')}]`;
}
