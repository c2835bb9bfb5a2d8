/**
 * The learning-rate schedule, as the official experiments' `LinearWarmupCosineAnnealing`
 * (experiments/lr_scheduler.py) computes it, with linear decay and a constant as alternatives.
 * `step` counts the optimizer steps already taken (0 for the first step, the scheduler's
 * `last_epoch`), so with warmup the very first step runs at lr 0 (only the moments learn), exactly
 * as in the official loop, and `minLrRatio·lr` is reached at `step = steps` (one past the last step).
 */
import type { Schedule } from '../../compiler/spec.js';

const SCHEDULE_KINDS = { cosine: true, linear: true, constant: true } satisfies Record<Schedule, true>;
export const SCHEDULES = Object.keys(SCHEDULE_KINDS) as Schedule[];

export interface LrSchedule {
  /** Peak learning rate, reached at the end of the warmup. */
  lr: number;
  /** Steps of linear warmup from 0. */
  warmup: number;
  /** After the warmup: 'cosine' or 'linear' decay to minLrRatio·lr at `steps`, or 'constant' lr. */
  schedule: Schedule;
  minLrRatio: number;
  /** Where the decay ends (the run's total optimizer steps). */
  steps: number;
}

export function learningRate(s: LrSchedule, step: number): number {
  if (step < s.warmup) return (s.lr * step) / s.warmup;
  if (s.schedule === 'constant') return s.lr;
  const minLr = s.minLrRatio * s.lr;
  // past `steps` (also when the warmup leaves no room to decay) the official schedule holds min_lr
  const progress = step >= s.steps ? 1 : (step - s.warmup) / (s.steps - s.warmup);
  const coefficient = s.schedule === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return minLr + coefficient * (s.lr - minLr);
}
