import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { linearBackwardKernels, type LinearBackwardOptions } from '../../../compiler/kernels/linear-backward.js';
import { ACTIVATIONS } from '../../../compiler/spec.js';
import { activationBackward } from '../../../runtime/reference/ops/activations.js';
import { layerNormBackward, layerNormForward } from '../../../runtime/reference/ops/layer-norm.js';
import { linearBackward, linearForward } from '../../../runtime/reference/ops/linear.js';
import { openGpuKit, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { expectClose, GradCheck } from './grad-check.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

/** f32 sums over n terms drift like √n·ε relative to their scale. */
const tolerance = (n: number): number => 2e-5 * Math.max(1, Math.sqrt(n / 256));

/** Runs the linear backward kernels on fresh random inputs and checks every gradient against float64. */
async function check(o: LinearBackwardOptions, target: KernelTarget = kit.target): Promise<number> {
  const { m: M, n: N, k: K } = o;
  const { seed, rng } = testRng();
  const kernels = linearBackwardKernels(o, target);
  for (const k of kernels) expect(k.loopIterations).toBeLessThanOrEqual(target.maxLoopIterationsPerInvocation);
  const acc = o.accumulate ?? {};
  const g = new GradCheck(kit, rng);
  const x = g.input('x', M * K, 1, o.layerNorm ? 3 : 0);
  const w = g.input('w', N * K, 1 / Math.sqrt(K));
  const dy = g.input('dy', M * N);
  const lnWeight = o.layerNorm ? g.input('lnWeight', K, 0.3) : new Float64Array(K);
  const bias = o.bias ? g.input('bias', N) : null;
  const norm = o.layerNorm ? layerNormForward(x, lnWeight, M, K, o.layerNorm.eps) : undefined;
  const a = norm?.y ?? x;
  let dPre = dy;
  if (o.activation) {
    // the pre-activation the forward kept, rounded to f32 as the kernel sees it
    const pre = Float32Array.from(linearForward(a, w, bias, M, K, N));
    g.tensors.input('pre', pre);
    dPre = activationBackward(o.activation, Float64Array.from(pre), dy);
  }
  g.output('dx', M * K, acc.dx);
  g.output('dw', N * K, acc.params);
  if (o.bias) g.output('db', N, acc.params);
  if (o.layerNorm) g.output('dLnWeight', K, acc.params);
  const reads = ['dx', 'dw', ...(o.bias ? ['db'] : []), ...(o.layerNorm ? ['dLnWeight'] : [])];
  const out = await g.run(kernels, reads);

  const ref = linearBackward(dPre, a, w, o.bias === true, M, K, N);
  expectClose(out['dw']!, g.expected('dw', ref.dWeight), tolerance(M), 'dw', seed);
  if (o.bias) expectClose(out['db']!, g.expected('db', ref.dBias!), tolerance(M), 'db', seed);
  if (norm) {
    const ln = layerNormBackward(ref.dx, lnWeight, norm.cache, M, K);
    expectClose(out['dx']!, g.expected('dx', ln.dx), tolerance(N) * 4, 'dx', seed);
    expectClose(out['dLnWeight']!, g.expected('dLnWeight', ln.dWeight), tolerance(M * N), 'dLnWeight', seed);
  } else {
    expectClose(out['dx']!, g.expected('dx', ref.dx), tolerance(N), 'dx', seed);
  }
  return kernels.length;
}

describe('linear backward kernels against the float64 reference', () => {
  it.each([
    [1, 1, 1],
    [3, 5, 7],
    [13, 17, 33],
    [64, 48, 32],
    [9, 70, 128],
    [37, 3, 6],
  ])('dx, dw and db for M=%i N=%i K=%i', async (m, n, k) => {
    expect(await check({ m, n, k, bias: true })).toBe(2);
  });

  it.each(ACTIVATIONS.map((a) => [a]))('through a %s epilogue (pre-activation as input)', async (activation) => {
    expect(await check({ m: 10, n: 19, k: 24, bias: true, activation })).toBe(3);
  });

  it.each([
    [7, 11, 40],
    [5, 9, 30],
    [16, 16, 64],
  ])('through the LayerNorm prologue, M=%i N=%i K=%i', async (m, n, k) => {
    // stats, dw, dA, the LayerNorm group sums, dx, dLnWeight
    expect(await check({ m, n, k, layerNorm: { eps: 1e-5 }, bias: true })).toBe(6);
  });

  it('accumulates into existing gradients', async () => {
    await check({ m: 12, n: 10, k: 20, layerNorm: { eps: 1e-5 }, bias: true, activation: 'gelu', accumulate: { dx: true, params: true } });
    await check({ m: 5, n: 6, k: 7, accumulate: { dx: true } });
    await check({ m: 5, n: 6, k: 7, bias: true, accumulate: { params: true } });
  });

  it('splits every reduction into accumulating dispatches when the loop cap is small', async () => {
    // a cap of 8: at most 7 rows per dw dispatch, 7 columns of dy per dA dispatch, 7 features per LayerNorm
    // group-sum dispatch, segments of 7 rows for dLnWeight
    const small = { ...kit.target, maxLoopIterationsPerInvocation: 8 };
    const count = await check({ m: 20, n: 15, k: 9, layerNorm: { eps: 1e-5 }, bias: true, accumulate: { params: true } }, small);
    expect(count).toBe(1 + 3 + 3 + 2 + 1 + 2);
    expect(await check({ m: 20, n: 15, k: 9 }, small)).toBe(3 + 3);
  });

  it('is correct where naive loops over the rows (dw) or over N (dx) would pass the device loop cap', async () => {
    await check({ m: 70_001, n: 3, k: 5, bias: true, layerNorm: { eps: 1e-5 } });
    await check({ m: 2, n: 70_001, k: 3 });
  });
});
