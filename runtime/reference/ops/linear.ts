/** `nn.Linear`: y = x·Wᵀ (+ b) with W stored [out, in], x [rows, in], y [rows, out]. */

export function linearForward(
  x: Float64Array,
  weight: Float64Array,
  bias: Float64Array | null,
  rows: number,
  inDim: number,
  outDim: number,
): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let acc = bias === null ? 0 : bias[o];
      for (let i = 0; i < inDim; i++) acc += x[r * inDim + i] * weight[o * inDim + i];
      y[r * outDim + o] = acc;
    }
  }
  return y;
}

/** dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy (null when the layer has no bias). */
export function linearBackward(
  dy: Float64Array,
  x: Float64Array,
  weight: Float64Array,
  hasBias: boolean,
  rows: number,
  inDim: number,
  outDim: number,
): { dx: Float64Array; dWeight: Float64Array; dBias: Float64Array | null } {
  const dx = new Float64Array(rows * inDim);
  const dWeight = new Float64Array(outDim * inDim);
  const dBias = hasBias ? new Float64Array(outDim) : null;
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      const g = dy[r * outDim + o];
      if (dBias !== null) dBias[o] += g;
      for (let i = 0; i < inDim; i++) {
        dx[r * inDim + i] += g * weight[o * inDim + i];
        dWeight[o * inDim + i] += g * x[r * inDim + i];
      }
    }
  }
  return { dx, dWeight, dBias };
}
