import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { mlstmParallelCarryElements, mlstmParallelKernels, type MlstmParallelOptions } from '../../../compiler/kernels/mlstm-parallel.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { mlstmChunkwiseForward } from '../../../runtime/reference/ops/mlstm-chunkwise.js';
import { mlstmParallelForward } from '../../../runtime/reference/ops/mlstm-parallel.js';
import { createMlstmState } from '../../../runtime/reference/ops/mlstm-recurrent.js';
import { openGpuKit, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';
import { randomMlstmInputs, randomMlstmState } from './mlstm-inputs.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

const EPS = 1e-6;

/**
 * Runs the kernels on fresh random inputs against the float64 reference: the plain parallel form, or
 * with `initialState` one chunk of the chunkwise form from a random (or zero) carried state.
 */
async function check(
  o: MlstmParallelOptions,
  target: KernelTarget = kit.target,
  { fMean = 2, zeroState = false } = {},
): Promise<{ error: number; seed: number; kernels: number }> {
  const { seed, rng } = testRng();
  const dims = { batch: o.batch, time: o.time, heads: o.heads, headDim: o.headDim };
  const x = randomMlstmInputs(rng, dims, fMean);
  const state = zeroState ? createMlstmState(o.batch, o.heads, o.headDim) : randomMlstmState(rng, dims);
  const kernels = mlstmParallelKernels(o, target);
  const t = new DeviceTensors(kit.exec);
  t.input('qkv', x.qkv);
  t.input('igate', x.igate);
  t.input('fgate', x.fgate);
  if (o.initialState) {
    t.input('cState', Float32Array.from(state.c));
    t.input('nState', Float32Array.from(state.n));
    t.input('mState', Float32Array.from(state.m));
  }
  const h = t.output('h', o.batch * o.time * o.heads * o.headDim);
  const carry = mlstmParallelCarryElements(o, target);
  if (carry) t.output('carry', carry);
  const [out] = await kit.exec.run(bindAll(kernels, t.map), { read: [h] });
  for (const k of kernels) expect(k.loopIterations).toBeLessThanOrEqual(target.maxLoopIterationsPerInvocation);
  const eps = o.eps ?? EPS;
  const expected = o.initialState ? mlstmChunkwiseForward(x.ref, dims, o.time, eps, state) : mlstmParallelForward(x.ref, dims, eps);
  return { error: relativeError(out!, expected), seed, kernels: kernels.length };
}

describe('mLSTM parallel cell kernel against the float64 reference', () => {
  it.each([
    [1, 1, 1, 4],
    [2, 2, 8, 16],
    [2, 2, 16, 33],
    [1, 3, 5, 21],
    [2, 2, 32, 70],
    [1, 1, 12, 7],
    [1, 2, 64, 40],
    [1, 1, 20, 19],
  ])('B=%i NH=%i DH=%i T=%i', async (batch, heads, headDim, time) => {
    const r = await check({ batch, heads, headDim, time });
    expect(r.kernels).toBe(1);
    expect(r.error, `seed ${r.seed}`).toBeLessThan(1e-4);
  });

  it.each([
    [3, 2, 1],
    [5, 3, 2],
    [8, 8, 1],
    [2, 4, 3],
  ])('with %i rows per invocation, %i lanes, %i keys per step (T=37 divides none of them)', async (rowsPerInvocation, lanes, keysPerStep) => {
    const r = await check({ batch: 2, heads: 2, headDim: 8, time: 37, rowsPerInvocation, lanes, keysPerStep });
    expect(r.error, `seed ${r.seed}`).toBeLessThan(1e-4);
  });

  it('with strong forgetting (row maxima far below zero) and with eps = 0', async () => {
    const forget = await check({ batch: 2, heads: 2, headDim: 8, time: 50 }, kit.target, { fMean: -3 });
    expect(forget.error, `seed ${forget.seed}`).toBeLessThan(1e-4);
    const noEps = await check({ batch: 1, heads: 2, headDim: 12, time: 30, eps: 0 });
    expect(noEps.error, `seed ${noEps.seed}`).toBeLessThan(1e-4);
  });

  it('splits the key walk over dispatches, carrying the running state, when the loop cap is small', async () => {
    // A cap of (rows per workgroup) + 1 + 4 loop headers leaves 4 steps of the walk per dispatch.
    const capped = (rows: number) => ({ ...kit.target, maxLoopIterationsPerInvocation: rows + 1 + 4 });
    const r = await check({ batch: 2, heads: 2, headDim: 8, time: 61, rowsPerInvocation: 2, lanes: 2, keysPerStep: 3 }, capped(4));
    expect(r.kernels).toBe(Math.ceil(Math.ceil(61 / 3) / 4));
    expect(r.error, `seed ${r.seed}`).toBeLessThan(1e-4);
    const odd = await check({ batch: 1, heads: 2, headDim: 6, time: 45, rowsPerInvocation: 3, lanes: 2, keysPerStep: 2 }, capped(6));
    expect(odd.kernels).toBe(Math.ceil(Math.ceil(45 / 2) / 4));
    expect(odd.error, `seed ${odd.seed}`).toBeLessThan(1e-4);
  });

  it('is correct where a naive per-row loop over keys × DH would pass the device loop cap', async () => {
    // 2100 keys × 32 features = 67,200 iterations for the last row of a naive kernel.
    const r = await check({ batch: 1, heads: 1, headDim: 32, time: 2100 });
    expect(r.error, `seed ${r.seed}`).toBeLessThan(1e-4);
  });
});

describe('mLSTM parallel cell kernel from a carried state (one chunk of the chunkwise form)', () => {
  it.each([
    [2, 2, 8, 23],
    [1, 3, 5, 17],
    [2, 1, 16, 40],
  ])('B=%i NH=%i DH=%i T=%i from a random state', async (batch, heads, headDim, time) => {
    const r = await check({ batch, heads, headDim, time, initialState: true });
    expect(r.error, `seed ${r.seed}`).toBeLessThan(1e-4);
  });

  it('from a zero state it is the recurrent form (the official step API), and it splits under a small loop cap', async () => {
    const zero = await check({ batch: 2, heads: 2, headDim: 8, time: 30, initialState: true }, kit.target, { zeroState: true });
    expect(zero.error, `seed ${zero.seed}`).toBeLessThan(1e-4);
    const o = { batch: 1, heads: 2, headDim: 8, time: 29, rowsPerInvocation: 2, lanes: 2, keysPerStep: 3, initialState: true };
    const small = { ...kit.target, maxLoopIterationsPerInvocation: 4 + 1 + 9 + 3 };
    const split = await check(o, small, { fMean: 0 });
    expect(split.kernels).toBe(Math.ceil(Math.ceil(29 / 3) / 3));
    expect(split.error, `seed ${split.seed}`).toBeLessThan(1e-4);
  });
});
