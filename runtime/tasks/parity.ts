/**
 * Parity (the xLSTM paper's formal-language state-tracking task, after Delétang et al. 2023): read a
 * string of bits and say whether it holds an odd number of 1s.
 *
 * Layout: vocabulary {0, 1}; inputs are uniformly random bits x₁…x_T; the target at every position t
 * is the parity of the prefix, x₁ ⊕ … ⊕ x_t (0 or 1). Every position is scored, so one sequence of
 * length T holds the answers for every length 1…T, and positions past the training length measure
 * length extrapolation. (The official experiment scores only the end of each string, which needs a
 * target mask our trainer does not have; dense prefix labels give the same function to learn.)
 */
import type { Rng } from '../random.js';
import { emptyTaskBatch, type TaskBatch } from './task-batch.js';

/** Bits 0 and 1; a model for parity needs at least this vocabulary. */
export const PARITY_VOCAB = 2;

export function parityBatch(rng: Rng, batch: number, time: number): TaskBatch {
  const out = emptyTaskBatch(batch, time);
  for (let b = 0; b < batch; b++) {
    let parity = 0;
    for (let t = 0; t < time; t++) {
      const bit = rng.nextInt(2);
      parity ^= bit;
      out.inputs[b * time + t] = bit;
      out.targets[b * time + t] = parity;
    }
  }
  out.scored.fill(1);
  return out;
}
