/**
 * A batch of a synthetic task: a training batch plus which positions count for accuracy.
 *
 * The training loss covers every position (the TrainBackend has no target mask), so each task gives
 * every position a target the model can learn: where the task asks nothing, a fixed "nothing to
 * answer" token. `scored` marks the positions whose prediction is the task's answer; accuracy is
 * measured there only.
 */
import type { TrainBatch } from '../train/backend.js';

export interface TaskBatch extends TrainBatch {
  /** [batch, time], 1 where the target is an answer of the task. */
  scored: Uint8Array;
}

/** Token id sequences, row-major [batch, time], ready to fill. */
export function emptyTaskBatch(batch: number, time: number): TaskBatch {
  const n = batch * time;
  return { inputs: new Int32Array(n), targets: new Int32Array(n), scored: new Uint8Array(n), batch, time };
}
