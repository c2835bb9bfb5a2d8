import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causalConv1dSiluKernel } from '../../../compiler/kernels/causal-conv1d-silu.js';
import { layerNormApplyKernel } from '../../../compiler/kernels/layer-norm-apply.js';
import { layerNormStatsKernel } from '../../../compiler/kernels/layer-norm-stats.js';
import { slstmCellKernel, slstmCellUniforms, type SlstmStart } from '../../../compiler/kernels/slstm-cell.js';
import { slstmGatesKernel } from '../../../compiler/kernels/slstm-gates.js';
import type { DeviceTensor } from '../../../runtime/exec/arena.js';
import { bindAll, type Dispatch } from '../../../runtime/exec/executor.js';
import { activationForward } from '../../../runtime/reference/ops/activations.js';
import { causalConv1dForward } from '../../../runtime/reference/ops/causal-conv1d.js';
import { concatColumns } from '../../../runtime/reference/ops/columns.js';
import { headwiseForward } from '../../../runtime/reference/ops/headwise.js';
import { layerNormForward } from '../../../runtime/reference/ops/layer-norm.js';
import { multiHeadLayerNormForward } from '../../../runtime/reference/ops/multi-head-layer-norm.js';
import { slstmForward } from '../../../runtime/reference/ops/slstm.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';
import { joinTime, sliceTime } from './time-slices.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

const EPS = 1e-5;

interface Shape {
  B: number;
  NH: number;
  DH: number;
  /** Conv taps; 0 = the official "no conv" (the gates read x for c). */
  K: number;
}

type Param = { f32: Float32Array; f64: Float64Array };

function randomParams(rng: ReturnType<typeof testRng>['rng'], s: Shape) {
  const E = s.NH * s.DH;
  const bias = randomF32(rng, 4 * E, 0.5);
  for (let e = 0; e < E; e++) bias.f32[E + e]! += 3; // a forget gate that remembers, as the official init
  return {
    norm: randomF32(rng, E, 0.2),
    convW: randomF32(rng, E * Math.max(s.K, 1), 1 / Math.sqrt(Math.max(s.K, 1))),
    convB: randomF32(rng, E, 0.2),
    gates: ['fgate', 'igate', 'zgate', 'ogate'].map((g) => [g, randomF32(rng, s.NH * s.DH * s.DH, 1 / Math.sqrt(s.DH))] as const),
    kernel: randomF32(rng, s.NH * 4 * s.DH * s.DH, 1 / Math.sqrt(s.DH)),
    bias: { f32: bias.f32, f64: Float64Array.from(bias.f32) } as Param,
    groupNorm: randomF32(rng, E, 0.2),
  };
}
type Params = ReturnType<typeof randomParams>;

/**
 * x + GroupNorm(sLSTMCell(gates(LN(x), SiLU(conv(LN(x)))))) for a [B, T, E] piece, every kernel in
 * one submit. Streaming state: the conv history and the cell state are carried in `convState*` and
 * `cellState` between pieces.
 */
async function runBlock(io: DeviceTensors, s: Shape, p: Params, T: number, x: Float32Array, start: SlstmStart, convFrom: string | null, convTo: string) {
  const E = s.NH * s.DH;
  const rows = B_T(s, T);
  const t = (name: string, elements: number): DeviceTensor => io.map[name] ?? io.output(name, elements);
  io.input('x', x);
  for (const name of ['xn', 'xc', 'gates', 'h', 'out', 'stats', 'groupStats']) io.output(name, { xn: rows * E, xc: rows * E, gates: rows * 4 * E, h: rows * E, out: rows * E, stats: 2 * rows, groupStats: 2 * rows * s.NH }[name]!);
  t('cellState', 4 * s.B * E);
  const m = io.map;
  const dispatches: Dispatch[] = [
    ...bindAll([layerNormStatsKernel({ rows, cols: E, eps: EPS }, kit.target)], { x: m.x!, stats: m.stats! }),
    ...bindAll([layerNormApplyKernel({ groups: rows, groupSize: E, weightLength: E }, kit.target)], { x: m.x!, stats: m.stats!, weight: m.norm!, y: m.xn! }),
  ];
  if (s.K > 0) {
    const conv = causalConv1dSiluKernel({ batch: s.B, time: T, channels: E, kernelSize: s.K, stateIn: convFrom !== null, stateOut: true }, kit.target);
    t(convTo, s.B * s.K * E);
    const tensors: Record<string, DeviceTensor> = { x: m.xn!, weight: m.convW!, bias: m.convB!, y: m.xc!, stateOut: m[convTo]! };
    if (convFrom !== null) tensors.stateIn = m[convFrom]!;
    dispatches.push(...bindAll([conv], tensors));
  }
  const gates = slstmGatesKernel({ rows, heads: s.NH, headDim: s.DH }, kit.target);
  dispatches.push(
    ...bindAll([gates], { x: m.xn!, xConv: s.K > 0 ? m.xc! : m.xn!, fgate: m.fgate!, igate: m.igate!, zgate: m.zgate!, ogate: m.ogate!, gates: m.gates! }),
  );
  const cell = slstmCellKernel({ batch: s.B, time: T, heads: s.NH, headDim: s.DH }, kit.target);
  const cellTensors = { x: m.gates!, recurrentKernel: m.kernel!, bias: m.bias!, y: m.h!, state: m.cellState! };
  dispatches.push(...slstmCellUniforms(cell, start).map((uniforms) => ({ kernel: cell.kernel, tensors: cellTensors, uniforms })));
  const groups = rows * s.NH;
  dispatches.push(
    ...bindAll([layerNormStatsKernel({ rows: groups, cols: s.DH, eps: EPS }, kit.target)], { x: m.h!, stats: m.groupStats! }),
    ...bindAll([layerNormApplyKernel({ groups, groupSize: s.DH, weightLength: E, residual: true }, kit.target)], {
      x: m.h!,
      stats: m.groupStats!,
      weight: m.groupNorm!,
      residual: m.x!,
      y: m.out!,
    }),
  );
  const [h, out] = await kit.exec.run(dispatches, { read: [m.h!, m.out!] });
  return { h: h as Float32Array, out: out as Float32Array };
}

function B_T(s: Shape, T: number): number {
  return s.B * T;
}

function uploadParams(io: DeviceTensors, p: Params): void {
  io.input('norm', p.norm.f32);
  io.input('convW', p.convW.f32);
  io.input('convB', p.convB.f32);
  for (const [g, w] of p.gates) io.input(g, w.f32);
  io.input('kernel', p.kernel.f32);
  io.input('bias', p.bias.f32);
  io.input('groupNorm', p.groupNorm.f32);
}

/** The same block from the float64 reference ops. */
function referenceBlock(s: Shape, p: Params, T: number, x: Float64Array): { h: Float64Array; out: Float64Array } {
  const E = s.NH * s.DH;
  const rows = s.B * T;
  const xn = layerNormForward(x, p.norm.f64, rows, E, EPS).y;
  const c = s.K > 0 ? activationForward('swish', causalConv1dForward(xn, p.convW.f64, p.convB.f64, { batch: s.B, time: T, features: E, kernel: s.K })) : xn;
  const headwise = { rows, blocks: s.NH, blockSize: s.DH };
  const sources = [c, c, xn, xn]; // fgate → ĩ and igate → f̃ read the conv output, z and o the normed input
  const gates = concatColumns(
    p.gates.map(([, w], i) => headwiseForward(sources[i]!, w.f64, null, headwise)),
    rows,
    [E, E, E, E],
  );
  const h = slstmForward(gates, p.kernel.f64, p.bias.f64, { batch: s.B, time: T, heads: s.NH, headDim: s.DH });
  const gn = multiHeadLayerNormForward(h, p.groupNorm.f64, { rows, heads: s.NH, headDim: s.DH }, EPS).y;
  return { h, out: gn.map((v, i) => v + x[i]!) };
}

describe('one sLSTM block (xlstm branch and residual) on the GPU against the float64 reference ops', () => {
  it.each([
    [{ B: 2, NH: 2, DH: 8, K: 4 }, 9],
    [{ B: 1, NH: 3, DH: 5, K: 2 }, 7],
    [{ B: 2, NH: 1, DH: 4, K: 0 }, 5],
  ])('%o, T=%i', async (s, T) => {
    const { seed, rng } = testRng();
    const E = s.NH * s.DH;
    const p = randomParams(rng, s);
    const x = randomF32(rng, s.B * T * E, 1, 0.3);
    const io = new DeviceTensors(kit.exec);
    uploadParams(io, p);
    const got = await runBlock(io, s, p, T, x.f32, 'zero', null, 'convStateA');
    const expected = referenceBlock(s, p, T, x.f64);
    expect(relativeError(got.h, expected.h), `seed ${seed}`).toBeLessThan(1e-4);
    expect(relativeError(got.out, expected.out), `seed ${seed}`).toBeLessThan(1e-4);
  });

  it('streamed in pieces (conv history and cell state carried) equals one run over the whole sequence', async () => {
    const { seed, rng } = testRng();
    const s = { B: 2, NH: 2, DH: 4, K: 3 };
    const E = s.NH * s.DH;
    const lengths = [4, 1, 6];
    const T = lengths.reduce((a, b) => a + b, 0);
    const p = randomParams(rng, s);
    const x = randomF32(rng, s.B * T * E, 1, 0.3);
    const io = new DeviceTensors(kit.exec);
    uploadParams(io, p);
    const whole = await runBlock(io, s, p, T, x.f32, 'zero', null, 'convStateA');
    const pieces: { data: Float32Array; len: number }[] = [];
    let t0 = 0;
    for (const [i, len] of lengths.entries()) {
      const [from, to] = i % 2 === 0 ? ['convStateB', 'convStateA'] : ['convStateA', 'convStateB'];
      const r = await runBlock(io, s, p, len, sliceTime(x.f32, s.B, T, E, t0, len), i === 0 ? 'zero' : 'carried', i === 0 ? null : from, to);
      pieces.push({ data: r.out, len });
      t0 += len;
    }
    expect(relativeError(whole.out, referenceBlock(s, p, T, x.f64).out), `seed ${seed}`).toBeLessThan(1e-4);
    expect(relativeError(joinTime(pieces, s.B, E), Float64Array.from(whole.out)), `seed ${seed}`).toBeLessThan(1e-6);
  });
});
