import { expect } from 'vitest';
import type { KernelSpec } from '../../../compiler/kernels/kernel.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import type { Rng } from '../../../runtime/random.js';
import { randomF32, relativeError, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';

/**
 * The backward-kernel tests' routine: inputs uploaded, outputs poisoned with NaN (or, to test
 * accumulation, filled with random values that the expected gradient is then added to), every kernel
 * of the op bound to one tensor map, and the outputs read back after one submit.
 */
export class GradCheck {
  readonly tensors: DeviceTensors;
  private readonly prefills = new Map<string, Float64Array>();

  constructor(
    private readonly kit: GpuKit,
    private readonly rng: Rng,
  ) {
    this.tensors = new DeviceTensors(kit.exec);
  }

  /** A random input; returns the f64 copy of exactly the f32 values uploaded. */
  input(name: string, length: number, std = 1, mean = 0): Float64Array {
    const v = randomF32(this.rng, length, std, mean);
    this.tensors.input(name, v.f32);
    return v.f64;
  }

  /** An output (or scratch) tensor: NaN-poisoned, or random contents when `accumulate`. */
  output(name: string, length: number, accumulate = false): void {
    if (!accumulate) {
      this.tensors.output(name, length);
      return;
    }
    const v = randomF32(this.rng, length);
    this.tensors.input(name, v.f32);
    this.prefills.set(name, v.f64);
  }

  /**
   * Runs the kernels in order and reads the tensors named. Bindings given no tensor are scratch: each
   * gets a NaN-poisoned tensor as large as its largest binding, so a kernel reading scratch that an
   * earlier one failed to write shows.
   */
  async run(kernels: readonly KernelSpec[], read: readonly string[]): Promise<Record<string, Float32Array>> {
    const used = new Set(kernels.flatMap((k) => k.bindings.map((b) => b.name)));
    for (const name of used) {
      if (this.tensors.map[name]) continue;
      const sizes = kernels.flatMap((k) => k.bindings.filter((b) => b.name === name).map((b) => b.elements));
      this.tensors.output(name, Math.max(...sizes));
    }
    const map = Object.fromEntries(Object.entries(this.tensors.map).filter(([name]) => used.has(name)));
    const data = await this.kit.exec.run(bindAll(kernels, map), { read: read.map((n) => this.tensors.map[n]!) });
    return Object.fromEntries(read.map((n, i) => [n, data[i] as Float32Array]));
  }

  /** The expected contents of an output: the gradient, plus the prefill of an accumulating output. */
  expected(name: string, gradient: Float64Array): Float64Array {
    const prefill = this.prefills.get(name);
    return prefill ? gradient.map((g, i) => g + prefill[i]!) : gradient;
  }
}

/** Asserts max |actual − expected| / max |expected| < tolerance (NaN never passes). */
export function expectClose(actual: ArrayLike<number>, expected: Float64Array, tolerance: number, what: string, seed: number): void {
  expect(relativeError(actual, expected), `${what} (seed ${seed})`).toBeLessThan(tolerance);
}
