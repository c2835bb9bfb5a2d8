/**
 * The synthetic tasks `xlstm task` trains on, each as a batch generator plus the position sets its
 * accuracy is reported on.
 */
import type { Rng } from '../random.js';
import { mqarBatch, mqarLayout, mqarMinLength } from './mqar.js';
import { parityBatch } from './parity.js';
import type { TaskBatch } from './task-batch.js';

export const TASK_NAMES = ['parity', 'mqar'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** A named set of positions of an evaluation batch: one reported accuracy. */
export interface MetricPositions {
  name: string;
  /** What the positions are, for people: "prefixes of length 17-64". */
  description: string;
  /** [batch, time], 1 where the metric counts. */
  positions: Uint8Array;
}

export interface SyntheticTask {
  name: TaskName;
  /** The shortest sequence the task can generate. */
  minLength: number;
  sample(rng: Rng, batch: number, time: number): TaskBatch;
  /** The accuracies reported on an evaluation batch, for a model trained on sequences of `trainLength`. */
  metrics(evalBatch: TaskBatch, trainLength: number): MetricPositions[];
}

/** Positions t (0-based) of every sequence for which `keep(t)` holds. */
function positionsWhere(batch: TaskBatch, keep: (t: number) => boolean): Uint8Array {
  const out = new Uint8Array(batch.batch * batch.time);
  for (let i = 0; i < out.length; i++) out[i] = keep(i % batch.time) ? 1 : 0;
  return out;
}

/**
 * Parity reports three accuracies: every prefix up to the training length (in distribution), every
 * longer prefix (length extrapolation), and the whole evaluation string (the paper's measure at
 * the longest length).
 */
export function parityTask(): SyntheticTask {
  return {
    name: 'parity',
    minLength: 1,
    sample: parityBatch,
    metrics(evalBatch, trainLength) {
      const T = evalBatch.time;
      const inDistribution = Math.min(trainLength, T);
      const metrics = [
        { name: 'in-distribution', description: `prefixes of length 1-${inDistribution}`, positions: positionsWhere(evalBatch, (t) => t < trainLength) },
      ];
      if (T > trainLength) {
        metrics.push({ name: 'extrapolation', description: `prefixes of length ${trainLength + 1}-${T}`, positions: positionsWhere(evalBatch, (t) => t >= trainLength) });
        metrics.push({ name: 'whole-string', description: `whole strings of length ${T}`, positions: positionsWhere(evalBatch, (t) => t === T - 1) });
      }
      return metrics;
    },
  };
}

/** MQAR reports the accuracy of the value predicted at each query. */
export function mqarTask(vocab: number, pairs: number): SyntheticTask {
  const layout = mqarLayout(vocab, pairs);
  return {
    name: 'mqar',
    minLength: mqarMinLength(layout),
    sample: (rng, batch, time) => mqarBatch(rng, layout, batch, time),
    metrics: (evalBatch) => [{ name: 'queries', description: `values recalled at the query positions (${pairs} pairs)`, positions: evalBatch.scored }],
  };
}
