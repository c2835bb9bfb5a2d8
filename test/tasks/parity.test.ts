import { describe, expect, it } from 'vitest';
import { Rng } from '../../runtime/random.js';
import { parityBatch } from '../../runtime/tasks/parity.js';
import { createRng } from '../helpers/random.js';

/** An Rng whose draws are the given bits, in order. */
function scriptedBits(bits: number[]): Rng {
  const queue = [...bits];
  return { nextInt: (n: number) => (n === 2 ? queue.shift()! : NaN) } as unknown as Rng;
}

describe('parity batches', () => {
  it('label every position with the parity of its prefix (hand-computed)', () => {
    //        bits 1 0 1 1 0 0 1 | 0 1 1 1 0 0 0
    // prefix parity 1 1 0 1 1 1 0 | 0 1 0 1 1 1 1
    const b = parityBatch(scriptedBits([1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0]), 2, 7);
    expect([...b.inputs]).toEqual([1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0]);
    expect([...b.targets]).toEqual([1, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1]);
    expect([...b.scored]).toEqual(new Array(14).fill(1));
    expect([b.batch, b.time]).toEqual([2, 7]);
  });

  it('targets are the count of 1s so far, mod 2, on random strings', () => {
    const seed = createRng().seed;
    const b = parityBatch(Rng.fromSeed(seed), 5, 40);
    for (let s = 0; s < 5; s++) {
      let ones = 0;
      for (let t = 0; t < 40; t++) {
        const bit = b.inputs[s * 40 + t]!;
        expect([0, 1], `seed ${seed}`).toContain(bit);
        ones += bit;
        expect(b.targets[s * 40 + t], `seed ${seed}, sequence ${s}, position ${t}`).toBe(ones % 2);
      }
    }
    // 200 fair bits: all equal has probability 2^-199
    expect(new Set(b.inputs).size, `seed ${seed}`).toBe(2);
  });

  it('a seed gives the same batch, another seed another one', () => {
    const seed = createRng().seed;
    const a = parityBatch(Rng.fromSeed(seed), 4, 32);
    const again = parityBatch(Rng.fromSeed(seed), 4, 32);
    const other = parityBatch(Rng.fromSeed(seed + 1), 4, 32);
    expect(again.inputs, `seed ${seed}`).toEqual(a.inputs);
    expect(again.targets, `seed ${seed}`).toEqual(a.targets);
    expect(other.inputs, `seed ${seed}`).not.toEqual(a.inputs);
  });
});
