import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossEntropyKernels } from '../../../compiler/kernels/cross-entropy.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { crossEntropyBackward, crossEntropyForward } from '../../../runtime/reference/ops/cross-entropy.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

async function run(logits: Float32Array, targets: Int32Array, rows: number, vocab: number, gradient: boolean) {
  const io = new DeviceTensors(kit.exec);
  io.input('logits', logits);
  io.input('targets', targets);
  io.output('rowLoss', rows);
  io.output('loss', 1);
  if (gradient) io.output('dLogits', rows * vocab);
  const kernels = crossEntropyKernels({ rows, vocab, gradient }, kit.target);
  const read = [io.map.loss!, ...(gradient ? [io.map.dLogits!] : [])];
  const [loss, dLogits] = await kit.exec.run(bindAll(kernels, io.map), { read });
  return { loss: loss![0]!, dLogits: dLogits as Float32Array | undefined };
}

describe('cross-entropy kernels against the float64 reference', () => {
  it.each([
    [1, 1, false],
    [1, 7, true],
    [6, 16, true],
    [9, 37, true],
    [300, 64, false],
    [5, 1003, true],
  ])('rows=%i V=%i (gradient %s)', async (rows, vocab, gradient) => {
    const { seed, rng } = testRng();
    // A large common offset: the max subtraction must keep exp in range
    const logits = randomF32(rng, rows * vocab, 3, 40);
    const targets = Int32Array.from({ length: rows }, () => rng.nextInt(vocab));
    const got = await run(logits.f32, targets, rows, vocab, gradient);
    const expected = crossEntropyForward(logits.f64, targets, rows, vocab);
    expect(Math.abs(got.loss - expected) / Math.max(1, Math.abs(expected)), `seed ${seed}`).toBeLessThan(1e-5);
    if (gradient) {
      expect(relativeError(got.dLogits!, crossEntropyBackward(logits.f64, targets, rows, vocab)), `seed ${seed}`).toBeLessThan(1e-5);
    }
  });

  it('gives the same bits on every run', async () => {
    const { seed, rng } = testRng();
    const [rows, vocab] = [257, 40];
    const logits = randomF32(rng, rows * vocab);
    const targets = Int32Array.from({ length: rows }, () => rng.nextInt(vocab));
    const a = await run(logits.f32, targets, rows, vocab, false);
    const b = await run(logits.f32, targets, rows, vocab, false);
    expect(a.loss, `seed ${seed}`).toBe(b.loss);
  });

  it('makes the loss NaN when a target is outside the vocabulary (e.g. ignore_index −1)', async () => {
    const { rng } = testRng();
    const logits = randomF32(rng, 3 * 8).f32;
    for (const bad of [-1, 8]) {
      const got = await run(logits, Int32Array.from([1, bad, 2]), 3, 8, false);
      expect(got.loss).toBeNaN();
    }
  });
});
