import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causalConv1dSiluBackwardKernels, type CausalConv1dSiluBackwardOptions } from '../../../compiler/kernels/causal-conv1d-silu-backward.js';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { activationBackward } from '../../../runtime/reference/ops/activations.js';
import { causalConv1dBackward, causalConv1dForward } from '../../../runtime/reference/ops/causal-conv1d.js';
import { openGpuKit, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { expectClose, GradCheck } from './grad-check.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

/** Rows of `width` columns with `values` [rows, cols] at column `offset`; the rest random filler. */
function embed(values: Float64Array, rows: number, cols: number, width: number, offset: number, filler: Float64Array): Float64Array {
  const out = Float64Array.from(filler);
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols, (r + 1) * cols), r * width + offset);
  return out;
}

function extract(values: ArrayLike<number>, rows: number, cols: number, width: number, offset: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = values[r * width + offset + c]!;
  return out;
}

interface Case extends CausalConv1dSiluBackwardOptions {
  /** x and dx live in rows of this width (x at offset 0, dx at dxOffset). */
  width?: number;
  dxOffset?: number;
}

async function check(c: Case, target: KernelTarget = kit.target): Promise<number> {
  const { batch: B, time: T, channels: C, kernelSize: K } = c;
  const silu = c.silu ?? true;
  const rows = B * T;
  const width = c.width ?? C;
  const dxOffset = c.dxOffset ?? 0;
  const { seed, rng } = testRng();
  const o: CausalConv1dSiluBackwardOptions = {
    ...c,
    ...(c.width ? { x: { rowStride: width }, dx: { rowStride: width, offset: dxOffset } } : {}),
  };
  const kernels = causalConv1dSiluBackwardKernels(o, target);
  for (const k of kernels) expect(k.loopIterations).toBeLessThanOrEqual(target.maxLoopIterationsPerInvocation);
  const g = new GradCheck(kit, rng);
  const xRows = g.input('x', rows * width);
  const x = extract(xRows, rows, C, width, 0);
  const weight = g.input('weight', C * K, 0.5);
  const bias = silu ? g.input('bias', C) : new Float64Array(C);
  const dy = g.input('dy', rows * C);
  g.output('dx', rows * width, c.accumulate?.dx);
  g.output('dw', C * K, c.accumulate?.params);
  g.output('db', C, c.accumulate?.params);
  const out = await g.run(kernels, ['dx', 'dw', 'db']);

  const dims = { batch: B, time: T, features: C, kernel: K };
  const dPre = silu ? activationBackward('swish', causalConv1dForward(x, weight, bias, dims), dy) : dy;
  const ref = causalConv1dBackward(dPre, x, weight, dims);
  const tol = 2e-5 * Math.max(1, Math.sqrt(rows / 256));
  expectClose(out['dw']!, g.expected('dw', ref.dWeight), tol, 'dw', seed);
  expectClose(out['db']!, g.expected('db', ref.dBias), tol, 'db', seed);
  if (width === C) {
    expectClose(out['dx']!, g.expected('dx', ref.dx), 2e-5, 'dx', seed);
  } else {
    // only dx's columns of each row change; the prefill elsewhere must survive
    const dxRows = g.expected('dx', embed(ref.dx, rows, C, width, dxOffset, new Float64Array(rows * width)));
    expectClose(out['dx']!, dxRows, 2e-5, 'dx rows', seed);
  }
  return kernels.length;
}

describe('causal conv1d (+SiLU) backward against the float64 reference', () => {
  it.each([
    [1, 1, 1, 1],
    [2, 5, 3, 4],
    [3, 7, 8, 2],
    [1, 3, 5, 6],
    [4, 16, 32, 4],
  ])('B=%i T=%i C=%i K=%i', async (batch, time, channels, kernelSize) => {
    await check({ batch, time, channels, kernelSize });
  });

  it('without SiLU (dPre is dy)', async () => {
    expect(await check({ batch: 2, time: 6, channels: 5, kernelSize: 3, silu: false })).toBe(2);
  });

  it('reads x_m and accumulates dx_m inside rows of proj_up width, and accumulates dw/db', async () => {
    await check({ batch: 2, time: 9, channels: 6, kernelSize: 4, width: 12, dxOffset: 0, accumulate: { dx: true, params: true } });
    await check({ batch: 1, time: 4, channels: 3, kernelSize: 2, width: 7, dxOffset: 4, accumulate: { dx: true } });
  });

  it('sums dw/db in segments under a small loop cap and past the device cap', async () => {
    expect(await check({ batch: 3, time: 11, channels: 4, kernelSize: 3 }, { ...kit.target, maxLoopIterationsPerInvocation: 8 })).toBe(4);
    await check({ batch: 1, time: 70_001, channels: 2, kernelSize: 4 });
  });
});
