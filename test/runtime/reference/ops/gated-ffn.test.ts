import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../../../../compiler/spec.js';
import { gatedFfnBackward, gatedFfnForward } from '../../../../runtime/reference/ops/gated-ffn.js';
import { checkGradients, expectGradientsMatch, weightedSum, type GradientUnderTest } from '../../../helpers/finite-diff.js';
import { createRng, randomNormal } from '../../../helpers/random.js';

describe('gated FFN', () => {
  it('computes (act(u_gate) ⊙ u_value)·downᵀ by hand for one row', () => {
    // dim 1, F 1: u = [2x, 3x] with x = 1, relu gate: relu(2)·3 = 6; down = 0.5 → 3.
    const y = gatedFfnForward(
      Float64Array.of(1),
      { upWeight: Float64Array.of(2, 3), upBias: null, downWeight: Float64Array.of(0.5), downBias: null },
      'relu',
      { rows: 1, dim: 1, upDim: 1 },
    );
    expect(y[0]).toBe(3);
  });

  it.each(ACTIVATIONS.flatMap((act) => [[act, false] as const, [act, true] as const]))(
    'backward matches finite differences: act=%s bias=%s',
    (act, hasBias) => {
      const rng = createRng();
      const dims = { rows: 3, dim: 5, upDim: 7 };
      const x = randomNormal(rng, dims.rows * dims.dim);
      const w = {
        upWeight: randomNormal(rng, 2 * dims.upDim * dims.dim, 0.6),
        upBias: hasBias ? randomNormal(rng, 2 * dims.upDim) : null,
        downWeight: randomNormal(rng, dims.dim * dims.upDim, 0.6),
        downBias: hasBias ? randomNormal(rng, dims.dim) : null,
      };
      const dy = randomNormal(rng, dims.rows * dims.dim);
      const g = gatedFfnBackward(dy, x, w, act, dims);
      const tensors: GradientUnderTest[] = [
        { name: 'x', values: x, grad: g.dx },
        { name: 'up', values: w.upWeight, grad: g.dUpWeight },
        { name: 'down', values: w.downWeight, grad: g.dDownWeight },
      ];
      if (w.upBias && g.dUpBias) tensors.push({ name: 'upBias', values: w.upBias, grad: g.dUpBias });
      if (w.downBias && g.dDownBias) tensors.push({ name: 'downBias', values: w.downBias, grad: g.dDownBias });
      const result = checkGradients(() => weightedSum(gatedFfnForward(x, w, act, dims), dy), tensors, rng);
      expectGradientsMatch(result, rng.seed);
    },
  );
});
