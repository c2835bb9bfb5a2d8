/**
 * Shapes and per-head slicing shared by the mLSTM cell forms. Layouts: q, k, v, h [B, T, NH·DH]
 * head-major (as the layer produces them); gate pre-activations ĩ, f̃ [B, T, NH].
 */

export interface MlstmDims {
  batch: number;
  time: number;
  heads: number;
  headDim: number;
}

export interface MlstmInputs {
  q: Float64Array;
  k: Float64Array;
  v: Float64Array;
  /** Input-gate pre-activations ĩ [B, T, NH]. */
  igate: Float64Array;
  /** Forget-gate pre-activations f̃ [B, T, NH]. */
  fgate: Float64Array;
}

export interface MlstmInputGrads {
  dq: Float64Array;
  dk: Float64Array;
  dv: Float64Array;
  dIgate: Float64Array;
  dFgate: Float64Array;
}

/** One (batch, head) slice of the inputs as contiguous [T, DH] / [T] arrays. */
export interface HeadSlice {
  q: Float64Array;
  k: Float64Array;
  v: Float64Array;
  igate: Float64Array;
  fgate: Float64Array;
}

/** The [T, width] slice of batch row b, head h from a [B, T, NH·width] array (width DH, or 1 for gates). */
export function gatherHead(src: Float64Array, dims: MlstmDims, b: number, h: number, width: number): Float64Array {
  const { time: T, heads: NH } = dims;
  const out = new Float64Array(T * width);
  for (let t = 0; t < T; t++) out.set(src.subarray(((b * T + t) * NH + h) * width, ((b * T + t) * NH + h + 1) * width), t * width);
  return out;
}

export function scatterHead(dst: Float64Array, src: Float64Array, dims: MlstmDims, b: number, h: number, width: number): void {
  const { time: T, heads: NH } = dims;
  for (let t = 0; t < T; t++) dst.set(src.subarray(t * width, (t + 1) * width), ((b * T + t) * NH + h) * width);
}

export function headSlice(x: MlstmInputs, dims: MlstmDims, b: number, h: number): HeadSlice {
  const DH = dims.headDim;
  return {
    q: gatherHead(x.q, dims, b, h, DH),
    k: gatherHead(x.k, dims, b, h, DH),
    v: gatherHead(x.v, dims, b, h, DH),
    igate: gatherHead(x.igate, dims, b, h, 1),
    fgate: gatherHead(x.fgate, dims, b, h, 1),
  };
}

export function dot(a: Float64Array, aOff: number, b: Float64Array, bOff: number, n: number): number {
  let acc = 0;
  for (let j = 0; j < n; j++) acc += a[aOff + j] * b[bOff + j];
  return acc;
}

