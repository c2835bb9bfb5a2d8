import { describe, expect, it } from 'vitest';
import { sigmoid } from '../../../../runtime/reference/ops/activations.js';
import { createSlstmState, slstmBackward, slstmForward, slstmStep } from '../../../../runtime/reference/ops/slstm.js';
import { setTimeStep, timeStep } from '../../../../runtime/reference/ops/time-steps.js';
import { checkGradients, expectGradientsMatch, weightedSum } from '../../../helpers/finite-diff.js';
import { createRng, randomNormal } from '../../../helpers/random.js';

describe('sLSTM cell (vanilla)', () => {
  it('first step from the zero state by hand: m = raw_i, i = 1, c = tanh(z), n = 1, y = σ(o)·tanh(z)', () => {
    const E = 2;
    // x = [i | f | z | o] per unit; the recurrent kernel sees y = 0, so only x and bias count.
    const x = Float64Array.of(0.3, -2, 1.2, 0.1, 0.5, -0.7, 2, -1);
    const bias = Float64Array.of(0, 0, 1, 1, 0, 0, 0.5, 0.5);
    const kernel = randomNormal(createRng(), 2 * 4 * 1 * 1); // NH = 2, DH = 1; multiplies y = 0 here
    const state = createSlstmState(1, E);
    const y = slstmStep(state, x, kernel, bias, { batch: 1, heads: 2, headDim: 1 });
    expect(y[0]).toBeCloseTo(sigmoid(2.5) * Math.tanh(0.5), 15);
    expect(y[1]).toBeCloseTo(sigmoid(-0.5) * Math.tanh(-0.7), 15);
    expect([...state.n]).toEqual([1, 1]);
    expect([...state.m]).toEqual([0.3, -2]);
  });

  it('second step by hand (one unit): stabiliser, min(·,1) gates, normaliser', () => {
    const dims = { batch: 1, time: 2, heads: 1, headDim: 1 };
    const r = Float64Array.of(0.2, -0.3, 0.4, 0.5); // R[0, g, 0, 0] for g = i, f, z, o
    const bias = Float64Array.of(0.1, 1, 0, 0);
    const x = Float64Array.of(0.5, 0.4, 0.3, -0.2, /* t=1 */ -1, 2, -0.6, 0.8);
    const y = slstmForward(x, r, bias, dims);
    // t = 0
    const iRaw0 = 0.6;
    const c0 = Math.tanh(0.3);
    const y0 = (sigmoid(-0.2) * c0) / 1;
    // t = 1
    const iRaw1 = -1 + 0.2 * y0 + 0.1;
    const fRaw1 = 2 - 0.3 * y0 + 1;
    const zRaw1 = -0.6 + 0.4 * y0;
    const oRaw1 = 0.8 + 0.5 * y0;
    const logFPlusM = iRaw0 + Math.log(sigmoid(fRaw1));
    const m1 = Math.max(iRaw1, logFPlusM);
    const i1 = Math.min(Math.exp(iRaw1 - m1), 1);
    const f1 = Math.min(Math.exp(logFPlusM - m1), 1);
    const c1 = f1 * c0 + i1 * Math.tanh(zRaw1);
    const n1 = f1 * 1 + i1;
    expect(y[0]).toBeCloseTo(y0, 15);
    expect(y[1]).toBeCloseTo((sigmoid(oRaw1) * c1) / n1, 15);
  });

  it.each([
    [1, 1, 1, 1],
    [2, 5, 2, 3],
    [1, 6, 1, 4],
    [3, 4, 3, 1],
  ])('backward through time matches finite differences: B=%i T=%i NH=%i DH=%i', (batch, time, heads, headDim) => {
    const rng = createRng();
    const dims = { batch, time, heads, headDim };
    const E = heads * headDim;
    const x = randomNormal(rng, batch * time * 4 * E);
    const kernel = randomNormal(rng, heads * 4 * headDim * headDim, 0.7);
    const bias = randomNormal(rng, 4 * E);
    const dy = randomNormal(rng, batch * time * E);
    const g = slstmBackward(dy, x, kernel, bias, dims);
    const result = checkGradients(() => weightedSum(slstmForward(x, kernel, bias, dims), dy), [
      { name: 'x', values: x, grad: g.dx },
      { name: 'kernel', values: kernel, grad: g.dKernel },
      { name: 'bias', values: bias, grad: g.dBias },
    ], rng);
    expectGradientsMatch(result, rng.seed);
  });

  it('the recurrent kernel is block-diagonal per head with layout [head, gate·DH + out, in]', () => {
    // Two heads of DH = 2; only R[1, z·DH + 0, 1] is nonzero: unit 0 of head 1's z gate reads unit 1 of head 1.
    const dims = { batch: 1, time: 2, heads: 2, headDim: 2 };
    const E = 4;
    const kernel = new Float64Array(2 * 4 * 2 * 2);
    kernel[((1 * 4 + 2) * 2 + 0) * 2 + 1] = 3;
    const rng = createRng();
    const x = randomNormal(rng, 2 * 4 * E);
    const bias = new Float64Array(4 * E);
    const base = slstmForward(x, new Float64Array(kernel.length), bias, dims);
    const y = slstmForward(x, kernel, bias, dims);
    // Only unit 2 (head 1, unit 0) at t = 1 can change.
    const changed = [...y].map((v, i) => Math.abs(v - base[i]) > 0);
    expect(changed).toEqual([false, false, false, false, false, false, true, false]);
  });

  it('stepping equals the sequence forward, and the state carries across pieces', () => {
    const rng = createRng();
    const dims = { batch: 2, time: 5, heads: 2, headDim: 2 };
    const E = 4;
    const x = randomNormal(rng, 2 * 5 * 4 * E);
    const kernel = randomNormal(rng, 2 * 4 * 2 * 2, 0.5);
    const bias = randomNormal(rng, 4 * E);
    const whole = slstmForward(x, kernel, bias, dims);
    const state = createSlstmState(2, E);
    const stepped = new Float64Array(whole.length);
    for (let t = 0; t < 5; t++) setTimeStep(stepped, slstmStep(state, timeStep(x, 2, 5, 4 * E, t), kernel, bias, dims), 2, 5, E, t);
    whole.forEach((v, i) => expect(stepped[i], `seed ${rng.seed}`).toBe(v));
  });
});
