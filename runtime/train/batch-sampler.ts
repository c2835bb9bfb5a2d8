/**
 * Training batches as random windows of T+1 tokens (inputs = the first T, targets = the last T),
 * drawn from a seeded generator whose state is saved in checkpoints, so a resumed run draws exactly
 * the batches an uninterrupted one would have. Validation uses fixed windows instead, so its loss
 * is comparable from one evaluation to the next.
 */
import { Rng, type RngState } from '../random.js';
import type { TrainBatch } from './backend.js';
import type { TokenArray } from './tokens.js';

export interface SamplerState {
  rng: RngState;
  /** Batches drawn so far (information for people reading a checkpoint). */
  drawn: number;
}

const STREAM = 'train-batches';

/** A batch of windows starting at `starts`. */
function windowsBatch(tokens: TokenArray, starts: readonly number[], time: number): TrainBatch {
  const inputs = new Int32Array(starts.length * time);
  const targets = new Int32Array(starts.length * time);
  starts.forEach((start, b) => {
    for (let t = 0; t < time; t++) {
      inputs[b * time + t] = tokens[start + t]!;
      targets[b * time + t] = tokens[start + t + 1]!;
    }
  });
  return { inputs, targets, batch: starts.length, time };
}

export class BatchSampler {
  private constructor(
    private readonly rng: Rng,
    private drawn: number,
  ) {}

  static fromSeed(seed: number): BatchSampler {
    return new BatchSampler(Rng.fromSeed(seed, STREAM), 0);
  }

  static fromState(state: SamplerState): BatchSampler {
    return new BatchSampler(Rng.fromState(state.rng), state.drawn);
  }

  state(): SamplerState {
    return { rng: this.rng.state(), drawn: this.drawn };
  }

  /** `batch` windows at uniformly random starts; `tokens` must hold at least time + 1 ids. */
  next(tokens: TokenArray, batch: number, time: number): TrainBatch {
    const starts = Array.from({ length: batch }, () => this.rng.nextInt(tokens.length - time));
    this.drawn++;
    return windowsBatch(tokens, starts, time);
  }
}

/**
 * Fixed validation batches: non-overlapping windows of T+1 tokens, at most `maxWindows` of them
 * spread evenly over the data, grouped `batch` at a time (the last group may be smaller).
 */
export function validationBatches(tokens: TokenArray, batch: number, time: number, maxWindows: number): TrainBatch[] {
  const available = Math.floor(tokens.length / (time + 1));
  const count = Math.min(available, maxWindows);
  const starts = Array.from({ length: count }, (_, i) => Math.floor((i * available) / count) * (time + 1));
  const batches: TrainBatch[] = [];
  for (let i = 0; i < count; i += batch) batches.push(windowsBatch(tokens, starts.slice(i, i + batch), time));
  return batches;
}
