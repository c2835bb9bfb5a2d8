import { describe, expect, it } from 'vitest';
import { UserError } from '../../runtime/errors.js';
import { Rng } from '../../runtime/random.js';
import { MQAR_SEPARATOR, mqarBatch, mqarLayout, mqarMinLength } from '../../runtime/tasks/mqar.js';
import { createRng } from '../helpers/random.js';

describe('MQAR layout', () => {
  it('splits the vocabulary into separator, keys and values', () => {
    expect(mqarLayout(64, 8)).toEqual({ vocab: 64, keys: 31, values: 32, pairs: 8 });
    expect(mqarLayout(3, 1)).toEqual({ vocab: 3, keys: 1, values: 1, pairs: 1 });
    expect(mqarLayout(10, 4)).toEqual({ vocab: 10, keys: 4, values: 5, pairs: 4 });
    expect(mqarMinLength(mqarLayout(64, 8))).toBe(18);
  });

  it('refuses vocabularies and pair counts that do not fit, as user errors', () => {
    expect(() => mqarLayout(2, 1)).toThrow(UserError);
    expect(() => mqarLayout(10, 5)).toThrow(/pairs must be a whole number from 1 to 4/);
    expect(() => mqarLayout(10, 0)).toThrow(UserError);
    expect(() => mqarBatch(Rng.fromSeed(1), mqarLayout(10, 4), 1, 9)).toThrow(/at least 10 tokens/);
  });
});

describe('MQAR batches', () => {
  const layout = mqarLayout(24, 5); // keys 1-11, values 12-23
  const isKey = (id: number) => id >= 1 && id <= 11;
  const isValue = (id: number) => id >= 12 && id <= 23;

  it('pairs distinct keys with values, then queries earlier keys for their values', () => {
    const seed = createRng().seed;
    const B = 6;
    const T = 2 * 5 + 1 + 12; // 12 queries: every key twice, then two more
    const b = mqarBatch(Rng.fromSeed(seed), layout, B, T);
    for (let s = 0; s < B; s++) {
      const row = (t: number) => s * T + t;
      const paired = new Map<number, number>();
      for (let i = 0; i < 5; i++) {
        const key = b.inputs[row(2 * i)]!;
        const value = b.inputs[row(2 * i + 1)]!;
        expect(isKey(key) && isValue(value), `seed ${seed}: pair ${i} is (${key}, ${value})`).toBe(true);
        expect(paired.has(key), `seed ${seed}: key ${key} repeated`).toBe(false);
        paired.set(key, value);
      }
      expect(b.inputs[row(10)]).toBe(MQAR_SEPARATOR);
      const asked: number[] = [];
      for (let t = 0; t < T; t++) {
        const scored = t > 10;
        expect(b.scored[row(t)], `seed ${seed}: position ${t}`).toBe(scored ? 1 : 0);
        if (!scored) {
          expect(b.targets[row(t)], `seed ${seed}: position ${t}`).toBe(MQAR_SEPARATOR);
          continue;
        }
        const query = b.inputs[row(t)]!;
        expect(paired.has(query), `seed ${seed}: query ${query} at ${t} is not an earlier key`).toBe(true);
        expect(b.targets[row(t)], `seed ${seed}: answer at ${t}`).toBe(paired.get(query));
        asked.push(query);
      }
      // every key once before any key again
      expect(new Set(asked.slice(0, 5)).size, `seed ${seed}`).toBe(5);
      expect(new Set(asked.slice(5, 10)).size, `seed ${seed}`).toBe(5);
    }
  });

  it('a seed gives the same batch, another seed another one', () => {
    const seed = createRng().seed;
    const a = mqarBatch(Rng.fromSeed(seed), layout, 3, 16);
    expect(mqarBatch(Rng.fromSeed(seed), layout, 3, 16), `seed ${seed}`).toEqual(a);
    expect(mqarBatch(Rng.fromSeed(seed + 1), layout, 3, 16).inputs, `seed ${seed}`).not.toEqual(a.inputs);
  });
});
