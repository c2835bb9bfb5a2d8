import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causalConv1dSiluKernel } from '../../../compiler/kernels/causal-conv1d-silu.js';
import { linearKernels } from '../../../compiler/kernels/linear.js';
import { mlstmOutputKernel } from '../../../compiler/kernels/mlstm-output.js';
import { mlstmParallelKernels } from '../../../compiler/kernels/mlstm-parallel.js';
import { mlstmQkvGatesKernels } from '../../../compiler/kernels/mlstm-qkv-gates.js';
import { bindAll, type Dispatch } from '../../../runtime/exec/executor.js';
import { silu } from '../../../runtime/reference/ops/activations.js';
import { causalConv1dForward } from '../../../runtime/reference/ops/causal-conv1d.js';
import { headwiseForward } from '../../../runtime/reference/ops/headwise.js';
import { linearForward } from '../../../runtime/reference/ops/linear.js';
import { mlstmParallelForward } from '../../../runtime/reference/ops/mlstm-parallel.js';
import { multiHeadLayerNormForward } from '../../../runtime/reference/ops/multi-head-layer-norm.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

interface LayerShape {
  B: number;
  T: number;
  E: number;
  I: number;
  NH: number;
  K: number;
  BS: number;
  bias: boolean;
}

/** Columns [from, from + width) of each row of a [rows, stride] array. */
function columns(x: Float64Array, rows: number, stride: number, from: number, width: number): Float64Array {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * stride + from, r * stride + from + width), r * width);
  return out;
}

/**
 * One whole mLSTM layer with the residual add: y = residual + proj_down(mLSTMLayer(x)), x already
 * normed, on the GPU as one submit of the layer's kernels, and in float64 from the reference ops.
 */
async function checkLayer(s: LayerShape) {
  const { seed, rng } = testRng();
  const { B, T, E, I, NH, K, BS, bias } = s;
  const DH = I / NH;
  const rows = B * T;
  const p = {
    upW: randomF32(rng, 2 * I * E, 1 / Math.sqrt(E)),
    upB: randomF32(rng, 2 * I, 0.1),
    convW: randomF32(rng, I * K, 1 / Math.sqrt(K)),
    convB: randomF32(rng, I, 0.1),
    wq: randomF32(rng, I * BS, 1 / Math.sqrt(BS)),
    wk: randomF32(rng, I * BS, 1 / Math.sqrt(BS)),
    wv: randomF32(rng, I * BS, 1 / Math.sqrt(BS)),
    bq: randomF32(rng, I, 0.1),
    bk: randomF32(rng, I, 0.1),
    bv: randomF32(rng, I, 0.1),
    wi: randomF32(rng, NH * 3 * I, 0.3 / Math.sqrt(3 * I)),
    bi: randomF32(rng, NH, 0.1),
    wf: randomF32(rng, NH * 3 * I, 0.3 / Math.sqrt(3 * I)),
    bf: randomF32(rng, NH, 1, 4.5),
    normW: randomF32(rng, I, 0.2),
    skip: randomF32(rng, I, 1, 1),
    downW: randomF32(rng, E * I, 1 / Math.sqrt(I)),
    downB: randomF32(rng, E, 0.1),
  };
  const x = randomF32(rng, rows * E);
  const residual = randomF32(rng, rows * E);

  const tgt = kit.target;
  const t = new DeviceTensors(kit.exec);
  for (const [name, v] of Object.entries(p)) t.input(name, v.f32);
  t.input('x', x.f32);
  t.input('residual', residual.f32);
  for (const [name, elements] of Object.entries({ u: rows * 2 * I, conv: rows * I, qkv: rows * 3 * I, igate: rows * NH, fgate: rows * NH, h: rows * I, hOut: rows * I, y: rows * E })) {
    t.output(name, elements);
  }
  const m = t.map;
  const qkvGates = mlstmQkvGatesKernels({ batch: B, time: T, heads: NH, innerDim: I, blockSize: BS, bias, xmRowStride: 2 * I }, tgt);
  const dispatches: Dispatch[] = [
    ...bindAll(linearKernels({ m: rows, n: 2 * I, k: E, bias }, tgt), { x: m.x!, w: m.upW!, ...(bias ? { bias: m.upB! } : {}), y: m.u! }),
    ...bindAll([causalConv1dSiluKernel({ batch: B, time: T, channels: I, kernelSize: K, inputRowStride: 2 * I }, tgt)], {
      x: m.u!,
      weight: m.convW!,
      bias: m.convB!,
      y: m.conv!,
    }),
    ...bindAll(qkvGates.projections, {
      conv: m.conv!,
      xm: m.u!,
      wq: m.wq!,
      wk: m.wk!,
      wv: m.wv!,
      ...(bias ? { bq: m.bq!, bk: m.bk!, bv: m.bv! } : {}),
      qkv: m.qkv!,
    }),
    ...bindAll(qkvGates.igate, { x: m.qkv!, w: m.wi!, bias: m.bi!, y: m.igate! }),
    ...bindAll(qkvGates.fgate, { x: m.qkv!, w: m.wf!, bias: m.bf!, y: m.fgate! }),
    ...bindAll(mlstmParallelKernels({ batch: B, time: T, heads: NH, headDim: DH }, tgt), t.pick('qkv', 'igate', 'fgate', 'h')),
    ...bindAll([mlstmOutputKernel({ rows, heads: NH, headDim: DH, zRowStride: 2 * I, zOffset: I }, tgt)], {
      h: m.h!,
      conv: m.conv!,
      z: m.u!,
      normWeight: m.normW!,
      skip: m.skip!,
      y: m.hOut!,
    }),
    ...bindAll(linearKernels({ m: rows, n: E, k: I, bias, residual: 'buffer' }, tgt), {
      x: m.hOut!,
      w: m.downW!,
      ...(bias ? { bias: m.downB! } : {}),
      residual: m.residual!,
      y: m.y!,
    }),
  ];
  const [out] = await kit.exec.run(dispatches, { read: [m.y!] });

  const opt = (v: { f64: Float64Array }): Float64Array | null => (bias ? v.f64 : null);
  const u = linearForward(x.f64, p.upW.f64, opt(p.upB), rows, E, 2 * I);
  const xm = columns(u, rows, 2 * I, 0, I);
  const z = columns(u, rows, 2 * I, I, I);
  const c = causalConv1dForward(xm, p.convW.f64, p.convB.f64, { batch: B, time: T, features: I, kernel: K }).map(silu);
  const hw = { rows, blocks: I / BS, blockSize: BS };
  const q = headwiseForward(c, p.wq.f64, opt(p.bq), hw);
  const k = headwiseForward(c, p.wk.f64, opt(p.bk), hw);
  const v = headwiseForward(xm, p.wv.f64, opt(p.bv), hw);
  const g = new Float64Array(rows * 3 * I);
  for (let r = 0; r < rows; r++) [q, k, v].forEach((part, j) => g.set(part.subarray(r * I, (r + 1) * I), r * 3 * I + j * I));
  const igate = linearForward(g, p.wi.f64, p.bi.f64, rows, 3 * I, NH);
  const fgate = linearForward(g, p.wf.f64, p.bf.f64, rows, 3 * I, NH);
  const h = mlstmParallelForward({ q, k, v, igate, fgate }, { batch: B, time: T, heads: NH, headDim: DH }, 1e-6);
  const hn = multiHeadLayerNormForward(h, p.normW.f64, { rows, heads: NH, headDim: DH }, 1e-5).y;
  const gated = hn.map((value, i) => (value + p.skip.f64[i % I]! * c[i]!) * silu(z[i]!));
  const down = linearForward(gated, p.downW.f64, opt(p.downB), rows, I, E);
  const expected = down.map((value, i) => value + residual.f64[i]!);
  return { seed, error: relativeError(out!, expected), dispatches: dispatches.length };
}

describe('one whole mLSTM layer on the GPU against the float64 reference ops composed the same way', () => {
  it.each([
    [{ B: 2, T: 19, E: 16, I: 32, NH: 2, K: 4, BS: 4, bias: false }],
    [{ B: 2, T: 37, E: 24, I: 64, NH: 4, K: 4, BS: 4, bias: true }],
    [{ B: 1, T: 9, E: 10, I: 30, NH: 3, K: 3, BS: 5, bias: true }],
  ])('%j', async (shape) => {
    const r = await checkLayer(shape);
    // proj_up, conv, qkv, igate, fgate, cell, output, proj_down
    expect(r.dispatches).toBe(8);
    expect(r.error, `seed ${r.seed}`).toBeLessThan(1e-4);
  });
});
