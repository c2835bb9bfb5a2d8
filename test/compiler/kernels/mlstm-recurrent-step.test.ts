import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { mlstmParallelKernels } from '../../../compiler/kernels/mlstm-parallel.js';
import { mlstmRecurrentStepKernels } from '../../../compiler/kernels/mlstm-recurrent-step.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import type { MlstmDims } from '../../../runtime/reference/ops/mlstm-heads.js';
import { createMlstmState, mlstmRecurrentForward, type MlstmState } from '../../../runtime/reference/ops/mlstm-recurrent.js';
import { openGpuKit, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';
import { joinTime, sliceTime } from './time-slices.js';
import { randomMlstmInputs, randomMlstmState, type MlstmTestInputs } from './mlstm-inputs.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

const EPS = 1e-6;

/**
 * Feeds the sequence to the recurrent kernels in pieces, the state staying on the device; returns h
 * [B,T,I] and the final state. `chunkwise`: each piece's h comes from the parallel kernel starting from
 * the carried state, and the recurrent kernels only carry the state on to the next piece.
 */
async function runPieces(x: MlstmTestInputs, dims: MlstmDims, pieces: number[], start: MlstmState, target: KernelTarget = kit.target, chunkwise = false) {
  const { batch: B, time: T, heads: NH, headDim: DH } = dims;
  const I = NH * DH;
  const t = new DeviceTensors(kit.exec);
  const cState = t.input('cState', Float32Array.from(start.c));
  const nState = t.input('nState', Float32Array.from(start.n));
  const mState = t.input('mState', Float32Array.from(start.m));
  const hPieces: { data: Float32Array; len: number }[] = [];
  let kernels = 0;
  let from = 0;
  for (const len of pieces) {
    const ks = mlstmRecurrentStepKernels({ batch: B, time: len, heads: NH, headDim: DH }, target);
    kernels += ks.length;
    for (const k of ks) expect(k.loopIterations).toBeLessThanOrEqual(target.maxLoopIterationsPerInvocation);
    t.input('qkv', sliceTime(x.qkv, B, T, 3 * I, from, len));
    t.input('igate', sliceTime(x.igate, B, T, NH, from, len));
    t.input('fgate', sliceTime(x.fgate, B, T, NH, from, len));
    const hPiece = t.output('h', B * len * I);
    const recurrent = bindAll(ks, { ...t.pick('qkv', 'igate', 'fgate', 'cState', 'nState', 'mState'), h: chunkwise ? t.output('hStep', B * len * I) : hPiece });
    const parallel = chunkwise
      ? bindAll(mlstmParallelKernels({ batch: B, time: len, heads: NH, headDim: DH, initialState: true }, target), t.pick('qkv', 'igate', 'fgate', 'cState', 'nState', 'mState', 'h'))
      : [];
    const [out] = await kit.exec.run([...parallel, ...recurrent], { read: [hPiece] });
    hPieces.push({ data: out as Float32Array, len });
    from += len;
  }
  const h = joinTime(hPieces, B, I);
  const [c, n, m] = await kit.exec.run([], { read: [cState, nState, mState] });
  return { h, state: { c: c as Float32Array, n: n as Float32Array, m: m as Float32Array }, kernels };
}

async function checkPieces(dims: MlstmDims, pieces: number[], target?: KernelTarget, chunkwise = false) {
  const { seed, rng } = testRng();
  const x = randomMlstmInputs(rng, dims);
  const start = randomMlstmState(rng, dims);
  const gpu = await runPieces(x, dims, pieces, start, target, chunkwise);
  const state = { c: Float64Array.from(start.c), n: Float64Array.from(start.n), m: Float64Array.from(start.m) };
  const expected = mlstmRecurrentForward(x.ref, dims, EPS, state);
  return {
    seed,
    kernels: gpu.kernels,
    h: relativeError(gpu.h, expected),
    c: relativeError(gpu.state.c, state.c),
    n: relativeError(gpu.state.n, state.n),
    m: relativeError(gpu.state.m, state.m),
  };
}

describe('mLSTM recurrent step kernel against the float64 reference', () => {
  it.each([
    [1, 1, 1, [1]],
    [2, 2, 8, [1, 1, 1]],
    [2, 2, 16, [5, 1, 9]],
    [1, 3, 5, [7, 6]],
    [2, 1, 32, [20]],
  ])('B=%i NH=%i DH=%i, pieces %j from a random state', async (batch, heads, headDim, pieces) => {
    const time = pieces.reduce((a, b) => a + b, 0);
    const r = await checkPieces({ batch, heads, headDim, time }, pieces);
    for (const part of ['h', 'c', 'n', 'm'] as const) expect(r[part], `${part}, seed ${r.seed}`).toBeLessThan(1e-4);
  });

  it('splits the tokens over dispatches when the loop cap is small, the state carrying over', async () => {
    const small = { ...kit.target, maxLoopIterationsPerInvocation: 100 };
    const r = await checkPieces({ batch: 2, heads: 2, headDim: 6, time: 30 }, [17, 13], small);
    expect(r.kernels).toBeGreaterThan(4);
    for (const part of ['h', 'c', 'n', 'm'] as const) expect(r[part], `${part}, seed ${r.seed}`).toBeLessThan(1e-4);
  });

  it('is correct where T tokens × DH in one invocation would pass the device loop cap', async () => {
    // 2100 tokens × (32 + 1) key-loop iterations = 69,300 for one invocation: two dispatches on llvmpipe.
    const r = await checkPieces({ batch: 1, heads: 1, headDim: 32, time: 2100 }, [2100]);
    if (Number.isFinite(kit.target.maxLoopIterationsPerInvocation)) expect(r.kernels).toBeGreaterThan(1);
    for (const part of ['h', 'c', 'n', 'm'] as const) expect(r[part], `${part}, seed ${r.seed}`).toBeLessThan(1e-4);
  });

  it('is correct for 1000 tokens at DH 64, where the hand count of loop headers fell short of what llvmpipe charges', async () => {
    // llvmpipe stopped this kernel after ~895 tokens at DH 64 while the count allowed 922 per dispatch.
    const r = await checkPieces({ batch: 1, heads: 1, headDim: 64, time: 1000 }, [1000]);
    if (Number.isFinite(kit.target.maxLoopIterationsPerInvocation)) expect(r.kernels).toBeGreaterThan(1);
    for (const part of ['h', 'c', 'n', 'm'] as const) expect(r[part], `${part}, seed ${r.seed}`).toBeLessThan(1e-4);
  });
});

describe('mLSTM parallel and recurrent kernels agree on the GPU', () => {
  it.each([
    [2, 2, 8, 40],
    [1, 2, 16, 70],
  ])('B=%i NH=%i DH=%i T=%i, from a zero state', async (batch, heads, headDim, time) => {
    const { seed, rng } = testRng();
    const dims = { batch, heads, headDim, time };
    const x = randomMlstmInputs(rng, dims);
    const recurrent = await runPieces(x, dims, [time], createMlstmState(batch, heads, headDim));
    const t = new DeviceTensors(kit.exec);
    t.input('qkv', x.qkv);
    t.input('igate', x.igate);
    t.input('fgate', x.fgate);
    const h = t.output('h', batch * time * heads * headDim);
    const [parallel] = await kit.exec.run(bindAll(mlstmParallelKernels(dims, kit.target), t.map), { read: [h] });
    // In f64 the forms differ by ~1e-8 of |h| (the eps meets different stabilisers, golden README); the
    // rest is f32 rounding of both kernels, measured up to ~1.3e-5 of max |h| (which random unit-scale
    // q, k, v push to ~10–100, so an absolute bound would not carry over).
    expect(relativeError(parallel!, Float64Array.from(recurrent.h)), `seed ${seed}`).toBeLessThan(5e-5);
  });
});

describe('mLSTM chunkwise on the GPU: each chunk by the parallel kernel from the carried state', () => {
  it.each([
    [2, 2, 8, [9, 9, 9, 5]],
    [1, 3, 12, [20, 1, 13]],
  ])('B=%i NH=%i DH=%i, chunks %j from a random state, equals the recurrent form', async (batch, heads, headDim, pieces) => {
    const time = pieces.reduce((a, b) => a + b, 0);
    const r = await checkPieces({ batch, heads, headDim, time }, pieces, kit.target, true);
    for (const part of ['h', 'c', 'n', 'm'] as const) expect(r[part], `${part}, seed ${r.seed}`).toBeLessThan(1e-4);
  });
});
