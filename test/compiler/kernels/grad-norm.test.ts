import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradNormKernels } from '../../../compiler/kernels/grad-norm.js';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { openGpuKit, poison, randomF32, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

/** Runs the grad-norm kernels over `grads`; returns [norm, clip factor, non-finite flag]. */
async function gradNorm(grads: Float32Array, maxNorm?: number, target: KernelTarget = kit.target): Promise<Float32Array> {
  const { exec } = kit;
  const kernels = gradNormKernels({ elements: grads.length, ...(maxNorm !== undefined ? { maxNorm } : {}) }, target);
  for (const k of kernels) expect(k.loopIterations).toBeLessThanOrEqual(target.maxLoopIterationsPerInvocation);
  const t = {
    grads: exec.tensor('grads', grads.length),
    partial: exec.tensor('partial', kernels[0]!.bindings[1]!.elements),
    gradNorm: exec.tensor('gradNorm', 3),
  };
  exec.uploadF32(t.grads, grads);
  poison(exec, t.partial);
  poison(exec, t.gradNorm);
  const [out] = await exec.run(bindAll(kernels, t), { read: [t.gradNorm] });
  return out as Float32Array;
}

/** torch.nn.utils.clip_grad_norm_'s total norm and clip coefficient, in float64. */
function reference(grads: Float32Array, maxNorm?: number): { norm: number; factor: number } {
  let squares = 0;
  for (const g of grads) squares += g * g;
  const norm = Math.sqrt(squares);
  return { norm, factor: maxNorm === undefined ? 1 : Math.min(1, maxNorm / (norm + 1e-6)) };
}

describe('global gradient norm, clip factor and non-finite flag', () => {
  it.each([
    [1, undefined],
    [7, 0.5],
    [1000, 1e6],
    [4099, 3],
    // a single invocation's loop over these would pass the device loop cap
    [300_001, 100],
  ])('%i gradients, max norm %s', async (n, maxNorm) => {
    const { seed, rng } = testRng();
    const grads = randomF32(rng, n, 0.1).f32;
    const out = await gradNorm(grads, maxNorm);
    const ref = reference(grads, maxNorm);
    expect(Math.abs(out[0]! - ref.norm) / ref.norm, `norm, seed ${seed}`).toBeLessThan(1e-5);
    expect(Math.abs(out[1]! - ref.factor) / ref.factor, `factor, seed ${seed}`).toBeLessThan(1e-5);
    expect(out[2], `flag, seed ${seed}`).toBe(0);
  });

  it('gives the same bits on every run', async () => {
    const { rng } = testRng();
    const grads = randomF32(rng, 50_000).f32;
    const [a, b] = [await gradNorm(grads, 1), await gradNorm(grads, 1)];
    expect([...a]).toEqual([...b]);
  });

  it.each([
    ['NaN', NaN],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['a finite value whose square overflows f32', 3e19],
  ])('flags %s', async (_, bad) => {
    const { rng } = testRng();
    for (const n of [10, 4096]) {
      const grads = randomF32(rng, n).f32;
      grads[rng.nextInt(n)] = bad;
      expect((await gradNorm(grads, 1))[2]).toBe(1);
    }
  });

  it('uses more first-pass workgroups when the loop cap is small', async () => {
    const { seed, rng } = testRng();
    const grads = randomF32(rng, 1_000_000, 0.01).f32;
    const small = { ...kit.target, maxLoopIterationsPerInvocation: 9 };
    const workgroups = (target: KernelTarget): number => gradNormKernels({ elements: grads.length }, target)[0]!.dispatch[0];
    expect(workgroups(small)).toBeGreaterThan(workgroups(kit.target));
    const out = await gradNorm(grads, 2, small);
    const ref = reference(grads, 2);
    expect(Math.abs(out[0]! - ref.norm) / ref.norm, `seed ${seed}`).toBeLessThan(1e-5);
    expect(Math.abs(out[1]! - ref.factor) / ref.factor, `seed ${seed}`).toBeLessThan(1e-5);
  });
});
