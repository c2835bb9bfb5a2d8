import { describe, expect, it } from 'vitest';
import { learningRate, type LrSchedule } from '../../../runtime/train/schedule.js';

const base: LrSchedule = { lr: 1e-3, warmup: 4, schedule: 'cosine', minLrRatio: 0.1, steps: 14 };

describe('learning-rate schedule', () => {
  it('warms up linearly from 0 (step = optimizer steps already taken)', () => {
    expect(learningRate(base, 0)).toBe(0);
    expect(learningRate(base, 1)).toBeCloseTo(0.25e-3, 15);
    expect(learningRate(base, 3)).toBeCloseTo(0.75e-3, 15);
    expect(learningRate(base, 4)).toBeCloseTo(1e-3, 15);
  });

  it('decays by a half cosine to minLrRatio·lr at `steps`, then holds it', () => {
    // progress (step − 4) / 10; min 1e-4; lr = 1e-4 + 0.5·(1 + cos(π·progress))·9e-4
    expect(learningRate(base, 9)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 15); // progress 1/2: cos = 0
    expect(learningRate(base, 6)).toBeCloseTo(1e-4 + 0.5 * (1 + Math.cos(Math.PI / 5)) * 9e-4, 15);
    expect(learningRate(base, 14)).toBeCloseTo(1e-4, 15);
    expect(learningRate(base, 20)).toBeCloseTo(1e-4, 15);
  });

  it('decays linearly with schedule linear', () => {
    const s = { ...base, schedule: 'linear' as const };
    expect(learningRate(s, 4)).toBeCloseTo(1e-3, 15);
    expect(learningRate(s, 9)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 15);
    expect(learningRate(s, 11)).toBeCloseTo(1e-4 + 0.3 * 9e-4, 15);
    expect(learningRate(s, 14)).toBeCloseTo(1e-4, 15);
  });

  it('stays at lr after the warmup with schedule constant', () => {
    const s = { ...base, schedule: 'constant' as const };
    expect(learningRate(s, 2)).toBeCloseTo(0.5e-3, 15);
    expect(learningRate(s, 4)).toBe(1e-3);
    expect(learningRate(s, 100)).toBe(1e-3);
  });

  it('starts at the full rate without warmup, and drops to the minimum when the warmup fills the run', () => {
    expect(learningRate({ ...base, warmup: 0 }, 0)).toBe(1e-3);
    const full = { ...base, warmup: 14 };
    expect(learningRate(full, 13)).toBeCloseTo((13 / 14) * 1e-3, 15);
    expect(learningRate(full, 14)).toBeCloseTo(1e-4, 15);
  });
});
