import { UserError } from './errors.js';

/**
 * Seeded, deterministic pseudo-random numbers for parameter init and batch sampling: xoshiro128**
 * (Blackman & Vigna), seeded through splitmix32, with Box–Muller normals. Chosen because it is small,
 * fast with 32-bit integer ops (Math.imul), well tested, and gives the same stream in every JS engine,
 * so a seed means the same model in Node and in a browser.
 */

export type RngState = readonly [number, number, number, number];

const TWO_POW_32 = 0x1_0000_0000;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** splitmix32 step: a good mixer for turning a small seed into well-spread state words. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a stream label. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h;
}

export function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new UserError(`seed ${seed} is not valid: use a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Box–Muller makes normals in pairs; the second one waits here. */
  private spareNormal: number | null = null;

  private constructor(state: RngState) {
    this.s0 = state[0] >>> 0;
    this.s1 = state[1] >>> 0;
    this.s2 = state[2] >>> 0;
    this.s3 = state[3] >>> 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) throw new Error('xoshiro128** state must not be all zero');
  }

  /**
   * A generator for `seed` (a non-negative safe integer). Different `stream` labels give independent
   * streams from one seed, so e.g. each parameter tensor draws from its own stream and adding a
   * tensor does not change the others.
   */
  static fromSeed(seed: number, stream = ''): Rng {
    checkSeed(seed);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    const x = splitmix32(lo ^ splitmix32(hi ^ hashLabel(stream)));
    const w0 = splitmix32(x);
    const w1 = splitmix32(w0 + 1);
    const w2 = splitmix32(w1 + 2);
    const w3 = splitmix32(w2 + 3);
    // an all-zero state would be a fixed point; forcing one bit keeps the stream alive
    return new Rng([w0 | 1, w1, w2, w3]);
  }

  /** Resumes a stream saved with `state()` (e.g. a trainer's batch sampler in a checkpoint). */
  static fromState(state: RngState): Rng {
    return new Rng(state);
  }

  /** The raw generator state; a pending Box–Muller spare is not part of it. */
  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits (every double of the form k·2⁻⁵³). */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n) without modulo bias; n a positive integer ≤ 2³². */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) throw new RangeError(`nextInt: bad range ${n}`);
    // reject the top partial copy of [0, n) so every residue is equally likely
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** Standard normal N(0, 1) by Box–Muller. */
  nextNormal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    const u1 = 1 - this.nextFloat(); // (0, 1]: log is finite
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = r * Math.sin(angle);
    return r * Math.cos(angle);
  }
}
