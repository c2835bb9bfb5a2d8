import { describe, expect, it } from 'vitest';
import { accuracyRate, argmaxRows, percentText, scoredAccuracy } from '../../runtime/tasks/accuracy.js';

describe('accuracy', () => {
  // 4 positions, vocab 3; arg-maxes 2, 0, 1 (tie of 1 and 2 → 1), none (all NaN)
  const logits = [0.1, -2, 3, 5, 4, -1, 0, 7, 7, NaN, NaN, NaN];

  it('takes the arg-max per row, lowest id on ties, −1 when every logit is NaN', () => {
    expect([...argmaxRows(logits, 3)]).toEqual([2, 0, 1, -1]);
    expect([...argmaxRows([NaN, -Infinity, -Infinity], 3)]).toEqual([1]);
    expect([...argmaxRows([NaN, 2, 5], 3)]).toEqual([2]);
    expect(() => argmaxRows([1, 2, 3, 4], 3)).toThrow(RangeError);
  });

  it('counts correct predictions at scored positions only', () => {
    const targets = Int32Array.from([2, 1, 1, 0]);
    expect(scoredAccuracy(logits, targets, Uint8Array.from([1, 1, 1, 1]), 3)).toEqual({ correct: 2, total: 4 });
    expect(scoredAccuracy(logits, targets, Uint8Array.from([0, 1, 0, 1]), 3)).toEqual({ correct: 0, total: 2 });
    expect(scoredAccuracy(logits, targets, Uint8Array.from([1, 0, 1, 0]), 3)).toEqual({ correct: 2, total: 2 });
    expect(scoredAccuracy(logits, targets, new Uint8Array(4), 3)).toEqual({ correct: 0, total: 0 });
  });

  it('rates, and refuses mismatched sizes', () => {
    expect(accuracyRate({ correct: 3, total: 4 })).toBe(0.75);
    expect(accuracyRate({ correct: 0, total: 0 })).toBeNaN();
    expect([percentText(0.9604), percentText(1), percentText(NaN)]).toEqual(['96.0%', '100.0%', 'n/a']);
    expect(() => scoredAccuracy(logits, Int32Array.from([0, 0, 0]), new Uint8Array(3), 3)).toThrow(RangeError);
  });
});
