import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adamwKernel, adamwUniforms, packDecayMask, type AdamwOptions } from '../../../compiler/kernels/adamw.js';
import { gradNormKernels } from '../../../compiler/kernels/grad-norm.js';
import type { DeviceTensor } from '../../../runtime/exec/arena.js';
import { bindAll, type Dispatch } from '../../../runtime/exec/executor.js';
import type { Rng } from '../../../runtime/random.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

interface Hyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/**
 * torch.optim.AdamW's documented update (amsgrad off) in float64, one step, in place; `step` counts
 * from 1. Gradients are clipped first as clip_grad_norm_ does (coefficient min(1, max/(norm+1e-6))).
 */
function torchAdamwStep(s: { p: Float64Array; m: Float64Array; v: Float64Array }, grads: Float64Array, decays: (i: number) => boolean, h: Hyper, lr: number, step: number, maxNorm?: number): void {
  let scale = 1;
  if (maxNorm !== undefined) {
    const norm = Math.sqrt(grads.reduce((a, g) => a + g * g, 0));
    scale = Math.min(1, maxNorm / (norm + 1e-6));
  }
  const bc1 = 1 - h.beta1 ** step;
  const bc2 = 1 - h.beta2 ** step;
  for (let i = 0; i < s.p.length; i++) {
    const g = grads[i]! * scale;
    if (decays(i)) s.p[i]! *= 1 - lr * h.weightDecay;
    s.m[i] = s.m[i]! + (1 - h.beta1) * (g - s.m[i]!);
    s.v[i] = h.beta2 * s.v[i]! + (1 - h.beta2) * g * g;
    const denom = Math.sqrt(s.v[i]!) / Math.sqrt(bc2) + h.eps;
    s.p[i]! -= (lr / bc1) * (s.m[i]! / denom);
  }
}

const RANGES = [
  { offset: 3, length: 100 },
  { offset: 500, length: 37 },
  { offset: 700, length: 1 },
];

interface Run {
  elements: number;
  hyper: Hyper;
  lrs: number[];
  maxNorm?: number;
  zeroGrads?: boolean;
}

/** Runs steps of the kernel (after grad_norm with maxNorm) against the float64 torch formula; returns the seed. */
async function check(r: Run): Promise<number> {
  const { seed, rng } = testRng();
  const { exec } = kit;
  const n = r.elements;
  const o: AdamwOptions = { elements: n, ...r.hyper, ...(r.maxNorm !== undefined ? { clip: true } : {}), ...(r.zeroGrads ? { zeroGrads: true } : {}) };
  const kernel = adamwKernel(o, kit.target);
  const t = tensors(n, r.hyper.weightDecay > 0, r.maxNorm !== undefined);
  const p0 = randomF32(rng, n, 0.5);
  exec.uploadF32(t['params']!, p0.f32);
  exec.uploadF32(t['m']!, new Float32Array(n));
  exec.uploadF32(t['v']!, new Float32Array(n));
  const mask = new Set(RANGES.flatMap(({ offset, length }) => Array.from({ length }, (_, i) => offset + i)));
  if (t['decayMask']) exec.uploadU32(t['decayMask'], packDecayMask(n, RANGES));
  const state = { p: Float64Array.from(p0.f32), m: new Float64Array(n), v: new Float64Array(n) };
  let last: Float32Array[] = [];
  for (const [i, lr] of r.lrs.entries()) {
    const grads = randomF32(rng, n, 0.3);
    exec.uploadF32(t['grads']!, grads.f32);
    const dispatches: Dispatch[] = [];
    if (r.maxNorm !== undefined) dispatches.push(...bindAll(gradNormKernels({ elements: n, maxNorm: r.maxNorm }, kit.target), pick(t, 'grads', 'partial', 'gradNorm')));
    dispatches.push({ kernel, tensors: pick(t, ...kernel.bindings.map((b) => b.name)), uniforms: adamwUniforms(r.hyper, lr, i + 1) });
    last = (await exec.run(dispatches, { read: [t['params']!, t['m']!, t['v']!, t['grads']!] })) as Float32Array[];
    torchAdamwStep(state, grads.f64, (e) => mask.has(e), r.hyper, lr, i + 1, r.maxNorm);
  }
  const [p, m, v, grads] = last;
  const delta = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, (x, i) => x - p0.f64[i]!);
  // the update, not the parameter: p ≈ 0.5 would hide errors in a 1e-2 step
  expect(relativeError(delta(p!), delta(state.p)), `Δp, seed ${seed}`).toBeLessThan(1e-5);
  expect(relativeError(m!, state.m), `m, seed ${seed}`).toBeLessThan(1e-5);
  expect(relativeError(v!, state.v), `v, seed ${seed}`).toBeLessThan(1e-5);
  if (r.zeroGrads) expect(grads!.every((g) => g === 0)).toBe(true);
  return seed;
}

function tensors(n: number, decay: boolean, clip: boolean): Record<string, DeviceTensor> {
  const { exec } = kit;
  const t: Record<string, DeviceTensor> = {};
  for (const name of ['params', 'grads', 'm', 'v']) t[name] = exec.tensor(name, n);
  if (decay) t['decayMask'] = exec.tensor('decayMask', Math.ceil(n / 32), 'u32');
  if (clip) {
    t['partial'] = exec.tensor('partial', gradNormKernels({ elements: n }, kit.target)[0]!.bindings[1]!.elements);
    t['gradNorm'] = exec.tensor('gradNorm', 3);
  }
  return t;
}

function pick(t: Record<string, DeviceTensor>, ...names: string[]): Record<string, DeviceTensor> {
  return Object.fromEntries(names.map((n) => [n, t[n]!]));
}

const TORCH: Hyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

describe('AdamW against a float64 implementation of torch.optim.AdamW', () => {
  it.each([
    [1000, TORCH],
    [1001, TORCH],
    [800, { ...TORCH, weightDecay: 0 }],
    [777, { beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.3 }],
  ])('%i parameters, several steps with a changing learning rate, %o', async (elements, hyper) => {
    await check({ elements, hyper, lrs: [1e-2, 5e-3, 2e-2, 1e-2] });
  });

  it('clips by the global norm from grad_norm (factor below 1) and zeroes the gradients', async () => {
    await check({ elements: 1000, hyper: TORCH, lrs: [1e-2, 1e-2, 3e-3], maxNorm: 1, zeroGrads: true });
    await check({ elements: 999, hyper: TORCH, lrs: [1e-2, 1e-2], maxNorm: 1e9 });
  });

  it('skips the step on non-finite gradients (state unchanged) and still zeroes them', async () => {
    const { rng } = testRng();
    const { exec } = kit;
    const n = 64;
    const t = tensors(n, true, true);
    const state = ['params', 'm', 'v'].map((name) => {
      const v = randomF32(rng as Rng, n, 0.5, name === 'v' ? 1 : 0).f32.map(Math.abs);
      exec.uploadF32(t[name]!, v);
      return v;
    });
    exec.uploadU32(t['decayMask']!, packDecayMask(n, [{ offset: 0, length: n }]));
    const grads = randomF32(rng, n).f32;
    grads[17] = NaN;
    exec.uploadF32(t['grads']!, grads);
    const kernel = adamwKernel({ elements: n, weightDecay: 0.1, clip: true, zeroGrads: true }, kit.target);
    const out = await exec.run(
      [
        ...bindAll(gradNormKernels({ elements: n, maxNorm: 1 }, kit.target), pick(t, 'grads', 'partial', 'gradNorm')),
        { kernel, tensors: pick(t, ...kernel.bindings.map((b) => b.name)), uniforms: adamwUniforms({}, 1e-2, 1) },
      ],
      { read: ['params', 'm', 'v', 'grads', 'gradNorm'].map((name) => t[name]!) },
    );
    state.forEach((before, i) => expect([...out[i]!]).toEqual([...before]));
    expect(out[3]!.every((g) => g === 0)).toBe(true);
    expect(out[4]![2]).toBe(1);
  });

  it('packs the decay mask one bit per element and computes bias corrections in float64', () => {
    expect([...packDecayMask(70, [{ offset: 1, length: 2 }, { offset: 31, length: 2 }, { offset: 69, length: 1 }])]).toEqual([0x80000006, 1, 0x20]);
    expect(() => packDecayMask(10, [{ offset: 8, length: 3 }])).toThrow(/outside the 10 parameters/);
    const u = adamwUniforms({}, 3e-4, 1);
    expect(u.lr).toBe(3e-4);
    expect(u.bc1).toBeCloseTo(0.1, 15);
    expect(u.bc2Sqrt).toBeCloseTo(Math.sqrt(0.001), 15);
    expect(adamwUniforms({ beta1: 0.5, beta2: 0.75 }, 1, 2)).toEqual({ lr: 1, bc1: 0.75, bc2Sqrt: Math.sqrt(1 - 0.5625) });
  });
});
