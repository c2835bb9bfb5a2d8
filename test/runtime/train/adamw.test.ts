import { describe, expect, it } from 'vitest';
import { adamwUpdate, clipFactor, globalGradNorm } from '../../../runtime/train/adamw.js';

describe('AdamW (torch.optim.AdamW semantics)', () => {
  it('matches a hand-computed two-step example, with and without decay', () => {
    // lr 0.1, betas (0.9, 0.999), eps 1e-8, weight decay 0.01; element 0 decays, element 1 does not.
    const hyper = { lr: 0.1, weightDecay: 0.01, betas: [0.9, 0.999] as const, eps: 1e-8, clip: null };
    const decayed = Float64Array.of(1.0);
    const plain = Float64Array.of(-2.0);
    const moments = [new Float64Array(1), new Float64Array(1), new Float64Array(1), new Float64Array(1)] as const;
    adamwUpdate(decayed, Float64Array.of(0.5), moments[0], moments[1], { ...hyper, step: 1 }, true);
    adamwUpdate(plain, Float64Array.of(0.5), moments[2], moments[3], { ...hyper, step: 1 }, false);
    // step 1: m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025; m̂ = 0.5, √v̂ = 0.5; step size lr/(1 − 0.9) = 1
    expect(moments[0][0]).toBeCloseTo(0.05, 15);
    expect(moments[1][0]).toBeCloseTo(0.00025, 17);
    expect(decayed[0]).toBeCloseTo(1.0 * (1 - 0.1 * 0.01) - 0.05 / (0.5 + 1e-8), 14);
    expect(plain[0]).toBeCloseTo(-2.0 - 0.05 / (0.5 + 1e-8), 14);
    const p1 = [decayed[0]!, plain[0]!];
    adamwUpdate(decayed, Float64Array.of(-0.25), moments[0], moments[1], { ...hyper, step: 2 }, true);
    adamwUpdate(plain, Float64Array.of(-0.25), moments[2], moments[3], { ...hyper, step: 2 }, false);
    // step 2: m = 0.9·0.05 + 0.1·(−0.25) = 0.02; v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
    // bias corrections 1 − 0.9² = 0.19 and 1 − 0.999² = 0.001999
    expect(moments[0][0]).toBeCloseTo(0.02, 15);
    expect(moments[1][0]).toBeCloseTo(0.00031225, 17);
    const update = (0.1 / 0.19) * (0.02 / (Math.sqrt(0.00031225) / Math.sqrt(0.001999) + 1e-8));
    expect(decayed[0]).toBeCloseTo(p1[0]! * (1 - 0.1 * 0.01) - update, 14);
    expect(plain[0]).toBeCloseTo(p1[1]! - update, 14);
  });

  it('scales the gradient by the clip factor before the moments see it', () => {
    const p = Float64Array.of(0);
    const m = new Float64Array(1);
    const v = new Float64Array(1);
    adamwUpdate(p, Float64Array.of(4), m, v, { lr: 1, weightDecay: 0, betas: [0.9, 0.99], eps: 0, clip: 1, step: 1 }, false, 0.25);
    expect(m[0]).toBeCloseTo(0.1, 15);
    expect(v[0]).toBeCloseTo(0.01, 15);
    expect(p[0]).toBeCloseTo(-1, 14);
  });
});

describe('clip_grad_norm_ semantics', () => {
  it('takes the L2 norm over all tensors together', () => {
    expect(globalGradNorm([Float64Array.of(3), Float64Array.of(0, 4), new Float64Array(0)])).toBe(5);
  });

  it('clips by max_norm / (norm + 1e-6), never scaling up', () => {
    expect(clipFactor(5, 1)).toBe(1 / (5 + 1e-6));
    expect(clipFactor(0.5, 1)).toBe(1);
    expect(clipFactor(0, 1)).toBe(1);
  });
});
