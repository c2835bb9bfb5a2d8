/**
 * The official `MultiHeadLayerNorm` (`F.group_norm` with groups = heads at each position): each head's
 * `headDim` features are normalised on their own (mean, biased variance, eps inside the square root),
 * then every feature is scaled by (1 + w) with w of length heads·headDim. No bias.
 * Plain LayerNorm is the one-head case (see layer-norm.ts).
 */

export interface NormDims {
  rows: number;
  heads: number;
  headDim: number;
}

/** What the backward pass needs: the normalised values and 1/σ per (row, head). */
export interface NormCache {
  xhat: Float64Array;
  rstd: Float64Array;
}

export function multiHeadLayerNormForward(
  x: Float64Array,
  weight: Float64Array,
  dims: NormDims,
  eps: number,
): { y: Float64Array; cache: NormCache } {
  const { rows, heads, headDim } = dims;
  const width = heads * headDim;
  const xhat = new Float64Array(rows * width);
  const rstd = new Float64Array(rows * heads);
  const y = new Float64Array(rows * width);
  for (let g = 0; g < rows * heads; g++) {
    const base = g * headDim;
    let mean = 0;
    for (let j = 0; j < headDim; j++) mean += x[base + j];
    mean /= headDim;
    let variance = 0;
    for (let j = 0; j < headDim; j++) variance += (x[base + j] - mean) ** 2;
    variance /= headDim;
    const r = 1 / Math.sqrt(variance + eps);
    rstd[g] = r;
    for (let j = 0; j < headDim; j++) {
      const xh = (x[base + j] - mean) * r;
      xhat[base + j] = xh;
      y[base + j] = xh * (1 + weight[(g % heads) * headDim + j]);
    }
  }
  return { y, cache: { xhat, rstd } };
}

/**
 * dx = r · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) per group, with ĝ = dy ⊙ (1 + w);
 * dWeight = Σ_rows dy ⊙ x̂.
 */
export function multiHeadLayerNormBackward(
  dy: Float64Array,
  weight: Float64Array,
  cache: NormCache,
  dims: NormDims,
): { dx: Float64Array; dWeight: Float64Array } {
  const { rows, heads, headDim } = dims;
  const width = heads * headDim;
  const { xhat, rstd } = cache;
  const dx = new Float64Array(rows * width);
  const dWeight = new Float64Array(width);
  const gHat = new Float64Array(headDim);
  for (let g = 0; g < rows * heads; g++) {
    const base = g * headDim;
    const wBase = (g % heads) * headDim;
    let meanG = 0;
    let meanGx = 0;
    for (let j = 0; j < headDim; j++) {
      gHat[j] = dy[base + j] * (1 + weight[wBase + j]);
      meanG += gHat[j];
      meanGx += gHat[j] * xhat[base + j];
      dWeight[wBase + j] += dy[base + j] * xhat[base + j];
    }
    meanG /= headDim;
    meanGx /= headDim;
    for (let j = 0; j < headDim; j++) {
      dx[base + j] = rstd[g] * (gHat[j] - meanG - xhat[base + j] * meanGx);
    }
  }
  return { dx, dWeight };
}
