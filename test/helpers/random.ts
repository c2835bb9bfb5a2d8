import { Rng } from '../../runtime/random.js';

/**
 * Randomness for tests on top of the runtime's seeded generator: every run draws a fresh seed (so
 * tests explore new inputs), and the seed goes into assertion messages so a failure can be replayed
 * with createRng(seed).
 */

export interface TestRng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function createRng(seed: number = Math.floor(Math.random() * 2 ** 32)): TestRng {
  const rng = Rng.fromSeed(seed);
  return { seed, uniform: () => rng.nextFloat(), normal: () => rng.nextNormal(), int: (n) => rng.nextInt(n) };
}

export function randomNormal(rng: TestRng, length: number, std = 1, mean = 0): Float64Array {
  return Float64Array.from({ length }, () => mean + std * rng.normal());
}

export function randomTokens(rng: TestRng, length: number, vocab: number): Int32Array {
  return Int32Array.from({ length }, () => rng.int(vocab));
}
