import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../../../../compiler/spec.js';
import * as act from '../../../../runtime/reference/ops/activations.js';
import { createRng, randomNormal } from '../../../helpers/random.js';

const SCALAR_PAIRS: [string, (x: number) => number, (x: number) => number][] = [
  ['sigmoid', act.sigmoid, act.sigmoidGrad],
  ['logSigmoid', act.logSigmoid, act.logSigmoidGrad],
  ['silu', act.silu, act.siluGrad],
  ['gelu', act.gelu, act.geluGrad],
  ['relu', act.relu, act.reluGrad],
  ['reluSquared', act.reluSquared, act.reluSquaredGrad],
  ['selu', act.selu, act.seluGrad],
];

describe('activations', () => {
  it.each(SCALAR_PAIRS)('%s derivative matches central differences', (_name, f, df) => {
    const rng = createRng();
    for (let n = 0; n < 200; n++) {
      const x = 12 * rng.uniform() - 6;
      if (Math.abs(x) < 1e-3) continue; // relu kinks
      const h = 1e-6;
      const fd = (f(x + h) - f(x - h)) / (2 * h);
      const err = Math.abs(fd - df(x)) / Math.max(1, Math.abs(fd));
      expect(err, `seed ${rng.seed}, x ${x}`).toBeLessThan(1e-8);
    }
  });

  it('match hand-derived values', () => {
    expect(act.sigmoid(0)).toBe(0.5);
    expect(act.silu(2)).toBeCloseTo(2 / (1 + Math.exp(-2)), 15);
    // Φ(1) = 0.841344746068542948...
    expect(act.gelu(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(act.gelu(-1)).toBeCloseTo(-1 + 0.8413447460685429, 15);
    expect(act.relu(-3)).toBe(0);
    expect(act.reluSquared(3)).toBe(9);
    expect(act.selu(1)).toBeCloseTo(1.0507009873554805, 15);
    expect(act.selu(-1)).toBeCloseTo(1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1), 15);
    expect(act.logSigmoid(0)).toBeCloseTo(-Math.LN2, 15);
  });

  it('logSigmoid and sigmoid do not overflow or lose the tail', () => {
    expect(act.logSigmoid(-800)).toBe(-800);
    expect(act.logSigmoid(40) / -Math.exp(-40)).toBeCloseTo(1, 12);
    expect(act.sigmoid(-800)).toBe(0);
    expect(act.sigmoid(800)).toBe(1);
  });

  it.each(ACTIVATIONS)('array form of %s applies the scalar function and chains dy', (name) => {
    const rng = createRng();
    const x = randomNormal(rng, 17, 2);
    const dy = randomNormal(rng, 17);
    const y = act.activationForward(name, x);
    const dx = act.activationBackward(name, x, dy);
    for (let i = 0; i < x.length; i++) {
      const h = 1e-6;
      const f = (v: number) => act.activationForward(name, Float64Array.of(v))[0];
      expect(y[i]).toBe(f(x[i]));
      expect(Math.abs(dx[i] - (dy[i] * (f(x[i] + h) - f(x[i] - h))) / (2 * h)), `seed ${rng.seed}`).toBeLessThan(1e-7 * Math.max(1, Math.abs(dx[i])));
    }
  });
});
