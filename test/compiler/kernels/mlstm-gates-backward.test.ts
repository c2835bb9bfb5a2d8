import { afterAll, beforeAll, describe, it } from 'vitest';
import { mlstmGatesBackwardKernels } from '../../../compiler/kernels/mlstm-gates-backward.js';
import type { DeviceTensor } from '../../../runtime/exec/arena.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { linearBackward } from '../../../runtime/reference/ops/linear.js';
import { openGpuKit, poison, randomF32, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { expectClose } from './grad-check.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

describe('mLSTM gate linears backward against the float64 reference', () => {
  it.each([
    [1, 1, 1, 1, false],
    [2, 5, 2, 8, true],
    [3, 7, 4, 12, true],
    [1, 9, 3, 5, false],
  ])('B=%i T=%i NH=%i I=%i, dqkv already holding the cell part: %s', async (B, T, NH, I, accumulate) => {
    const { seed, rng } = testRng();
    const rows = B * T;
    const { exec } = kit;
    const data = {
      qkv: randomF32(rng, rows * 3 * I),
      dIgate: randomF32(rng, rows * NH),
      dFgate: randomF32(rng, rows * NH),
      wi: randomF32(rng, NH * 3 * I, 0.2),
      wf: randomF32(rng, NH * 3 * I, 0.2),
      dqkv: randomF32(rng, rows * 3 * I),
    };
    const t: Record<string, DeviceTensor> = {};
    for (const [name, v] of Object.entries(data)) {
      t[name] = exec.tensor(name, v.f32.length);
      exec.uploadF32(t[name]!, v.f32);
    }
    if (!accumulate) poison(exec, t['dqkv']!);
    for (const [name, n] of [['dwi', NH * 3 * I], ['dbi', NH], ['dwf', NH * 3 * I], ['dbf', NH]] as const) {
      t[name] = exec.tensor(name, n);
      poison(exec, t[name]!);
    }
    const k = mlstmGatesBackwardKernels({ batch: B, time: T, heads: NH, innerDim: I, accumulate: { dqkv: accumulate } }, kit.target);
    const out = await exec.run(
      [
        ...bindAll(k.igate, { dy: t['dIgate']!, x: t['qkv']!, w: t['wi']!, dx: t['dqkv']!, dw: t['dwi']!, db: t['dbi']! }),
        ...bindAll(k.fgate, { dy: t['dFgate']!, x: t['qkv']!, w: t['wf']!, dx: t['dqkv']!, dw: t['dwf']!, db: t['dbf']! }),
      ],
      { read: ['dqkv', 'dwi', 'dbi', 'dwf', 'dbf'].map((n) => t[n]!) },
    );
    const i = linearBackward(data.dIgate.f64, data.qkv.f64, data.wi.f64, true, rows, 3 * I, NH);
    const f = linearBackward(data.dFgate.f64, data.qkv.f64, data.wf.f64, true, rows, 3 * I, NH);
    const before = accumulate ? data.dqkv.f64 : new Float64Array(rows * 3 * I);
    expectClose(out[0]!, before.map((v, e) => v + i.dx[e]! + f.dx[e]!), 2e-5, 'dqkv', seed);
    [i.dWeight, i.dBias!, f.dWeight, f.dBias!].forEach((e, n) => expectClose(out[1 + n]!, e, 2e-5, ['dwi', 'dbi', 'dwf', 'dbf'][n]!, seed));
  });
});
