/**
 * The official `CausalConv1d`: depthwise (one filter per feature), causal, with bias.
 *   y[b, t, f] = bias[f] + Σ_{j<K} W[f, 0, j] · x[b, t − (K−1) + j, f],  x = 0 before t = 0,
 * so tap K−1 multiplies the current step. x, y [B, T, F]; W [F, 1, K]; bias [F].
 */

export interface ConvDims {
  batch: number;
  time: number;
  features: number;
  kernel: number;
}

export function causalConv1dForward(x: Float64Array, weight: Float64Array, bias: Float64Array, dims: ConvDims): Float64Array {
  const { batch, time, features: F, kernel: K } = dims;
  const y = new Float64Array(batch * time * F);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < time; t++) {
      for (let f = 0; f < F; f++) {
        let acc = bias[f];
        for (let j = Math.max(0, K - 1 - t); j < K; j++) acc += weight[f * K + j] * x[(b * time + t - (K - 1) + j) * F + f];
        y[(b * time + t) * F + f] = acc;
      }
    }
  }
  return y;
}

export function causalConv1dBackward(
  dy: Float64Array,
  x: Float64Array,
  weight: Float64Array,
  dims: ConvDims,
): { dx: Float64Array; dWeight: Float64Array; dBias: Float64Array } {
  const { batch, time, features: F, kernel: K } = dims;
  const dx = new Float64Array(batch * time * F);
  const dWeight = new Float64Array(F * K);
  const dBias = new Float64Array(F);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < time; t++) {
      for (let f = 0; f < F; f++) {
        const g = dy[(b * time + t) * F + f];
        dBias[f] += g;
        for (let j = Math.max(0, K - 1 - t); j < K; j++) {
          const src = (b * time + t - (K - 1) + j) * F + f;
          dx[src] += g * weight[f * K + j];
          dWeight[f * K + j] += g * x[src];
        }
      }
    }
  }
  return { dx, dWeight, dBias };
}

/**
 * One step of the official `conv1d_step`: the state [B, K, F] holds the last K inputs, oldest first;
 * it shifts by one, takes x [B, F] as its newest entry (in place), and returns y [B, F].
 */
export function causalConv1dStep(
  state: Float64Array,
  x: Float64Array,
  weight: Float64Array,
  bias: Float64Array,
  batch: number,
  features: number,
  kernel: number,
): Float64Array {
  const F = features;
  const K = kernel;
  const y = new Float64Array(batch * F);
  for (let b = 0; b < batch; b++) {
    const window = state.subarray(b * K * F, (b + 1) * K * F);
    window.copyWithin(0, F);
    window.set(x.subarray(b * F, (b + 1) * F), (K - 1) * F);
    for (let f = 0; f < F; f++) {
      let acc = bias[f];
      for (let j = 0; j < K; j++) acc += window[j * F + f] * weight[f * K + j];
      y[b * F + f] = acc;
    }
  }
  return y;
}
