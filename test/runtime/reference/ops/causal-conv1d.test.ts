import { describe, expect, it } from 'vitest';
import { causalConv1dBackward, causalConv1dForward, causalConv1dStep } from '../../../../runtime/reference/ops/causal-conv1d.js';
import { setTimeStep, timeStep } from '../../../../runtime/reference/ops/time-steps.js';
import { checkGradients, expectGradientsMatch, weightedSum } from '../../../helpers/finite-diff.js';
import { createRng, randomNormal } from '../../../helpers/random.js';

describe('causal depthwise conv1d', () => {
  it('tap K−1 multiplies the current step, earlier taps earlier steps, zeros before t = 0', () => {
    // One feature, K = 3, W = [a, b, c] = [100, 10, 1]: y_t = bias + 100·x_{t−2} + 10·x_{t−1} + x_t.
    const x = Float64Array.of(1, 2, 3, 4);
    const y = causalConv1dForward(x, Float64Array.of(100, 10, 1), Float64Array.of(0.5), { batch: 1, time: 4, features: 1, kernel: 3 });
    expect([...y]).toEqual([1.5, 12.5, 123.5, 234.5]);
  });

  it.each([
    [2, 5, 3, 4],
    [1, 2, 4, 3],
    [3, 4, 1, 2],
    [1, 7, 2, 1],
  ])('backward matches finite differences: B=%i T=%i F=%i K=%i', (batch, time, features, kernel) => {
    const rng = createRng();
    const dims = { batch, time, features, kernel };
    const x = randomNormal(rng, batch * time * features);
    const w = randomNormal(rng, features * kernel);
    const bias = randomNormal(rng, features);
    const dy = randomNormal(rng, batch * time * features);
    const g = causalConv1dBackward(dy, x, w, dims);
    const result = checkGradients(() => weightedSum(causalConv1dForward(x, w, bias, dims), dy), [
      { name: 'x', values: x, grad: g.dx },
      { name: 'W', values: w, grad: g.dWeight },
      { name: 'bias', values: bias, grad: g.dBias },
    ], rng);
    expectGradientsMatch(result, rng.seed);
  });

  it('stepping through the sequence with a [B, K, F] state reproduces the full forward', () => {
    const rng = createRng();
    const [batch, time, features, kernel] = [2, 6, 3, 4];
    const x = randomNormal(rng, batch * time * features);
    const w = randomNormal(rng, features * kernel);
    const bias = randomNormal(rng, features);
    const expected = causalConv1dForward(x, w, bias, { batch, time, features, kernel });
    const state = new Float64Array(batch * kernel * features);
    const y = new Float64Array(expected.length);
    for (let t = 0; t < time; t++) {
      setTimeStep(y, causalConv1dStep(state, timeStep(x, batch, time, features, t), w, bias, batch, features, kernel), batch, time, features, t);
    }
    expected.forEach((v, i) => expect(y[i], `seed ${rng.seed}`).toBeCloseTo(v, 13));
    // The state holds the last K inputs, oldest first.
    expect(state[(kernel - 1) * features]).toBe(x[(time - 1) * features]);
  });
});
