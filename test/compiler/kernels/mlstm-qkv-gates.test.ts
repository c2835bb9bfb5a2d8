import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { mlstmQkvGatesKernels, type MlstmQkvGatesOptions } from '../../../compiler/kernels/mlstm-qkv-gates.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { headwiseForward } from '../../../runtime/reference/ops/headwise.js';
import { linearForward } from '../../../runtime/reference/ops/linear.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

async function check(o: MlstmQkvGatesOptions, target: KernelTarget = kit.target) {
  const { seed, rng } = testRng();
  const { batch: B, time: T, heads: NH, innerDim: I, blockSize: BS } = o;
  const rows = B * T;
  const xmStride = o.xmRowStride ?? I;
  const conv = randomF32(rng, rows * I);
  const xmRows = randomF32(rng, rows * xmStride);
  const w = { q: randomF32(rng, I * BS, 1 / Math.sqrt(BS)), k: randomF32(rng, I * BS, 1 / Math.sqrt(BS)), v: randomF32(rng, I * BS, 1 / Math.sqrt(BS)) };
  const b = { q: randomF32(rng, I, 0.3), k: randomF32(rng, I, 0.3), v: randomF32(rng, I, 0.3) };
  const wi = randomF32(rng, NH * 3 * I, 1 / Math.sqrt(3 * I));
  const wf = randomF32(rng, NH * 3 * I, 1 / Math.sqrt(3 * I));
  const bi = randomF32(rng, NH, 0.1);
  const bf = randomF32(rng, NH, 1, 4);

  const kernels = mlstmQkvGatesKernels(o, target);
  const t = new DeviceTensors(kit.exec);
  t.input('conv', conv.f32);
  t.input('xm', xmRows.f32);
  for (const p of ['q', 'k', 'v'] as const) {
    t.input(`w${p}`, w[p].f32);
    if (o.bias) t.input(`b${p}`, b[p].f32);
  }
  t.input('wi', wi.f32);
  t.input('wf', wf.f32);
  t.input('bi', bi.f32);
  t.input('bf', bf.f32);
  const qkv = t.output('qkv', rows * 3 * I);
  const igate = t.output('igate', rows * NH);
  const fgate = t.output('fgate', rows * NH);
  const projectionNames = ['conv', 'xm', 'wq', 'wk', 'wv', ...(o.bias ? ['bq', 'bk', 'bv'] : []), 'qkv'];
  const [qkvOut, iOut, fOut] = await kit.exec.run(
    [
      ...kernels.projections.flatMap((k) => bindAll([k], t.pick(...projectionNames.filter((n) => k.bindings.some((x) => x.name === n))))),
      ...bindAll(kernels.igate, { x: qkv, w: t.map['wi']!, bias: t.map['bi']!, y: igate }),
      ...bindAll(kernels.fgate, { x: qkv, w: t.map['wf']!, bias: t.map['bf']!, y: fgate }),
    ],
    { read: [qkv, igate, fgate] },
  );

  const xm = new Float64Array(rows * I);
  for (let r = 0; r < rows; r++) xm.set(xmRows.f64.subarray(r * xmStride, r * xmStride + I), r * I);
  const dims = { rows, blocks: I / BS, blockSize: BS };
  const proj = {
    q: headwiseForward(conv.f64, w.q.f64, o.bias ? b.q.f64 : null, dims),
    k: headwiseForward(conv.f64, w.k.f64, o.bias ? b.k.f64 : null, dims),
    v: headwiseForward(xm, w.v.f64, o.bias ? b.v.f64 : null, dims),
  };
  const g = new Float64Array(rows * 3 * I);
  for (let r = 0; r < rows; r++) {
    g.set(proj.q.subarray(r * I, (r + 1) * I), r * 3 * I);
    g.set(proj.k.subarray(r * I, (r + 1) * I), r * 3 * I + I);
    g.set(proj.v.subarray(r * I, (r + 1) * I), r * 3 * I + 2 * I);
  }
  return {
    seed,
    kernels,
    qkv: relativeError(qkvOut!, g),
    igate: relativeError(iOut!, linearForward(g, wi.f64, bi.f64, rows, 3 * I, NH)),
    fgate: relativeError(fOut!, linearForward(g, wf.f64, bf.f64, rows, 3 * I, NH)),
  };
}

describe('mLSTM q/k/v projection and gate kernels against the float64 reference', () => {
  it.each([
    [1, 1, 1, 4, 4, false],
    [2, 7, 2, 16, 4, false],
    [2, 5, 4, 64, 4, true],
    [1, 9, 3, 18, 6, true],
    [3, 3, 2, 10, 5, false],
  ])('B=%i T=%i NH=%i I=%i block %i, bias %s', async (batch, time, heads, innerDim, blockSize, bias) => {
    const r = await check({ batch, time, heads, innerDim, blockSize, bias });
    expect(r.kernels.projections).toHaveLength(1);
    for (const part of ['qkv', 'igate', 'fgate'] as const) expect(r[part], `${part}, seed ${r.seed}`).toBeLessThan(2e-5);
  });

  it('reads x_m inside proj_up rows and splits the projections when storage buffers are few', async () => {
    const few = { ...kit.target, maxStorageBuffersPerShaderStage: 8 };
    const r = await check({ batch: 2, time: 6, heads: 2, innerDim: 12, blockSize: 4, bias: true, xmRowStride: 24 }, few);
    expect(r.kernels.projections).toHaveLength(2);
    for (const k of r.kernels.projections) expect(k.bindings.length).toBeLessThanOrEqual(8);
    for (const part of ['qkv', 'igate', 'fgate'] as const) expect(r[part], `${part}, seed ${r.seed}`).toBeLessThan(2e-5);
  });
});
