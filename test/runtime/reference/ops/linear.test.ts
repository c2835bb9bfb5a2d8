import { describe, expect, it } from 'vitest';
import { headwiseBackward, headwiseForward } from '../../../../runtime/reference/ops/headwise.js';
import { linearBackward, linearForward } from '../../../../runtime/reference/ops/linear.js';
import { checkGradients, expectGradientsMatch, weightedSum } from '../../../helpers/finite-diff.js';
import { createRng, randomNormal } from '../../../helpers/random.js';

describe('linear (nn.Linear, W [out, in])', () => {
  it('computes x·Wᵀ + b', () => {
    // x = [1, 2], W = [[1, 0], [3, -1], [0.5, 0.5]], b = [0, 1, -1]
    const y = linearForward(Float64Array.of(1, 2), Float64Array.of(1, 0, 3, -1, 0.5, 0.5), Float64Array.of(0, 1, -1), 1, 2, 3);
    expect([...y]).toEqual([1, 2, 0.5]);
  });

  it.each([
    [3, 4, 5, true],
    [1, 7, 2, false],
    [5, 1, 3, true],
  ])('backward matches finite differences: rows=%i in=%i out=%i bias=%s', (rows, inDim, outDim, hasBias) => {
    const rng = createRng();
    const x = randomNormal(rng, rows * inDim);
    const w = randomNormal(rng, outDim * inDim);
    const b = hasBias ? randomNormal(rng, outDim) : null;
    const dy = randomNormal(rng, rows * outDim);
    const g = linearBackward(dy, x, w, hasBias, rows, inDim, outDim);
    const tensors = [
      { name: 'x', values: x, grad: g.dx },
      { name: 'W', values: w, grad: g.dWeight },
    ];
    if (b !== null && g.dBias !== null) tensors.push({ name: 'b', values: b, grad: g.dBias });
    expect(g.dBias === null).toBe(!hasBias);
    const result = checkGradients(() => weightedSum(linearForward(x, w, b, rows, inDim, outDim), dy), tensors, rng);
    expectGradientsMatch(result, rng.seed);
  });
});

describe('headwise (block-diagonal) projection', () => {
  it('equals a dense linear map with the blocks on the diagonal', () => {
    const rng = createRng();
    const [rows, blocks, b] = [3, 4, 3];
    const width = blocks * b;
    const x = randomNormal(rng, rows * width);
    const w = randomNormal(rng, blocks * b * b);
    const bias = randomNormal(rng, width);
    const dense = new Float64Array(width * width);
    for (let p = 0; p < blocks; p++) for (let o = 0; o < b; o++) for (let i = 0; i < b; i++) dense[(p * b + o) * width + p * b + i] = w[(p * b + o) * b + i];
    const expected = linearForward(x, dense, bias, rows, width, width);
    const y = headwiseForward(x, w, bias, { rows, blocks, blockSize: b });
    expected.forEach((v, i) => expect(y[i], `seed ${rng.seed}`).toBeCloseTo(v, 13));
  });

  it.each([
    [2, 3, 4, true],
    [3, 5, 1, false],
    [1, 2, 7, true],
  ])('backward matches finite differences: rows=%i blocks=%i blockSize=%i bias=%s', (rows, blocks, blockSize, hasBias) => {
    const rng = createRng();
    const dims = { rows, blocks, blockSize };
    const width = blocks * blockSize;
    const x = randomNormal(rng, rows * width);
    const w = randomNormal(rng, blocks * blockSize * blockSize);
    const b = hasBias ? randomNormal(rng, width) : null;
    const dy = randomNormal(rng, rows * width);
    const g = headwiseBackward(dy, x, w, hasBias, dims);
    const tensors = [
      { name: 'x', values: x, grad: g.dx },
      { name: 'W', values: w, grad: g.dWeight },
    ];
    if (b !== null && g.dBias !== null) tensors.push({ name: 'b', values: b, grad: g.dBias });
    expect(g.dBias === null).toBe(!hasBias);
    const result = checkGradients(() => weightedSum(headwiseForward(x, w, b, dims), dy), tensors, rng);
    expectGradientsMatch(result, rng.seed);
  });
});
