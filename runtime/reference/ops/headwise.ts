/**
 * `LinearHeadwiseExpand`: a block-diagonal linear map. The features of each row are split into
 * `blocks` consecutive groups of `blockSize`; out[p·b + o] = Σ_i W[p, o, i] · in[p·b + i] (+ bias),
 * W stored [blocks, blockSize(out), blockSize(in)], bias [blocks·blockSize].
 */

export interface HeadwiseDims {
  rows: number;
  blocks: number;
  blockSize: number;
}

export function headwiseForward(
  x: Float64Array,
  weight: Float64Array,
  bias: Float64Array | null,
  dims: HeadwiseDims,
): Float64Array {
  const { rows, blocks, blockSize: b } = dims;
  const width = blocks * b;
  const y = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < blocks; p++) {
      for (let o = 0; o < b; o++) {
        let acc = bias === null ? 0 : bias[p * b + o];
        for (let i = 0; i < b; i++) acc += weight[(p * b + o) * b + i] * x[r * width + p * b + i];
        y[r * width + p * b + o] = acc;
      }
    }
  }
  return y;
}

export function headwiseBackward(
  dy: Float64Array,
  x: Float64Array,
  weight: Float64Array,
  hasBias: boolean,
  dims: HeadwiseDims,
): { dx: Float64Array; dWeight: Float64Array; dBias: Float64Array | null } {
  const { rows, blocks, blockSize: b } = dims;
  const width = blocks * b;
  const dx = new Float64Array(rows * width);
  const dWeight = new Float64Array(blocks * b * b);
  const dBias = hasBias ? new Float64Array(width) : null;
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < blocks; p++) {
      for (let o = 0; o < b; o++) {
        const g = dy[r * width + p * b + o];
        if (dBias !== null) dBias[p * b + o] += g;
        for (let i = 0; i < b; i++) {
          dx[r * width + p * b + i] += g * weight[(p * b + o) * b + i];
          dWeight[(p * b + o) * b + i] += g * x[r * width + p * b + i];
        }
      }
    }
  }
  return { dx, dWeight, dBias };
}
