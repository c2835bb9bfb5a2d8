import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { linearKernels, type LinearOptions } from '../../../compiler/kernels/linear.js';
import { ACTIVATIONS } from '../../../compiler/spec.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { activationForward } from '../../../runtime/reference/ops/activations.js';
import { layerNormForward } from '../../../runtime/reference/ops/layer-norm.js';
import { linearForward } from '../../../runtime/reference/ops/linear.js';
import { openGpuKit, poison, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

/** f32 accumulation over K terms drifts like √K·ε relative to the output scale. */
const tolerance = (k: number): number => 1e-5 * Math.max(1, Math.sqrt(k / 4096));

/** Runs the linear kernels on fresh random inputs and returns the error against the f64 reference. */
async function check(o: LinearOptions, target: KernelTarget = kit.target): Promise<{ error: number; seed: number; kernels: number }> {
  const { m: M, n: N, k: K } = o;
  const { seed, rng } = testRng();
  const { exec } = kit;
  const x = randomF32(rng, M * K, 1, o.layerNorm ? 3 : 0); // LayerNorm must cope with a mean far from 0
  const w = randomF32(rng, N * K, 1 / Math.sqrt(K));
  const lnWeight = randomF32(rng, K, 0.3);
  const bias = randomF32(rng, N);
  const residual = randomF32(rng, M * N);

  const kernels = linearKernels(o, target);
  const tensors: Record<string, ReturnType<typeof exec.tensor>> = {
    x: exec.tensor('x', M * K),
    w: exec.tensor('w', N * K),
    y: exec.tensor('y', M * N),
  };
  exec.uploadF32(tensors.x!, x.f32);
  exec.uploadF32(tensors.w!, w.f32);
  if (o.residual === 'in-place') exec.uploadF32(tensors.y!, residual.f32);
  else poison(exec, tensors.y!);
  const extra = (name: string, data: Float32Array | number): void => {
    const t = exec.tensor(name, typeof data === 'number' ? data : data.length);
    if (typeof data === 'number') poison(exec, t);
    else exec.uploadF32(t, data);
    tensors[name] = t;
  };
  if (o.layerNorm) {
    extra('lnWeight', lnWeight.f32);
    extra('stats', 2 * M);
  }
  if (o.bias) extra('bias', bias.f32);
  if (o.residual === 'buffer') extra('residual', residual.f32);
  if (kernels.some((k) => k.bindings.some((b) => b.name === 'partial'))) extra('partial', M * N);

  const [y] = await exec.run(bindAll(kernels, tensors), { read: [tensors.y!] });

  const input = o.layerNorm ? layerNormForward(x.f64, lnWeight.f64, M, K, o.layerNorm.eps).y : x.f64;
  let expected = linearForward(input, w.f64, o.bias ? bias.f64 : null, M, K, N);
  if (o.activation) expected = activationForward(o.activation, expected);
  if (o.residual) expected = expected.map((v, i) => v + residual.f64[i]!);
  for (const k of kernels) expect(k.loopIterations).toBeLessThanOrEqual(target.maxLoopIterationsPerInvocation);
  return { error: relativeError(y!, expected), seed, kernels: kernels.length };
}

describe('linear kernel against the float64 reference', () => {
  it.each([
    [1, 1, 1],
    [3, 5, 7],
    [13, 17, 33],
    [64, 48, 32],
    [9, 70, 128],
    [1, 64, 256],
    [37, 3, 6],
  ])('y = x·Wᵀ for M=%i N=%i K=%i', async (m, n, k) => {
    const r = await check({ m, n, k });
    expect(r.error, `seed ${r.seed}`).toBeLessThan(tolerance(k));
  });

  // Epilogue and prologue cases use small tiles: they compile much faster, and exercise the tile option.
  it.each(ACTIVATIONS.map((a) => [a]))('bias, %s and a residual tensor', async (activation) => {
    const r = await check({ m: 10, n: 19, k: 24, bias: true, activation, residual: 'buffer', tile: [3, 2] });
    expect(r.error, `seed ${r.seed}`).toBeLessThan(2e-5);
  });

  it.each([
    [7, 11, 40],
    [5, 9, 30],
    [16, 16, 64],
  ])('LayerNorm prologue, M=%i N=%i K=%i, with bias, gelu and an in-place residual', async (m, n, k) => {
    const r = await check({ m, n, k, layerNorm: { eps: 1e-5 }, bias: true, activation: 'gelu', residual: 'in-place', tile: [2, 3] });
    expect(r.kernels).toBe(2);
    expect(r.error, `seed ${r.seed}`).toBeLessThan(tolerance(k) * 2);
  });

  it('splits K into accumulating chunks when the loop cap is small', async () => {
    // A cap of 5 loop-header executions allows 4 vec4 groups per chunk: K=37 is 9 groups and a tail → 3 chunks.
    const small = { ...kit.target, maxLoopIterationsPerInvocation: 5 };
    const o: LinearOptions = { m: 6, n: 10, k: 37, layerNorm: { eps: 1e-5 }, bias: true, activation: 'swish', residual: 'in-place', tile: [4, 4] };
    const r = await check(o, small);
    expect(r.kernels).toBe(1 + 3);
    expect(r.error, `seed ${r.seed}`).toBeLessThan(2e-5);
    const plain = await check({ m: 5, n: 3, k: 32 }, small);
    expect(plain.kernels).toBe(2);
    expect(plain.error, `seed ${plain.seed}`).toBeLessThan(1e-5);
  });

  it('is correct where a naive per-element K loop would pass the device loop cap', async () => {
    const r = await check({ m: 2, n: 3, k: 70_001, bias: true });
    expect(r.error, `seed ${r.seed}`).toBeLessThan(tolerance(70_001));
  });

  it('is correct where even the vec4 K loop passes the device loop cap (split across dispatches)', async () => {
    const cap = kit.target.maxLoopIterationsPerInvocation;
    const k = Number.isFinite(cap) ? 4 * cap + 6 : 270_006;
    const r = await check({ m: 2, n: 3, k, layerNorm: { eps: 1e-5 } });
    if (Number.isFinite(cap)) expect(r.kernels).toBe(1 + 2);
    expect(r.error, `seed ${r.seed}`).toBeLessThan(tolerance(k));
  });
});
