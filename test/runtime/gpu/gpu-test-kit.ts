import { kernelTargetOf, type XlstmDevice } from '../../../runtime/device.js';
import { acquireNodeDevice } from '../../../runtime/device-node.js';
import type { DeviceTensor } from '../../../runtime/exec/arena.js';
import { Executor } from '../../../runtime/exec/executor.js';
import { Rng } from '../../../runtime/random.js';
import type { KernelTarget } from '../../../compiler/kernels/kernel.js';

/** One device and executor per test file: create in beforeAll, `close` in afterAll. */
export interface GpuKit {
  dev: XlstmDevice;
  exec: Executor;
  target: KernelTarget;
  close(): void;
}

export async function openGpuKit(): Promise<GpuKit> {
  const dev = await acquireNodeDevice({ mode: 'auto' });
  const exec = new Executor(dev);
  return {
    dev,
    exec,
    target: kernelTargetOf(dev),
    close: () => {
      exec.dispose();
      dev.destroy();
    },
  };
}

/** A fresh seed per run; put `seed` into assertion messages so a failure can be replayed. */
export function testRng(seed = Math.floor(Math.random() * 2 ** 32)): { seed: number; rng: Rng } {
  return { seed, rng: Rng.fromSeed(seed) };
}

/** Normal random values as the f32 the GPU gets and the exact same values in f64 for the reference. */
export function randomF32(rng: Rng, length: number, std = 1, mean = 0): { f32: Float32Array; f64: Float64Array } {
  const f32 = Float32Array.from({ length }, () => mean + std * rng.nextNormal());
  return { f32, f64: Float64Array.from(f32) };
}

/** Uploads a tensor's worth of NaN so elements a kernel fails to write show up in the comparison. */
export function poison(exec: Executor, t: DeviceTensor): void {
  exec.uploadF32(t, new Float32Array(t.elements).fill(NaN));
}

/** max |actual − expected| / max |expected|; Infinity when any value is NaN or the lengths differ. */
export function relativeError(actual: ArrayLike<number>, expected: Float64Array): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    if (Number.isNaN(a) || Number.isNaN(expected[i]!)) return Infinity;
    diff = Math.max(diff, Math.abs(a - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / Math.max(scale, Number.MIN_VALUE);
}
