/**
 * Next-token cross-entropy as `F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))` with the
 * default mean reduction: loss = (1/rows) Σ_r (logsumexp_v logits[r, v] − logits[r, target_r]).
 */

function checkTarget(id: number, vocab: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new RangeError(`target ${id} is outside the vocabulary [0, ${vocab})`);
}

function logSumExp(logits: Float64Array, offset: number, vocab: number): number {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v]);
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] - max);
  return max + Math.log(sum);
}

export function crossEntropyForward(logits: Float64Array, targets: Int32Array, rows: number, vocab: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    checkTarget(targets[r], vocab);
    total += logSumExp(logits, r * vocab, vocab) - logits[r * vocab + targets[r]];
  }
  return total / rows;
}

/** dLogits = (softmax(logits) − onehot(target)) / rows. */
export function crossEntropyBackward(logits: Float64Array, targets: Int32Array, rows: number, vocab: number): Float64Array {
  const dLogits = new Float64Array(rows * vocab);
  for (let r = 0; r < rows; r++) {
    checkTarget(targets[r], vocab);
    const lse = logSumExp(logits, r * vocab, vocab);
    for (let v = 0; v < vocab; v++) dLogits[r * vocab + v] = Math.exp(logits[r * vocab + v] - lse) / rows;
    dLogits[r * vocab + targets[r]] -= 1 / rows;
  }
  return dLogits;
}
