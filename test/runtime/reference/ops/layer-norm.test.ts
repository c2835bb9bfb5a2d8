import { describe, expect, it } from 'vitest';
import { layerNormBackward, layerNormForward } from '../../../../runtime/reference/ops/layer-norm.js';
import { multiHeadLayerNormBackward, multiHeadLayerNormForward } from '../../../../runtime/reference/ops/multi-head-layer-norm.js';
import { checkGradients, expectGradientsMatch, weightedSum } from '../../../helpers/finite-diff.js';
import { createRng, randomNormal } from '../../../helpers/random.js';

const EPS = 1e-5;

describe('LayerNorm (scale 1 + w, no bias)', () => {
  it('normalises each row to mean 0 and variance var/(var + eps), then scales by 1 + w', () => {
    const x = Float64Array.of(1, 2, 3, 4, -2, 0, 2, 4);
    const w = Float64Array.of(0, 1, -0.5, 0);
    const { y } = layerNormForward(x, w, 2, 4, EPS);
    // Row 0: mean 2.5, biased variance 1.25.
    const r0 = 1 / Math.sqrt(1.25 + EPS);
    expect(y[0]).toBeCloseTo(-1.5 * r0, 14);
    expect(y[1]).toBeCloseTo(-0.5 * r0 * 2, 14);
    expect(y[2]).toBeCloseTo(0.5 * r0 * 0.5, 14);
    // Row 1: mean 1, biased variance 5.
    expect(y[7]).toBeCloseTo(3 / Math.sqrt(5 + EPS), 14);
  });

  it.each([
    [3, 5],
    [1, 8],
    [4, 1],
    [2, 13],
  ])('backward matches finite differences: rows=%i dim=%i', (rows, dim) => {
    const rng = createRng();
    const x = randomNormal(rng, rows * dim, 1.5, 0.3);
    const w = randomNormal(rng, dim, 0.3);
    const dy = randomNormal(rng, rows * dim);
    const { cache } = layerNormForward(x, w, rows, dim, EPS);
    const { dx, dWeight } = layerNormBackward(dy, w, cache, rows, dim);
    const loss = () => weightedSum(layerNormForward(x, w, rows, dim, EPS).y, dy);
    const result = checkGradients(loss, [
      { name: 'x', values: x, grad: dx },
      { name: 'w', values: w, grad: dWeight },
    ], rng);
    expectGradientsMatch(result, rng.seed);
  });
});

describe('MultiHeadLayerNorm', () => {
  it('normalises each head separately: equals LayerNorm over [rows·heads, headDim] with the per-head weight slices', () => {
    const rng = createRng();
    const [rows, heads, headDim] = [3, 4, 5];
    const x = randomNormal(rng, rows * heads * headDim, 2);
    const w = randomNormal(rng, heads * headDim, 0.2);
    const { y } = multiHeadLayerNormForward(x, w, { rows, heads, headDim }, EPS);
    for (let r = 0; r < rows; r++) {
      for (let h = 0; h < heads; h++) {
        const off = (r * heads + h) * headDim;
        const single = layerNormForward(x.slice(off, off + headDim), w.slice(h * headDim, (h + 1) * headDim), 1, headDim, EPS).y;
        single.forEach((v, j) => expect(y[off + j], `seed ${rng.seed}`).toBeCloseTo(v, 14));
      }
    }
  });

  it.each([
    [2, 3, 4],
    [3, 1, 7],
    [1, 5, 3],
  ])('backward matches finite differences: rows=%i heads=%i headDim=%i', (rows, heads, headDim) => {
    const rng = createRng();
    const dims = { rows, heads, headDim };
    const x = randomNormal(rng, rows * heads * headDim, 1.2, -0.4);
    const w = randomNormal(rng, heads * headDim, 0.3);
    const dy = randomNormal(rng, rows * heads * headDim);
    const { cache } = multiHeadLayerNormForward(x, w, dims, EPS);
    const { dx, dWeight } = multiHeadLayerNormBackward(dy, w, cache, dims);
    const loss = () => weightedSum(multiHeadLayerNormForward(x, w, dims, EPS).y, dy);
    const result = checkGradients(loss, [
      { name: 'x', values: x, grad: dx },
      { name: 'w', values: w, grad: dWeight },
    ], rng);
    expectGradientsMatch(result, rng.seed);
  });
});
