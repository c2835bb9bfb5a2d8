import { describe, expect, it } from 'vitest';
import { embeddingBackward, embeddingForward } from '../../../../runtime/reference/ops/embedding.js';
import { checkGradients, expectGradientsMatch, weightedSum } from '../../../helpers/finite-diff.js';
import { createRng, randomNormal, randomTokens } from '../../../helpers/random.js';

describe('embedding', () => {
  it('gathers rows of the table', () => {
    const table = Float64Array.of(0, 1, 10, 11, 20, 21);
    expect([...embeddingForward(table, Int32Array.of(2, 0, 2), 3, 2)]).toEqual([20, 21, 0, 1, 20, 21]);
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => embeddingForward(new Float64Array(6), Int32Array.of(3), 3, 2)).toThrow(/outside the vocabulary/);
    expect(() => embeddingBackward(new Float64Array(2), Int32Array.of(-1), 3, 2)).toThrow(/outside the vocabulary/);
  });

  it.each([
    [5, 3, 7],
    [2, 4, 9],
    [11, 1, 3],
  ])('backward (scatter-add, repeated ids) matches finite differences: V=%i E=%i N=%i', (V, E, N) => {
    const rng = createRng();
    const table = randomNormal(rng, V * E);
    const ids = randomTokens(rng, N, V);
    const dOut = randomNormal(rng, N * E);
    const grad = embeddingBackward(dOut, ids, V, E);
    const result = checkGradients(() => weightedSum(embeddingForward(table, ids, V, E), dOut), [{ name: 'table', values: table, grad }], rng);
    expectGradientsMatch(result, rng.seed);
  });
});
