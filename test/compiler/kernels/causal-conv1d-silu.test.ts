import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causalConv1dSiluKernel, type CausalConv1dSiluOptions } from '../../../compiler/kernels/causal-conv1d-silu.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { silu } from '../../../runtime/reference/ops/activations.js';
import { causalConv1dForward, causalConv1dStep } from '../../../runtime/reference/ops/causal-conv1d.js';
import type { Rng } from '../../../runtime/random.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';
import { sliceTime } from './time-slices.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

interface Conv {
  C: number;
  K: number;
  weight: { f32: Float32Array; f64: Float64Array };
  bias: { f32: Float32Array; f64: Float64Array };
}

function randomConv(rng: Rng, C: number, K: number): Conv {
  return { C, K, weight: randomF32(rng, C * K, 1 / Math.sqrt(K)), bias: randomF32(rng, C, 0.5) };
}

/** Runs the kernel on x [B,T,stride] (channels first in each row) and returns y and, if asked, the state out. */
async function run(
  conv: Conv,
  o: Omit<CausalConv1dSiluOptions, 'channels' | 'kernelSize'>,
  x: Float32Array,
  stateIn?: Float32Array,
): Promise<{ y: Float32Array; stateOut?: Float32Array }> {
  const opts = { ...o, channels: conv.C, kernelSize: conv.K, stateIn: stateIn !== undefined };
  const kernel = causalConv1dSiluKernel(opts, kit.target);
  const t = new DeviceTensors(kit.exec);
  t.input('x', x);
  t.input('weight', conv.weight.f32);
  t.input('bias', conv.bias.f32);
  if (stateIn) t.input('stateIn', stateIn);
  const y = t.output('y', o.batch * o.time * conv.C);
  const stateOut = o.stateOut ? t.output('stateOut', o.batch * conv.K * conv.C) : undefined;
  const [yData, sData] = await kit.exec.run(bindAll([kernel], t.map), { read: stateOut ? [y, stateOut] : [y] });
  return { y: yData as Float32Array, ...(sData ? { stateOut: sData as Float32Array } : {}) };
}

/** The reference conv (+ SiLU) over contiguous [B,T,C] input. */
function reference(conv: Conv, x: Float64Array, B: number, T: number, withSilu = true): Float64Array {
  const y = causalConv1dForward(x, conv.weight.f64, conv.bias.f64, { batch: B, time: T, features: conv.C, kernel: conv.K });
  return withSilu ? y.map(silu) : y;
}

/** Rows [B,T,C] spread into [B,T,stride] with other values in the gaps. */
function strided(rng: Rng, x: Float32Array, rows: number, C: number, stride: number): Float32Array {
  const out = randomF32(rng, rows * stride).f32;
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * C, (r + 1) * C), r * stride);
  return out;
}

describe('causal conv1d + SiLU kernel against the float64 reference', () => {
  it.each([
    [1, 1, 1, 1],
    [2, 9, 5, 4],
    [2, 13, 64, 4],
    [3, 2, 7, 4],
    [1, 17, 3, 6],
  ])('B=%i T=%i C=%i K=%i', async (B, T, C, K) => {
    const { seed, rng } = testRng();
    const conv = randomConv(rng, C, K);
    const x = randomF32(rng, B * T * C);
    const { y } = await run(conv, { batch: B, time: T }, x.f32);
    expect(relativeError(y, reference(conv, x.f64, B, T)), `seed ${seed}`).toBeLessThan(1e-5);
  });

  it('without SiLU, reading x_m inside wider rows', async () => {
    const { seed, rng } = testRng();
    const [B, T, C, K] = [2, 11, 6, 4];
    const conv = randomConv(rng, C, K);
    const x = randomF32(rng, B * T * C);
    const { y } = await run(conv, { batch: B, time: T, silu: false, inputRowStride: 2 * C }, strided(rng, x.f32, B * T, C, 2 * C));
    expect(relativeError(y, reference(conv, x.f64, B, T, false)), `seed ${seed}`).toBeLessThan(1e-5);
  });

  it.each([
    [[5, 4, 3]],
    [[1, 1, 1, 1, 1, 1, 1]],
    [[2, 1, 6]],
  ])('a stream fed in pieces %j equals the whole sequence, and the state out is the official conv state', async (pieces) => {
    const { seed, rng } = testRng();
    const [B, C, K] = [2, 5, 4];
    const T = pieces.reduce((a, b) => a + b, 0);
    const conv = randomConv(rng, C, K);
    const x = randomF32(rng, B * T * C);
    const whole = reference(conv, x.f64, B, T);
    // The official step API from a zero state gives the state to expect after each piece.
    const official = new Float64Array(B * K * C);
    let state: Float32Array | undefined;
    let from = 0;
    for (const len of pieces) {
      const piece = sliceTime(x.f32, B, T, C, from, len);
      const stateIn = state ?? new Float32Array(B * K * C);
      const { y, stateOut } = await run(conv, { batch: B, time: len, stateOut: true }, piece, stateIn);
      expect(relativeError(y, sliceTime(whole, B, T, C, from, len)), `seed ${seed}, piece at ${from}`).toBeLessThan(1e-5);
      for (let t = from; t < from + len; t++) {
        causalConv1dStep(official, sliceTime(x.f64, B, T, C, t, 1), conv.weight.f64, conv.bias.f64, B, C, K);
      }
      expect(relativeError(stateOut!, official), `seed ${seed}, state after ${from + len}`).toBe(0);
      state = stateOut;
      from += len;
    }
  });

  it('writes the state without an input state (a first piece shorter than K)', async () => {
    const { seed, rng } = testRng();
    const [B, T, C, K] = [2, 2, 3, 4];
    const conv = randomConv(rng, C, K);
    const x = randomF32(rng, B * T * C);
    const { y, stateOut } = await run(conv, { batch: B, time: T, stateOut: true }, x.f32);
    expect(relativeError(y, reference(conv, x.f64, B, T)), `seed ${seed}`).toBeLessThan(1e-5);
    const expected = new Float64Array(B * K * C);
    for (let b = 0; b < B; b++) expected.set(x.f64.subarray(b * T * C, (b + 1) * T * C), (b * K + K - T) * C);
    expect(relativeError(stateOut!, expected), `seed ${seed}`).toBe(0);
  });
});
