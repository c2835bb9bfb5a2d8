import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlstmOutputKernel } from '../../../compiler/kernels/mlstm-output.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { silu } from '../../../runtime/reference/ops/activations.js';
import { multiHeadLayerNormForward } from '../../../runtime/reference/ops/multi-head-layer-norm.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

describe('mLSTM output kernel (MultiHeadLayerNorm, learnable skip, SiLU(z) gate) against the float64 reference', () => {
  it.each([
    [1, 1, 1, 0],
    [6, 2, 8, 0],
    [14, 4, 16, 0],
    [5, 3, 5, 1],
    [9, 2, 32, 1],
  ])('rows=%i NH=%i DH=%i, z inside proj_up rows: %i', async (rows, NH, DH, inside) => {
    const { seed, rng } = testRng();
    const I = NH * DH;
    const zStride = inside ? 2 * I : I;
    const zOffset = inside ? I : 0;
    // h far from zero mean: the norm must not lose it.
    const h = randomF32(rng, rows * I, 2, 5);
    const conv = randomF32(rng, rows * I);
    const zRows = randomF32(rng, rows * zStride, 2);
    const normWeight = randomF32(rng, I, 0.3);
    const skip = randomF32(rng, I);

    const kernel = mlstmOutputKernel({ rows, heads: NH, headDim: DH, zRowStride: zStride, zOffset }, kit.target);
    const t = new DeviceTensors(kit.exec);
    t.input('h', h.f32);
    t.input('conv', conv.f32);
    t.input('z', zRows.f32);
    t.input('normWeight', normWeight.f32);
    t.input('skip', skip.f32);
    const y = t.output('y', rows * I);
    const [out] = await kit.exec.run(bindAll([kernel], t.map), { read: [y] });

    const normed = multiHeadLayerNormForward(h.f64, normWeight.f64, { rows, heads: NH, headDim: DH }, 1e-5).y;
    const expected = normed.map((v, i) => {
      const row = Math.floor(i / I);
      const z = zRows.f64[row * zStride + zOffset + (i % I)]!;
      return (v + skip.f64[i % I]! * conv.f64[i]!) * silu(z);
    });
    expect(relativeError(out!, expected), `seed ${seed}`).toBeLessThan(2e-5);
  });
});
