import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementwiseKernel } from '../../../compiler/kernels/elementwise.js';
import { ACTIVATIONS } from '../../../compiler/spec.js';
import { activationForward } from '../../../runtime/reference/ops/activations.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

const [rows, cols] = [5, 7];

/** Element (r, c) of a view: `offset + r·stride + c`, or `offset + c` broadcast. */
function viewAt(x: Float64Array, r: number, c: number, v: { rowStride?: number; offset?: number; broadcast?: boolean }): number {
  return x[(v.offset ?? 0) + (v.broadcast ? 0 : r * (v.rowStride ?? cols)) + c]!;
}

describe('elementwise kernel against the float64 reference', () => {
  it.each([
    ['add', { rowStride: 2 * cols, offset: cols }, { broadcast: true }],
    ['mul', { rowStride: cols }, { rowStride: 3 * cols, offset: 2 }],
  ] as const)('%s of views %j and %j', async (kind, a, b) => {
    const { seed, rng } = testRng();
    const io = new DeviceTensors(kit.exec);
    const xa = randomF32(rng, 3 * rows * cols + 8);
    const xb = randomF32(rng, 3 * rows * cols + 8);
    io.input('a', xa.f32);
    io.input('b', xb.f32);
    io.output('y', rows * cols);
    const kernel = elementwiseKernel({ rows, cols, op: { kind }, a, b }, kit.target);
    const [y] = await kit.exec.run([{ kernel, tensors: io.map }], { read: [io.map.y!] });
    const expected = Float64Array.from({ length: rows * cols }, (_, i) => {
      const [r, c] = [Math.floor(i / cols), i % cols];
      const [u, v] = [viewAt(xa.f64, r, c, a), viewAt(xb.f64, r, c, b)];
      return kind === 'add' ? u + v : u * v;
    });
    expect(relativeError(y!, expected), `seed ${seed}`).toBeLessThan(1e-6);
  });

  it.each(ACTIVATIONS)('%s of a strided view', async (activation) => {
    const { seed, rng } = testRng();
    const io = new DeviceTensors(kit.exec);
    const x = randomF32(rng, 2 * rows * cols, 2);
    io.input('a', x.f32);
    io.output('y', rows * cols);
    const view = { rowStride: 2 * cols, offset: cols };
    const kernel = elementwiseKernel({ rows, cols, op: { kind: 'activation', activation }, a: view }, kit.target);
    const [y] = await kit.exec.run([{ kernel, tensors: io.map }], { read: [io.map.y!] });
    const input = Float64Array.from({ length: rows * cols }, (_, i) => viewAt(x.f64, Math.floor(i / cols), i % cols, view));
    expect(relativeError(y!, activationForward(activation, input)), `seed ${seed}`).toBeLessThan(1e-5);
  });
});
