import { describe, expect, it } from 'vitest';
import { BatchSampler, validationBatches } from '../../../runtime/train/batch-sampler.js';
import { createRng } from '../../helpers/random.js';

describe('batch sampling', () => {
  it('draws windows of T+1 consecutive tokens: targets are the inputs shifted by one', () => {
    const rng = createRng();
    const tokens = Int32Array.from({ length: 50 }, (_, i) => i * 3); // position recoverable from the id
    const b = BatchSampler.fromSeed(rng.seed).next(tokens, 4, 6);
    expect(b.batch).toBe(4);
    expect(b.time).toBe(6);
    for (let row = 0; row < 4; row++) {
      const start = b.inputs[row * 6]! / 3;
      expect(start, `seed ${rng.seed}`).toBeLessThanOrEqual(50 - 7);
      for (let t = 0; t < 6; t++) {
        expect(b.inputs[row * 6 + t]).toBe((start + t) * 3);
        expect(b.targets[row * 6 + t]).toBe((start + t + 1) * 3);
      }
    }
  });

  it('reaches every start, including the last one that fits', () => {
    const tokens = Uint8Array.from({ length: 6 }, (_, i) => i);
    const sampler = BatchSampler.fromSeed(createRng().seed);
    const starts = new Set<number>();
    for (let i = 0; i < 200; i++) starts.add(sampler.next(tokens, 1, 3).inputs[0]!);
    expect([...starts].sort()).toEqual([0, 1, 2]);
  });

  it('is reproducible from the seed, and a restored state continues the same sequence', () => {
    const rng = createRng();
    const tokens = Uint16Array.from({ length: 1000 }, () => rng.int(60000));
    const straight = BatchSampler.fromSeed(rng.seed);
    const first = [straight.next(tokens, 3, 5), straight.next(tokens, 3, 5)];
    const again = BatchSampler.fromSeed(rng.seed);
    expect(again.next(tokens, 3, 5)).toEqual(first[0]);
    const saved = JSON.parse(JSON.stringify(again.state()));
    expect(saved.drawn).toBe(1);
    const resumed = BatchSampler.fromState(saved);
    expect(resumed.next(tokens, 3, 5)).toEqual(first[1]);
    expect(straight.next(tokens, 3, 5)).toEqual(resumed.next(tokens, 3, 5));
    expect(BatchSampler.fromSeed(rng.seed + 1).next(tokens, 3, 5)).not.toEqual(first[0]);
  });

  it('validates on fixed, non-overlapping windows spread over the data, batched', () => {
    const tokens = Int32Array.from({ length: 40 }, (_, i) => i);
    const all = validationBatches(tokens, 2, 3, 100); // 10 windows of 4
    expect(all.map((b) => b.batch)).toEqual([2, 2, 2, 2, 2]);
    expect([...all[0]!.inputs]).toEqual([0, 1, 2, 4, 5, 6]);
    expect([...all[0]!.targets]).toEqual([1, 2, 3, 5, 6, 7]);
    const some = validationBatches(tokens, 2, 3, 3); // windows 0, 3, 6
    expect(some.map((b) => b.batch)).toEqual([2, 1]);
    expect([...some[0]!.inputs, ...some[1]!.inputs]).toEqual([0, 1, 2, 12, 13, 14, 24, 25, 26]);
  });
});
