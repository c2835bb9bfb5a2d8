/** Accuracy of next-token predictions at a task's scored positions. */

export interface Accuracy {
  correct: number;
  total: number;
}

/** correct / total, or NaN when nothing was scored. */
export function accuracyRate(a: Accuracy): number {
  return a.total === 0 ? NaN : a.correct / a.total;
}

/** "96.0%", or "n/a" for the rate of nothing. */
export function percentText(rate: number): string {
  return Number.isNaN(rate) ? 'n/a' : `${(100 * rate).toFixed(1)}%`;
}

/**
 * The arg-max of each row of `logits` ([rows, vocab]); ties go to the lowest id. NaN never wins, and
 * a row of NaNs only gives −1, which matches no target.
 */
export function argmaxRows(logits: ArrayLike<number>, vocab: number): Int32Array {
  const rows = logits.length / vocab;
  if (!Number.isInteger(rows)) throw new RangeError(`argmaxRows: ${logits.length} logits is not a whole number of rows of ${vocab}`);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let v = 0; v < vocab; v++) {
      const x = logits[r * vocab + v]!;
      if (x > bestValue || (best === -1 && x === -Infinity)) {
        best = v;
        bestValue = x;
      }
    }
    out[r] = best;
  }
  return out;
}

/** How many positions with `scored[i] = 1` the arg-max of `logits` ([positions, vocab]) predicts `targets[i]` at. */
export function scoredAccuracy(logits: ArrayLike<number>, targets: Int32Array, scored: Uint8Array, vocab: number): Accuracy {
  if (targets.length !== scored.length || logits.length !== targets.length * vocab) {
    throw new RangeError(`scoredAccuracy: ${logits.length} logits, ${targets.length} targets and ${scored.length} flags do not match vocab ${vocab}`);
  }
  const predicted = argmaxRows(logits, vocab);
  let correct = 0;
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    if (scored[i] !== 1) continue;
    total++;
    if (predicted[i] === targets[i]) correct++;
  }
  return { correct, total };
}
