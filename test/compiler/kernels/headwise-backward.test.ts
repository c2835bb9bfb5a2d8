import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headwiseBackwardKernels } from '../../../compiler/kernels/headwise-backward.js';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import type { DeviceTensor } from '../../../runtime/exec/arena.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { concatColumns, splitColumns } from '../../../runtime/reference/ops/columns.js';
import { headwiseBackward } from '../../../runtime/reference/ops/headwise.js';
import { openGpuKit, poison, randomF32, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { expectClose, GradCheck } from './grad-check.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

/** Uploads `inputs` and makes NaN-poisoned `outputs` (name → elements), all by name. */
function deviceTensors(inputs: Record<string, { f32: Float32Array }>, outputs: Record<string, number>): Record<string, DeviceTensor> {
  const { exec } = kit;
  const t: Record<string, DeviceTensor> = {};
  for (const [name, v] of Object.entries(inputs)) {
    t[name] = exec.tensor(name, v.f32.length);
    exec.uploadF32(t[name]!, v.f32);
  }
  for (const [name, elements] of Object.entries(outputs)) {
    t[name] = exec.tensor(name, elements);
    poison(exec, t[name]!);
  }
  return t;
}

const tolerance = (n: number): number => 2e-5 * Math.max(1, Math.sqrt(n / 256));

async function check(rows: number, blocks: number, blockSize: number, bias: boolean, accumulate = false, target: KernelTarget = kit.target): Promise<number> {
  const { seed, rng } = testRng();
  const width = blocks * blockSize;
  const kernels = headwiseBackwardKernels({ rows, blocks, blockSize, bias, ...(accumulate ? { accumulate: { dx: true, params: true } } : {}) }, target);
  for (const k of kernels) expect(k.loopIterations).toBeLessThanOrEqual(target.maxLoopIterationsPerInvocation);
  const g = new GradCheck(kit, rng);
  const x = g.input('x', rows * width);
  const w = g.input('w', blocks * blockSize * blockSize, 1 / Math.sqrt(blockSize));
  const dy = g.input('dy', rows * width);
  g.output('dx', rows * width, accumulate);
  g.output('dw', blocks * blockSize * blockSize, accumulate);
  if (bias) g.output('db', width, accumulate);
  const out = await g.run(kernels, ['dx', 'dw', ...(bias ? ['db'] : [])]);
  const ref = headwiseBackward(dy, x, w, bias, { rows, blocks, blockSize });
  expectClose(out['dx']!, g.expected('dx', ref.dx), tolerance(blockSize), 'dx', seed);
  expectClose(out['dw']!, g.expected('dw', ref.dWeight), tolerance(rows), 'dw', seed);
  if (bias) expectClose(out['db']!, g.expected('db', ref.dBias!), tolerance(rows), 'db', seed);
  return kernels.length;
}

describe('headwise (block-diagonal) projection backward against the float64 reference', () => {
  it.each([
    [1, 1, 1, true],
    [5, 3, 4, true],
    [13, 4, 8, false],
    [7, 64, 4, true],
    [9, 2, 5, true],
    [7, 2, 6, true], // rows of 12 are vec4-aligned, blocks of 6 are not
    [33, 4, 32, false],
  ])('rows=%i, %i blocks of %i, bias %s', async (rows, blocks, blockSize, bias) => {
    expect(await check(rows, blocks, blockSize, bias)).toBe(2);
  });

  it('accumulates into existing gradients', async () => {
    await check(10, 3, 6, true, true);
  });

  it('splits the row and block loops into accumulating dispatches under the loop cap', async () => {
    // cap 8: dw over 20 rows in 3 dispatches, dx over a block of 9 outputs in 2
    expect(await check(20, 2, 9, true, false, { ...kit.target, maxLoopIterationsPerInvocation: 8 })).toBe(3 + 2);
    await check(70_001, 2, 3, true);
  });

  it('the mLSTM q, k, v projections read and write their gradients in place (dqkv, c, x_m inside proj_up rows)', async () => {
    const { seed, rng } = testRng();
    const [rows, I, b] = [6, 8, 4];
    const P = I / b;
    const { exec } = kit;
    const data = {
      dqkv: randomF32(rng, rows * 3 * I),
      c: randomF32(rng, rows * I),
      up: randomF32(rng, rows * 2 * I),
      wq: randomF32(rng, P * b * b),
      wk: randomF32(rng, P * b * b),
      wv: randomF32(rng, P * b * b),
      dUp: randomF32(rng, rows * 2 * I), // z's gradient already there must survive
    };
    const t = deviceTensors(data, { dc: rows * I, dwq: P * b * b, dwk: P * b * b, dwv: P * b * b, dbq: I, dbk: I, dbv: I });
    const op = (which: 'q' | 'k' | 'v', accumulateDx: boolean) =>
      headwiseBackwardKernels(
        {
          rows,
          blocks: P,
          blockSize: b,
          bias: true,
          dy: { name: 'dqkv', rowStride: 3 * I, offset: 'qkv'.indexOf(which) * I },
          x: which === 'v' ? { name: 'up', rowStride: 2 * I } : { name: 'c' },
          dx: which === 'v' ? { name: 'dUp', rowStride: 2 * I } : { name: 'dc' },
          accumulate: { dx: accumulateDx },
          name: `${which}_proj_backward`,
        },
        kit.target,
      );
    const tensors = (which: 'q' | 'k' | 'v') => ({
      dqkv: t['dqkv']!,
      ...(which === 'v' ? { up: t['up']!, dUp: t['dUp']! } : { c: t['c']!, dc: t['dc']! }),
      w: t[`w${which}`]!,
      dw: t[`dw${which}`]!,
      db: t[`db${which}`]!,
    });
    const out = await exec.run([...bindAll(op('q', false), tensors('q')), ...bindAll(op('k', true), tensors('k')), ...bindAll(op('v', false), tensors('v'))], {
      read: ['dc', 'dUp', 'dwq', 'dwk', 'dwv', 'dbq', 'dbk', 'dbv'].map((n) => t[n]!),
    });

    const [dq, dk, dv] = splitColumns(data.dqkv.f64, rows, [I, I, I]);
    const [xm] = splitColumns(data.up.f64, rows, [I, I]);
    const dims = { rows, blocks: P, blockSize: b };
    const q = headwiseBackward(dq!, data.c.f64, data.wq.f64, true, dims);
    const k = headwiseBackward(dk!, data.c.f64, data.wk.f64, true, dims);
    const v = headwiseBackward(dv!, xm!, data.wv.f64, true, dims);
    const [, dzBefore] = splitColumns(Float64Array.from(data.dUp.f32), rows, [I, I]);
    expectClose(out[0]!, q.dx.map((val, i) => val + k.dx[i]!), 2e-5, 'dc', seed);
    expectClose(out[1]!, concatColumns([v.dx, dzBefore!], rows, [I, I]), 2e-5, 'dx_m in dUp', seed);
    const expected = [q.dWeight, k.dWeight, v.dWeight, q.dBias!, k.dBias!, v.dBias!];
    expected.forEach((e, i) => expectClose(out[2 + i]!, e, 2e-5, `parameter gradient ${i}`, seed));
  });

  it('the sLSTM gate projections: four gradients inside the cell input gradient [rows, 4E], pairs accumulating into dxConv and dx', async () => {
    const { seed, rng } = testRng();
    const [rows, NH, DH] = [5, 2, 6];
    const E = NH * DH;
    const { exec } = kit;
    const modules = ['fgate', 'igate', 'zgate', 'ogate'] as const; // cell gate order i, f, z, o (the official swap)
    const data = { dGates: randomF32(rng, rows * 4 * E), x: randomF32(rng, rows * E), xConv: randomF32(rng, rows * E) };
    const weights = Object.fromEntries(modules.map((m) => [m, randomF32(rng, NH * DH * DH)]));
    const t = deviceTensors({ ...data, ...weights }, { dx: rows * E, dxConv: rows * E, ...Object.fromEntries(modules.map((m) => [`d${m}`, NH * DH * DH])) });
    const dispatches = modules.flatMap((m, gate) => {
      const readsConv = gate < 2;
      const kernels = headwiseBackwardKernels(
        {
          rows,
          blocks: NH,
          blockSize: DH,
          dy: { name: 'dGates', rowStride: 4 * E, offset: gate * E },
          x: { name: readsConv ? 'xConv' : 'x' },
          dx: { name: readsConv ? 'dxConv' : 'dx' },
          accumulate: { dx: gate % 2 === 1 },
          name: `${m}_backward`,
        },
        kit.target,
      );
      return bindAll(kernels, { dGates: t['dGates']!, [readsConv ? 'xConv' : 'x']: t[readsConv ? 'xConv' : 'x']!, [readsConv ? 'dxConv' : 'dx']: t[readsConv ? 'dxConv' : 'dx']!, w: t[m]!, dw: t[`d${m}`]! });
    });
    const out = await exec.run(dispatches, { read: ['dxConv', 'dx', ...modules.map((m) => `d${m}`)].map((n) => t[n]!) });

    const dGates = splitColumns(data.dGates.f64, rows, [E, E, E, E]);
    const refs = modules.map((m, gate) => headwiseBackward(dGates[gate]!, gate < 2 ? data.xConv.f64 : data.x.f64, weights[m]!.f64, false, { rows, blocks: NH, blockSize: DH }));
    expectClose(out[0]!, refs[0]!.dx.map((v, i) => v + refs[1]!.dx[i]!), 2e-5, 'dxConv', seed);
    expectClose(out[1]!, refs[2]!.dx.map((v, i) => v + refs[3]!.dx[i]!), 2e-5, 'dx', seed);
    refs.forEach((r, i) => expectClose(out[2 + i]!, r.dWeight, 2e-5, `d${modules[i]}`, seed));
  });
});
