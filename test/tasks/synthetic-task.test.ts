import { describe, expect, it } from 'vitest';
import { Rng } from '../../runtime/random.js';
import { mqarTask, parityTask } from '../../runtime/tasks/synthetic-task.js';

describe('task metrics', () => {
  it('parity: in-distribution prefixes, longer prefixes, and the whole string', () => {
    const batch = parityTask().sample(Rng.fromSeed(1), 2, 5);
    const metrics = parityTask().metrics(batch, 3);
    expect(metrics.map((m) => [m.name, [...m.positions]])).toEqual([
      ['in-distribution', [1, 1, 1, 0, 0, 1, 1, 1, 0, 0]],
      ['extrapolation', [0, 0, 0, 1, 1, 0, 0, 0, 1, 1]],
      ['whole-string', [0, 0, 0, 0, 1, 0, 0, 0, 0, 1]],
    ]);
    expect(metrics.map((m) => m.description)).toEqual(['prefixes of length 1-3', 'prefixes of length 4-5', 'whole strings of length 5']);
  });

  it('parity at or below the training length has only the in-distribution metric', () => {
    const batch = parityTask().sample(Rng.fromSeed(1), 1, 4);
    expect(parityTask().metrics(batch, 4).map((m) => [m.name, [...m.positions]])).toEqual([['in-distribution', [1, 1, 1, 1]]]);
  });

  it('MQAR: the query positions', () => {
    const task = mqarTask(16, 2);
    expect(task.minLength).toBe(6);
    const batch = task.sample(Rng.fromSeed(1), 1, 7);
    expect(task.metrics(batch, 7).map((m) => [m.name, [...m.positions]])).toEqual([['queries', [0, 0, 0, 0, 0, 1, 1]]]);
  });
});
