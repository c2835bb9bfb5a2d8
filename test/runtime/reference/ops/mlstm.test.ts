import { describe, expect, it } from 'vitest';
import { mlstmChunkwiseForward } from '../../../../runtime/reference/ops/mlstm-chunkwise.js';
import type { MlstmDims, MlstmInputs } from '../../../../runtime/reference/ops/mlstm-heads.js';
import { mlstmParallelBackward, mlstmParallelForward } from '../../../../runtime/reference/ops/mlstm-parallel.js';
import { createMlstmState, mlstmRecurrentForward } from '../../../../runtime/reference/ops/mlstm-recurrent.js';
import { checkGradients, expectGradientsMatch, weightedSum } from '../../../helpers/finite-diff.js';
import { createRng, randomNormal, type TestRng } from '../../../helpers/random.js';

const OFFICIAL_EPS = 1e-6;

/** Input gates spread wide enough that both branches of max(|c|, e^{−m}) occur. */
function randomInputs(rng: TestRng, d: MlstmDims): MlstmInputs {
  const width = d.batch * d.time * d.heads * d.headDim;
  const gates = d.batch * d.time * d.heads;
  return {
    q: randomNormal(rng, width),
    k: randomNormal(rng, width),
    v: randomNormal(rng, width),
    igate: randomNormal(rng, gates, 2.5),
    fgate: randomNormal(rng, gates, 1.5, 2),
  };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) || a.length !== b.length ? NaN : m;
}

/** max |a − b| relative to max(1, max |b|): rounding grows with the magnitude of the values. */
function scaledDiff(a: Float64Array, b: Float64Array): number {
  return maxAbsDiff(a, b) / Math.max(1, ...b.map(Math.abs));
}

const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [2, 5, 2, 3],
  [1, 7, 3, 2],
  [2, 4, 1, 5],
];

describe('mLSTM cell', () => {
  it('T = 1 by hand: h = s·v / (max(|s|, e^{−ĩ}) + eps), s = q·k/√DH', () => {
    const x: MlstmInputs = {
      q: Float64Array.of(1, 2),
      k: Float64Array.of(0.5, -1),
      v: Float64Array.of(3, 4),
      igate: Float64Array.of(0.7),
      fgate: Float64Array.of(1.1),
    };
    const s = (0.5 - 2) / Math.SQRT2;
    const denom = Math.max(Math.abs(s), Math.exp(-0.7)) + OFFICIAL_EPS;
    const h = mlstmParallelForward(x, { batch: 1, time: 1, heads: 1, headDim: 2 }, OFFICIAL_EPS);
    expect(h[0]).toBeCloseTo((s * 3) / denom, 15);
    expect(h[1]).toBeCloseTo((s * 4) / denom, 15);
  });

  it.each(SHAPES.flatMap((s) => [[...s, OFFICIAL_EPS], [...s, 0]]))(
    'parallel backward matches finite differences: B=%i T=%i NH=%i DH=%i eps=%s',
    (batch, time, heads, headDim, eps) => {
      const rng = createRng();
      const dims = { batch, time, heads, headDim };
      const x = randomInputs(rng, dims);
      const dh = randomNormal(rng, x.q.length);
      const g = mlstmParallelBackward(dh, x, dims, eps);
      const result = checkGradients(() => weightedSum(mlstmParallelForward(x, dims, eps), dh), [
        { name: 'q', values: x.q, grad: g.dq },
        { name: 'k', values: x.k, grad: g.dk },
        { name: 'v', values: x.v, grad: g.dv },
        { name: 'igate', values: x.igate, grad: g.dIgate },
        { name: 'fgate', values: x.fgate, grad: g.dFgate },
      ], rng);
      expectGradientsMatch(result, rng.seed);
    },
  );

  it.each(SHAPES)('parallel and recurrent forms agree to rounding with eps = 0: B=%i T=%i NH=%i DH=%i', (batch, time, heads, headDim) => {
    const rng = createRng();
    const dims = { batch, time, heads, headDim };
    const x = randomInputs(rng, dims);
    expect(scaledDiff(mlstmParallelForward(x, dims, 0), mlstmRecurrentForward(x, dims, 0)), `seed ${rng.seed}`).toBeLessThan(1e-12);
  });

  it('with the official eps the parallel and recurrent forms differ (different stabilisers), slightly', () => {
    const rng = createRng();
    const dims = { batch: 2, time: 12, heads: 2, headDim: 4 };
    const x = randomInputs(rng, dims);
    x.igate.fill(-3); // m_t < 0 in the parallel form, where the recurrent form's m_0 = 0 term dominates early on
    const diff = maxAbsDiff(mlstmParallelForward(x, dims, OFFICIAL_EPS), mlstmRecurrentForward(x, dims, OFFICIAL_EPS));
    expect(diff, `seed ${rng.seed}`).toBeGreaterThan(1e-12);
    expect(diff, `seed ${rng.seed}`).toBeLessThan(1e-3);
  });

  it.each([1, 2, 3, 5, 16])('chunkwise (chunk %i) equals the recurrent form with the official eps, and carries the same state', (chunk) => {
    const rng = createRng();
    const dims = { batch: 2, time: 11, heads: 2, headDim: 3 };
    const x = randomInputs(rng, dims);
    const recState = createMlstmState(2, 2, 3);
    const chunkState = createMlstmState(2, 2, 3);
    const expected = mlstmRecurrentForward(x, dims, OFFICIAL_EPS, recState);
    const actual = mlstmChunkwiseForward(x, dims, chunk, OFFICIAL_EPS, chunkState);
    expect(scaledDiff(actual, expected), `seed ${rng.seed}`).toBeLessThan(1e-12);
    expect(scaledDiff(chunkState.m, recState.m), `seed ${rng.seed}`).toBeLessThan(1e-12);
    expect(scaledDiff(chunkState.n, recState.n), `seed ${rng.seed}`).toBeLessThan(1e-12);
    expect(scaledDiff(chunkState.c, recState.c), `seed ${rng.seed}`).toBeLessThan(1e-12);
  });

  it('chunkwise equals the parallel form with eps = 0', () => {
    const rng = createRng();
    const dims = { batch: 1, time: 9, heads: 3, headDim: 2 };
    const x = randomInputs(rng, dims);
    expect(scaledDiff(mlstmChunkwiseForward(x, dims, 4, 0), mlstmParallelForward(x, dims, 0)), `seed ${rng.seed}`).toBeLessThan(1e-12);
  });

  it('a sequence processed in two pieces through the state equals the whole sequence', () => {
    const rng = createRng();
    const dims = { batch: 2, time: 8, heads: 2, headDim: 3 };
    const x = randomInputs(rng, dims);
    const whole = mlstmRecurrentForward(x, dims, OFFICIAL_EPS);
    const scale = Math.max(1, ...whole.map(Math.abs));
    const state = createMlstmState(2, 2, 3);
    const cut = 3;
    const piece = (from: number, to: number) => {
      const pick = (a: Float64Array, w: number) => {
        const out = new Float64Array(dims.batch * (to - from) * w);
        for (let b = 0; b < dims.batch; b++) out.set(a.subarray((b * dims.time + from) * w, (b * dims.time + to) * w), b * (to - from) * w);
        return out;
      };
      const W = dims.heads * dims.headDim;
      return { q: pick(x.q, W), k: pick(x.k, W), v: pick(x.v, W), igate: pick(x.igate, dims.heads), fgate: pick(x.fgate, dims.heads) };
    };
    const first = mlstmChunkwiseForward(piece(0, cut), { ...dims, time: cut }, 2, OFFICIAL_EPS, state);
    const second = mlstmChunkwiseForward(piece(cut, dims.time), { ...dims, time: dims.time - cut }, 2, OFFICIAL_EPS, state);
    const W = dims.heads * dims.headDim;
    for (let b = 0; b < dims.batch; b++) {
      for (let t = 0; t < dims.time; t++) {
        for (let j = 0; j < W; j++) {
          const got = t < cut ? first[(b * cut + t) * W + j] : second[(b * (dims.time - cut) + t - cut) * W + j];
          expect(Math.abs(got - whole[(b * dims.time + t) * W + j]) / scale, `seed ${rng.seed}`).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('rejects a chunk size that is not a positive integer', () => {
    const dims = { batch: 1, time: 2, heads: 1, headDim: 1 };
    expect(() => mlstmChunkwiseForward(randomInputs(createRng(), dims), dims, 0, 0)).toThrow(/chunk size/);
  });
});
