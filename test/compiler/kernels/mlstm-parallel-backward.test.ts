import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import {
  mlstmBackwardCarryElements,
  mlstmBackwardStatsElements,
  mlstmParallelBackwardKernels,
  type MlstmParallelBackwardOptions,
} from '../../../compiler/kernels/mlstm-parallel-backward.js';
import { mlstmParallelCarryElements, mlstmParallelKernels } from '../../../compiler/kernels/mlstm-parallel.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import type { Rng } from '../../../runtime/random.js';
import type { MlstmDims } from '../../../runtime/reference/ops/mlstm-heads.js';
import { mlstmParallelBackward, mlstmParallelForward } from '../../../runtime/reference/ops/mlstm-parallel.js';
import { openGpuKit, randomF32, relativeError as relativeToMax, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';
import { randomMlstmInputs, type MlstmTestInputs } from './mlstm-inputs.js';
import { nearGradientKink } from './mlstm-kinks.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

const EPS = 1e-6;
const GRADS = ['dq', 'dk', 'dv', 'dIgate', 'dFgate'] as const;
type Errors = Record<(typeof GRADS)[number], number>;

/** Inputs away from the gradient's kinks (see mlstm-kinks.ts); almost always the first draw. */
function inputsAwayFromKinks(rng: Rng, dims: MlstmDims, fMean: number): MlstmTestInputs {
  for (let tries = 0; tries < 50; tries++) {
    const x = randomMlstmInputs(rng, dims, fMean);
    if (!nearGradientKink(x.ref, dims)) return x;
  }
  throw new Error('no draw away from the gradient kinks in 50 tries');
}

/**
 * Relative error against max|expected|, or against `floor` where that is larger. Two shapes make
 * gradients degenerate: with DH = 1, h_t does not change when q_t is scaled, and with T = 1, when
 * q_0 or k_0 is, wherever |Z_t| beats the floor (only eps breaks it); and with so few keys one of
 * them often dominates every row, leaving the gate gradients as small. Such gradients are a
 * difference of O(1) terms (products of dh, v, q, k and C/δ, like dv's) that f32 resolves only to
 * ~1e-7 of their size, so those shapes measure dq, dk, dĩ and df̃ against max|dv|.
 */
function relativeError(actual: Float32Array, expected: Float64Array, floor = 0): number {
  const scale = Math.max(maxAbs(expected), Number.MIN_VALUE);
  return floor > scale ? (relativeToMax(actual, expected) * scale) / floor : relativeToMax(actual, expected);
}

function maxAbs(a: Float64Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** [B·T, 3I] rows → part p (0 q, 1 k, 2 v) as [B·T, I]. */
function part(qkv: Float32Array, rows: number, I: number, p: number): Float32Array {
  const out = new Float32Array(rows * I);
  for (let r = 0; r < rows; r++) out.set(qkv.subarray(r * 3 * I + p * I, r * 3 * I + (p + 1) * I), r * I);
  return out;
}

interface Run {
  errors: Errors;
  seed: number;
  kernels: number;
  maxLoopIterations: number;
}

/**
 * Runs the backward kernels on fresh random inputs and dh, with h from the given source: the float64
 * reference forward rounded to f32, or the forward kernel run first in the same submit.
 */
async function check(o: MlstmParallelBackwardOptions, target: KernelTarget = kit.target, fMean = 2, forward: 'reference' | 'kernel' = 'reference'): Promise<Run> {
  const { seed, rng } = testRng();
  const dims = { batch: o.batch, time: o.time, heads: o.heads, headDim: o.headDim };
  const eps = o.eps ?? EPS;
  const I = o.heads * o.headDim;
  const rows = o.batch * o.time;
  const x = inputsAwayFromKinks(rng, dims, fMean);
  const dh = randomF32(rng, rows * I);
  const kernels = mlstmParallelBackwardKernels(o, target);
  const t = new DeviceTensors(kit.exec);
  t.input('qkv', x.qkv);
  t.input('igate', x.igate);
  t.input('fgate', x.fgate);
  t.input('dh', dh.f32);
  const outputs = [t.output('dqkv', rows * 3 * I), t.output('dIgate', rows * o.heads), t.output('dFgate', rows * o.heads)];
  t.output('stats', mlstmBackwardStatsElements(o));
  const carry = mlstmBackwardCarryElements(o, target);
  if (carry) t.output('carry', carry);
  const dispatches = [];
  if (forward === 'kernel') {
    const fwd = mlstmParallelKernels({ ...dims, eps }, target);
    t.output('h', rows * I);
    const fwdCarry = mlstmParallelCarryElements({ ...dims, eps }, target);
    const fwdTensors = { ...t.pick('qkv', 'igate', 'fgate', 'h'), ...(fwdCarry ? { carry: kit.exec.tensor('forwardCarry', fwdCarry) } : {}) };
    dispatches.push(...bindAll(fwd, fwdTensors));
  } else {
    t.input('h', Float32Array.from(mlstmParallelForward(x.ref, dims, eps)));
  }
  const names = ['qkv', 'igate', 'fgate', 'h', 'dh', 'dqkv', 'dIgate', 'dFgate', 'stats', ...(carry ? ['carry'] : [])];
  dispatches.push(...bindAll(kernels, t.pick(...names)));
  const [dqkv, dIgate, dFgate] = (await kit.exec.run(dispatches, { read: outputs })) as Float32Array[];
  const expected = mlstmParallelBackward(dh.f64, x.ref, dims, eps);
  const degenerateFloor = o.headDim === 1 || o.time === 1 ? maxAbs(expected.dv) : 0;
  const errors: Errors = {
    dq: relativeError(part(dqkv!, rows, I, 0), expected.dq, degenerateFloor),
    dk: relativeError(part(dqkv!, rows, I, 1), expected.dk, degenerateFloor),
    dv: relativeError(part(dqkv!, rows, I, 2), expected.dv),
    dIgate: relativeError(dIgate!, expected.dIgate, degenerateFloor),
    dFgate: relativeError(dFgate!, expected.dFgate, degenerateFloor),
  };
  return { errors, seed, kernels: kernels.length, maxLoopIterations: Math.max(...kernels.map((k) => k.loopIterations)) };
}

function expectClose(r: Run, tol = 1e-4): void {
  for (const g of GRADS) expect(r.errors[g], `${g}, seed ${r.seed}`).toBeLessThan(tol);
}

describe('mLSTM parallel backward kernels against the float64 reference backward', () => {
  it.each([
    [1, 1, 1, 4],
    [2, 1, 1, 9],
    [2, 2, 4, 1],
    [2, 2, 8, 16],
    [2, 2, 16, 33],
    [1, 3, 5, 21],
    [2, 2, 32, 70],
    [2, 1, 12, 7],
    [1, 2, 64, 40],
    [1, 1, 20, 19],
  ])('B=%i NH=%i DH=%i T=%i', async (batch, heads, headDim, time) => {
    const r = await check({ batch, heads, headDim, time });
    expect(r.kernels).toBe(3);
    expectClose(r);
  });

  it.each([
    [3, 5, 2],
    [1, 2, 3],
    [8, 1, 1],
  ])('with %i query rows and %i keys per invocation, %i lanes (T=37 divides none of the tiles)', async (rowsPerInvocation, keysPerInvocation, lanes) => {
    expectClose(await check({ batch: 2, heads: 2, headDim: 8, time: 37, rowsPerInvocation, keysPerInvocation, lanes }));
  });

  it('with strong forgetting (the e^{−m} floor wins in most rows) and with eps = 0', async () => {
    expectClose(await check({ batch: 2, heads: 2, headDim: 8, time: 50 }, kit.target, -3));
    expectClose(await check({ batch: 1, heads: 2, headDim: 12, time: 30, eps: 0 }));
  });

  it('splits every walk over dispatches, carrying the running sums, when the loop cap is small', async () => {
    // 4 rows (keys) per workgroup + 1 exit test + 6 steps: each pass walks 6 rows (keys) per dispatch.
    const capped: KernelTarget = { ...kit.target, maxLoopIterationsPerInvocation: 4 + 1 + 6 };
    const o = { batch: 2, heads: 2, headDim: 8, time: 29, rowsPerInvocation: 2, keysPerInvocation: 2, lanes: 2 };
    const r = await check(o, capped);
    expect(r.kernels).toBe(2 * Math.ceil(29 / 6) + Math.ceil(29 / 10));
    expect(r.maxLoopIterations).toBeLessThanOrEqual(capped.maxLoopIterationsPerInvocation);
    expectClose(r);
    const odd = await check({ batch: 1, heads: 3, headDim: 5, time: 23, rowsPerInvocation: 3, keysPerInvocation: 1, lanes: 2 }, capped);
    expect(odd.maxLoopIterations).toBeLessThanOrEqual(capped.maxLoopIterationsPerInvocation);
    expectClose(odd);
  });

  it('is correct where a naive loop over rows (or keys) × DH would pass the device loop cap', async () => {
    // 2100 × 32 = 67,200 iterations for one row of a naive kernel.
    const r = await check({ batch: 1, heads: 1, headDim: 32, time: 2100 });
    expect(r.maxLoopIterations).toBeLessThanOrEqual(kit.target.maxLoopIterationsPerInvocation);
    expectClose(r);
  });
});

describe('mLSTM parallel cell on the GPU: forward kernel then backward kernels', () => {
  it('matches the float64 reference forward + backward', async () => {
    expectClose(await check({ batch: 2, heads: 2, headDim: 16, time: 45 }, kit.target, 2, 'kernel'));
    expectClose(await check({ batch: 1, heads: 3, headDim: 7, time: 26 }, kit.target, 0, 'kernel'));
  });
});
