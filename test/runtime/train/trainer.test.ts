import { describe, expect, it } from 'vitest';
import type { StepHyper, TrainBackend, TrainBatch } from '../../../runtime/train/backend.js';
import { BatchSampler } from '../../../runtime/train/batch-sampler.js';
import { describeNonFinite, runTraining, type StepRecord, type TrainSnapshot } from '../../../runtime/train/trainer.js';
import { tinySpec } from './tiny-model.js';

/** A backend that records what it is asked and answers with made-up losses; every step takes 0.5 s of a fake clock. */
function fakeBackend(clock: { ms: number }, failAt?: number) {
  const calls: { hyper: StepHyper; micro: readonly TrainBatch[] }[] = [];
  const backend: TrainBackend = {
    name: 'fake',
    dtype: 'F32',
    step: async (micro, hyper) => {
      calls.push({ hyper, micro });
      clock.ms += 500;
      if (hyper.step === failAt) return { loss: NaN, gradNorm: NaN, nonFinite: { stage: 'forward', tensor: 'loss', value: NaN } };
      return { loss: 10 - hyper.step, gradNorm: hyper.step / 10 };
    },
    evalLoss: async (b) => b.batch * 0.25,
    getWeights: async () => new Map(),
    getOptimizerState: async () => ({ expAvg: new Map(), expAvgSq: new Map() }),
    setOptimizerState: async () => undefined,
    dispose: async () => undefined,
  };
  return { backend, calls };
}

const train = { ...tinySpec().train, batch: 2, seqLen: 4, gradAccum: 3, warmup: 2, steps: 10, schedule: 'linear' as const, lr: 0.1, minLrRatio: 0 };
const tokens = Uint8Array.from({ length: 100 }, (_, i) => i % 16);
const validation: TrainBatch[] = [
  { inputs: new Int32Array(8), targets: new Int32Array(8), batch: 2, time: 4 },
  { inputs: new Int32Array(4), targets: new Int32Array(4), batch: 1, time: 4 },
];

describe('the training loop', () => {
  it('steps with the schedule, evaluates and saves on cadence and at the last step, from a resumed step', async () => {
    const clock = { ms: 0 };
    const { backend, calls } = fakeBackend(clock);
    const records: StepRecord[] = [];
    const saves: TrainSnapshot[] = [];
    const history = { train: [[1, 9], [2, 8]] as [number, number][], val: [] as [number, number][] };
    const outcome = await runTraining({
      backend,
      train,
      tokens,
      validation,
      sampler: BatchSampler.fromSeed(1),
      startStep: 2,
      history,
      elapsedSeconds: 4,
      evalEvery: 3,
      saveEvery: 2,
      until: 7,
      hooks: { onStep: (r) => void records.push(r), save: async (s) => void saves.push(structuredClone(s)), now: () => clock.ms },
    });
    expect(calls.map((c) => c.hyper.step)).toEqual([3, 4, 5, 6, 7]);
    // warmup 2, then linear from 0.1 at step index 2 to 0 at index 10: lr = 0.1·(10 − index)/8
    expect(calls.map((c) => c.hyper.lr)).toEqual([0.1, (0.1 * 7) / 8, (0.1 * 6) / 8, (0.1 * 5) / 8, (0.1 * 4) / 8].map((x) => expect.closeTo(x, 15)));
    expect(calls.every((c) => c.micro.length === 3 && c.micro.every((b) => b.batch === 2 && b.time === 4))).toBe(true);
    // validation loss: batches of 2 and 1 with losses 0.5 and 0.25, weighted by size: (2·0.5 + 0.25)/3
    expect(records.filter((r) => r.valLoss !== undefined).map((r) => [r.step, r.valLoss])).toEqual([[3, 1.25 / 3], [6, 1.25 / 3], [7, 1.25 / 3]]);
    expect(saves.map((s) => s.step)).toEqual([4, 6, 7]);
    expect(saves[0]!.sampler.drawn).toBe(6); // 2 steps × 3 micro-batches
    expect(history.train.map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(records[0]).toMatchObject({ step: 3, loss: 7, gradNorm: 0.3, tokensPerSecond: 48, elapsedSeconds: 4.5, etaSeconds: 2 });
    expect(records[4]!.elapsedSeconds).toBe(6.5);
    expect(outcome).toEqual({ status: 'completed', step: 7, loss: 3, valLoss: 1.25 / 3 });
  });

  it('stops at a non-finite step without recording or saving it', async () => {
    const clock = { ms: 0 };
    const { backend } = fakeBackend(clock, 5);
    const saves: number[] = [];
    const history = { train: [] as [number, number][], val: [] as [number, number][] };
    const outcome = await runTraining({
      backend,
      train,
      tokens,
      validation: null,
      sampler: BatchSampler.fromSeed(1),
      startStep: 0,
      history,
      elapsedSeconds: 0,
      evalEvery: 0,
      saveEvery: 3,
      hooks: { save: async (s) => void saves.push(s.step), now: () => clock.ms },
    });
    expect(outcome).toEqual({ status: 'non-finite', step: 5, nonFinite: { stage: 'forward', tensor: 'loss', value: NaN }, lastSavedStep: 3 });
    expect(saves).toEqual([3]);
    expect(history.train.map(([s]) => s)).toEqual([1, 2, 3, 4]);
  });

  it('describes where a step went non-finite', () => {
    expect(describeNonFinite(7, { stage: 'forward', tensor: 'blocks.1.xlstm', value: NaN })).toBe('step 7: activation blocks.1.xlstm became NaN');
    expect(describeNonFinite(2, { stage: 'gradient', tensor: 'lm_head.weight', value: -Infinity })).toBe('step 2: the gradient of lm_head.weight became -Infinity');
    expect(describeNonFinite(3, { stage: 'update', tensor: 'token_embedding.weight', value: Infinity })).toBe('step 3: the AdamW update of token_embedding.weight became Infinity');
  });
});
