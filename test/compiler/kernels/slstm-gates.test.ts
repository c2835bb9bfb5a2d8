import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slstmGatesKernel } from '../../../compiler/kernels/slstm-gates.js';
import { headwiseForward } from '../../../runtime/reference/ops/headwise.js';
import { concatColumns } from '../../../runtime/reference/ops/columns.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

describe('sLSTM gate projections against the float64 reference', () => {
  it.each([
    [1, 1, 1],
    [5, 2, 8],
    [7, 3, 5],
    [12, 4, 16],
    [3, 1, 33],
  ])('rows=%i NH=%i DH=%i: i from fgate(conv), f from igate(conv), z, o from the raw input', async (rows, NH, DH) => {
    const { seed, rng } = testRng();
    const E = NH * DH;
    const io = new DeviceTensors(kit.exec);
    const x = randomF32(rng, rows * E);
    const xConv = randomF32(rng, rows * E);
    const weights = Object.fromEntries(['fgate', 'igate', 'zgate', 'ogate'].map((g) => [g, randomF32(rng, NH * DH * DH, 1 / Math.sqrt(DH))]));
    io.input('x', x.f32);
    io.input('xConv', xConv.f32);
    for (const [g, w] of Object.entries(weights)) io.input(g, w.f32);
    io.output('gates', rows * 4 * E);
    const kernel = slstmGatesKernel({ rows, heads: NH, headDim: DH }, kit.target);
    const [gates] = await kit.exec.run([{ kernel, tensors: io.map }], { read: [io.map.gates!] });

    const dims = { rows, blocks: NH, blockSize: DH };
    const expected = concatColumns(
      [
        headwiseForward(xConv.f64, weights.fgate!.f64, null, dims),
        headwiseForward(xConv.f64, weights.igate!.f64, null, dims),
        headwiseForward(x.f64, weights.zgate!.f64, null, dims),
        headwiseForward(x.f64, weights.ogate!.f64, null, dims),
      ],
      rows,
      [E, E, E, E],
    );
    expect(relativeError(gates!, expected), `seed ${seed}`).toBeLessThan(1e-5);
  });
});
