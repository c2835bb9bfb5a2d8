import { describe, expect, it } from 'vitest';
import { crossEntropyBackward, crossEntropyForward } from '../../../../runtime/reference/ops/cross-entropy.js';
import { checkGradients, expectGradientsMatch } from '../../../helpers/finite-diff.js';
import { createRng, randomNormal, randomTokens } from '../../../helpers/random.js';

describe('cross-entropy (mean over rows)', () => {
  it('is log V for uniform logits and 0-ish for a dominant correct logit', () => {
    expect(crossEntropyForward(new Float64Array(2 * 7), Int32Array.of(3, 5), 2, 7)).toBeCloseTo(Math.log(7), 15);
    expect(crossEntropyForward(Float64Array.of(0, 800, 0), Int32Array.of(1), 1, 3)).toBe(0);
  });

  it('is stable for large logits', () => {
    const loss = crossEntropyForward(Float64Array.of(1000, 1001), Int32Array.of(0), 1, 2);
    expect(loss).toBeCloseTo(Math.log1p(Math.E), 12);
  });

  it('rejects targets outside the vocabulary', () => {
    expect(() => crossEntropyForward(new Float64Array(3), Int32Array.of(3), 1, 3)).toThrow(/outside the vocabulary/);
  });

  it.each([
    [6, 5],
    [1, 2],
    [4, 11],
  ])('backward matches finite differences: rows=%i V=%i', (rows, vocab) => {
    const rng = createRng();
    const logits = randomNormal(rng, rows * vocab, 2);
    const targets = randomTokens(rng, rows, vocab);
    const grad = crossEntropyBackward(logits, targets, rows, vocab);
    const result = checkGradients(() => crossEntropyForward(logits, targets, rows, vocab), [{ name: 'logits', values: logits, grad }], rng);
    expectGradientsMatch(result, rng.seed);
  });
});
