/** Token embedding: a row gather from the [V, E] table, and its adjoint, a scatter-add into the table. */

function checkToken(id: number, vocab: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocab) {
    throw new RangeError(`token id ${id} is outside the vocabulary [0, ${vocab})`);
  }
}

/** out[n, :] = table[ids[n], :]; table [vocab, dim] → out [ids.length, dim]. */
export function embeddingForward(table: Float64Array, ids: Int32Array, vocab: number, dim: number): Float64Array {
  const out = new Float64Array(ids.length * dim);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    checkToken(id, vocab);
    out.set(table.subarray(id * dim, (id + 1) * dim), n * dim);
  }
  return out;
}

/** dTable[v, :] = Σ_{n: ids[n] = v} dOut[n, :]; repeated tokens accumulate. */
export function embeddingBackward(dOut: Float64Array, ids: Int32Array, vocab: number, dim: number): Float64Array {
  const dTable = new Float64Array(vocab * dim);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    checkToken(id, vocab);
    for (let j = 0; j < dim; j++) dTable[id * dim + j] += dOut[n * dim + j];
  }
  return dTable;
}
