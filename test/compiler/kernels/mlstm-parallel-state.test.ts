import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlstmParallelStateKernels } from '../../../compiler/kernels/mlstm-parallel-state.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { createMlstmState, mlstmRecurrentForward } from '../../../runtime/reference/ops/mlstm-recurrent.js';
import { openGpuKit, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';
import { randomMlstmInputs } from './mlstm-inputs.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

describe('mLSTM final state from a parallel piece against the float64 recurrent reference', () => {
  it.each([
    { batch: 2, time: 13, heads: 2, headDim: 8, fMean: 2 },
    { batch: 1, time: 40, heads: 3, headDim: 5, fMean: -1 },
    { batch: 2, time: 1, heads: 1, headDim: 4, fMean: 0 },
  ])('%j', async ({ fMean, ...dims }) => {
    const { seed, rng } = testRng();
    const x = randomMlstmInputs(rng, dims, fMean);
    const { batch: B, heads: NH, headDim: DH } = dims;
    const io = new DeviceTensors(kit.exec);
    io.input('qkv', x.qkv);
    io.input('igate', x.igate);
    io.input('fgate', x.fgate);
    for (const [name, n] of [['decay', B * NH * dims.time], ['cState', B * NH * DH * DH], ['nState', B * NH * DH], ['mState', B * NH]] as const) io.output(name, n);
    const t = io.map;
    const kernels = mlstmParallelStateKernels(dims, kit.target);
    const [c, n, m] = await kit.exec.run(bindAll(kernels, t), { read: [t.cState!, t.nState!, t.mState!] });
    const expected = createMlstmState(B, NH, DH);
    mlstmRecurrentForward(x.ref, dims, 1e-6, expected);
    expect(relativeError(c!, expected.c), `C, seed ${seed}`).toBeLessThan(1e-5);
    expect(relativeError(n!, expected.n), `n, seed ${seed}`).toBeLessThan(1e-5);
    expect(relativeError(m!, expected.m), `m, seed ${seed}`).toBeLessThan(1e-5);
  });
});
