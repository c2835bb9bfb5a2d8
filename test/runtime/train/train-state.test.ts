import { describe, expect, it } from 'vitest';
import { modelConfigHash, parseTrainState, type TrainState } from '../../../runtime/train/train-state.js';
import { tinySpec } from './tiny-model.js';

const spec = tinySpec();
const state: TrainState = {
  checkpointId: 'r-3',
  runId: 'r',
  model: 'Tiny',
  configHash: modelConfigHash(spec),
  step: 3,
  seed: 0,
  backend: 'reference',
  train: spec.train,
  sampler: { rng: [1, 0, 0, 4294967295], drawn: 3 },
  data: { fingerprint: '9:0', source: 'd' },
  history: { train: [[1, 3], [2, 2.5], [3, 2]], val: [[3, 2.2]] },
  elapsedSeconds: 0.25,
};

describe('training state', () => {
  it('hashes the architecture only: not the name, the train section or key order', () => {
    const renamed = { ...spec, name: 'Other', train: { ...spec.train, lr: 1 } };
    expect(modelConfigHash(renamed)).toBe(modelConfigHash(spec));
    const reordered = Object.fromEntries(Object.entries(spec).reverse()) as typeof spec;
    expect(modelConfigHash(reordered)).toBe(modelConfigHash(spec));
    expect(modelConfigHash(tinySpec({ vocab: 17 }))).not.toBe(modelConfigHash(spec));
    expect(modelConfigHash({ ...spec, blocks: spec.blocks.map((b) => ({ ...b, convKernel: 3 })) })).not.toBe(modelConfigHash(spec));
    expect(modelConfigHash(spec)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('parses what it serialises', () => {
    expect(parseTrainState(JSON.stringify(state), 'x')).toEqual(state);
    expect(parseTrainState(JSON.stringify({ ...state, train: { ...state.train, clip: null } }), 'x').train.clip).toBeNull();
  });

  it('refuses damaged fields in one line naming the file and the field', () => {
    const damaged: [unknown, RegExp][] = [
      [{ ...state, step: -1 }, /^f: training state field "step" must be a whole number ≥ 0/],
      [{ ...state, sampler: { rng: [0, 0, 0, 0], drawn: 0 } }, /"sampler\.rng" must be four 32-bit words/],
      [{ ...state, train: { ...state.train, schedule: 'exp' } }, /"train\.schedule" must be one of cosine, linear, constant/],
      [{ ...state, train: { ...state.train, betas: [0.9] } }, /"train\.betas"/],
      [{ ...state, history: { train: [[1]], val: [] } }, /"history\.train" must be a list of \[step, loss\] pairs/],
      [{ ...state, data: undefined }, /"data" must be an object/],
      [[], /"state" must be an object/],
    ];
    for (const [value, message] of damaged) expect(() => parseTrainState(JSON.stringify(value), 'f')).toThrow(message);
    expect(() => parseTrainState('{"step":', 'f')).toThrow(/^f: the training state is not valid JSON/);
  });
});
