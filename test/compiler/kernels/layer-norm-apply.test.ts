import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerNormApplyKernel } from '../../../compiler/kernels/layer-norm-apply.js';
import { layerNormStatsKernel } from '../../../compiler/kernels/layer-norm-stats.js';
import { multiHeadLayerNormForward } from '../../../runtime/reference/ops/multi-head-layer-norm.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

describe('layer norm apply kernel (after layer_norm_stats) against the float64 reference', () => {
  it.each([
    // LayerNorm over rows of E; MultiHeadLayerNorm over heads of DH with a whole-row weight; no weight; odd sizes
    { rows: 6, heads: 1, headDim: 16, weight: true, residual: false },
    { rows: 5, heads: 4, headDim: 8, weight: true, residual: true },
    { rows: 3, heads: 3, headDim: 5, weight: false, residual: true },
    { rows: 7, heads: 2, headDim: 3, weight: true, residual: false },
  ])('%j', async (c) => {
    const { seed, rng } = testRng();
    const E = c.heads * c.headDim;
    const io = new DeviceTensors(kit.exec);
    const x = randomF32(rng, c.rows * E, 2, 0.5);
    const w = randomF32(rng, E, 0.3);
    const r = randomF32(rng, c.rows * E);
    io.input('x', x.f32);
    if (c.weight) io.input('weight', w.f32);
    if (c.residual) io.input('residual', r.f32);
    io.output('stats', 2 * c.rows * c.heads);
    io.output('y', c.rows * E);
    const groups = c.rows * c.heads;
    const stats = layerNormStatsKernel({ rows: groups, cols: c.headDim, eps: 1e-5 }, kit.target);
    const apply = layerNormApplyKernel(
      { groups, groupSize: c.headDim, ...(c.weight ? { weightLength: E } : {}), ...(c.residual ? { residual: true } : {}) },
      kit.target,
    );
    const [y] = await kit.exec.run(
      [
        { kernel: stats, tensors: io.pick('x', 'stats') },
        { kernel: apply, tensors: io.pick('x', 'stats', 'y', ...(c.weight ? ['weight'] : []), ...(c.residual ? ['residual'] : [])) },
      ],
      { read: [io.map.y!] },
    );
    const normed = multiHeadLayerNormForward(x.f64, c.weight ? w.f64 : new Float64Array(E), { rows: c.rows, heads: c.heads, headDim: c.headDim }, 1e-5).y;
    const expected = c.residual ? normed.map((v, i) => v + r.f64[i]!) : normed;
    expect(relativeError(y!, expected), `seed ${seed}`).toBeLessThan(1e-5);
  });

  it('refuses a weight that is not whole rows of groups', () => {
    expect(() => layerNormApplyKernel({ groups: 4, groupSize: 3, weightLength: 4 }, kit.target)).toThrow(/multiple of the group size/);
  });
});
