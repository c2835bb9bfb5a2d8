/**
 * The `train { }` section's keys and the TrainSpec fields they set. An official model config says
 * nothing about training, so imports take the checker's defaults and exports to `.xlstm` write
 * only the keys that differ from them; both go through this one table.
 */

import { SCHEMA } from '../check/schema.js';
import type { TrainSpec } from '../spec.js';

export const TRAIN_KEY_FIELDS = {
  optimizer: 'optimizer',
  lr: 'lr',
  weight_decay: 'weightDecay',
  betas: 'betas',
  eps: 'eps',
  batch: 'batch',
  clip: 'clip',
  warmup: 'warmup',
  schedule: 'schedule',
  min_lr_ratio: 'minLrRatio',
  steps: 'steps',
  grad_accum: 'gradAccum',
  seq_len: 'seqLen',
} as const satisfies Record<string, keyof TrainSpec>;

/** The training settings of a model whose `train { }` is empty; seq_len defaults to the context. */
export function defaultTrainSpec(contextLength: number): TrainSpec {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(TRAIN_KEY_FIELDS)) {
    const schema = SCHEMA.train.keys[key]!;
    out[field] = schema.defaultFrom === 'context' ? contextLength : structuredClone(schema.default);
  }
  return out as unknown as TrainSpec;
}

/** The train section's key → value of a TrainSpec. */
export function trainKeyValues(t: TrainSpec): Record<string, unknown> {
  return Object.fromEntries(Object.entries(TRAIN_KEY_FIELDS).map(([key, field]) => [key, t[field]]));
}
