import type { Activation } from '../../../compiler/spec.js';
import { activationBackward, activationForward } from './activations.js';
import { concatColumns, splitColumns } from './columns.js';
import { linearBackward, linearForward } from './linear.js';

/**
 * The official `GatedFeedForward`: u = x·upᵀ (+b), y = (act(u[:, :F]) ⊙ u[:, F:])·downᵀ (+b).
 * x [rows, dim]; up [2F, dim]; down [dim, F].
 */

export interface GatedFfnDims {
  rows: number;
  dim: number;
  upDim: number;
}

export interface GatedFfnWeights {
  upWeight: Float64Array;
  upBias: Float64Array | null;
  downWeight: Float64Array;
  downBias: Float64Array | null;
}

export interface GatedFfnGrads {
  dx: Float64Array;
  dUpWeight: Float64Array;
  dUpBias: Float64Array | null;
  dDownWeight: Float64Array;
  dDownBias: Float64Array | null;
}

function forwardParts(x: Float64Array, w: GatedFfnWeights, act: Activation, dims: GatedFfnDims) {
  const { rows, dim, upDim: F } = dims;
  const u = linearForward(x, w.upWeight, w.upBias, rows, dim, 2 * F);
  const [gate, value] = splitColumns(u, rows, [F, F]);
  const activated = activationForward(act, gate);
  const hidden = activated.map((a, i) => a * value[i]);
  return { gate, value, activated, hidden };
}

export function gatedFfnForward(x: Float64Array, w: GatedFfnWeights, act: Activation, dims: GatedFfnDims): Float64Array {
  const { hidden } = forwardParts(x, w, act, dims);
  return linearForward(hidden, w.downWeight, w.downBias, dims.rows, dims.upDim, dims.dim);
}

export function gatedFfnBackward(
  dy: Float64Array,
  x: Float64Array,
  w: GatedFfnWeights,
  act: Activation,
  dims: GatedFfnDims,
): GatedFfnGrads {
  const { rows, dim, upDim: F } = dims;
  const { gate, value, activated, hidden } = forwardParts(x, w, act, dims);
  const down = linearBackward(dy, hidden, w.downWeight, w.downBias !== null, rows, F, dim);
  const dGate = activationBackward(act, gate, down.dx.map((g, i) => g * value[i]));
  const dValue = down.dx.map((g, i) => g * activated[i]);
  const du = concatColumns([dGate, dValue], rows, [F, F]);
  const up = linearBackward(du, x, w.upWeight, w.upBias !== null, rows, dim, 2 * F);
  return { dx: up.dx, dUpWeight: up.dWeight, dUpBias: up.dBias, dDownWeight: down.dWeight, dDownBias: down.dBias };
}
