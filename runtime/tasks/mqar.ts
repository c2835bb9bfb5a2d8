/**
 * Multi-Query Associative Recall (MQAR; Arora et al. 2023, "Zoology"), as the xLSTM paper uses it:
 * a sequence of key-value pairs, then queries of those keys; the answer to each query is the value
 * its key was paired with.
 *
 * Layout, for a model vocabulary V:
 *   token 0              the separator between pairs and queries, and the "nothing to answer" target
 *   tokens 1 … K         keys, K = ⌊(V − 1)/2⌋
 *   tokens K+1 … V−1     values
 *   inputs   k₁ v₁ k₂ v₂ … k_N v_N 0 q₁ q₂ … q_M      (T = 2N + 1 + M)
 *   targets  0  0  0  0  … 0   0   0 a₁ a₂ … a_M      (a_j = the value paired with q_j)
 * The N keys of a sequence are distinct; values are drawn independently (they may repeat). Queries
 * ask every key once in random order before any key is asked again. Only the query positions are
 * scored.
 */
import { UserError } from '../errors.js';
import type { Rng } from '../random.js';
import { emptyTaskBatch, type TaskBatch } from './task-batch.js';

export const MQAR_SEPARATOR = 0;

export interface MqarLayout {
  /** Model vocabulary V. */
  vocab: number;
  /** Key ids are 1 … keys. */
  keys: number;
  /** Value ids are keys+1 … keys+values. */
  values: number;
  /** Key-value pairs per sequence. */
  pairs: number;
}

/** The smallest vocabulary with room for one key and one value besides the separator. */
export const MQAR_MIN_VOCAB = 3;

/** The token split of a model vocabulary for `pairs` pairs; refuses what cannot hold them. */
export function mqarLayout(vocab: number, pairs: number): MqarLayout {
  if (!Number.isInteger(vocab) || vocab < MQAR_MIN_VOCAB) {
    throw new UserError(`MQAR needs a model vocabulary of at least ${MQAR_MIN_VOCAB} (separator, keys, values), got ${vocab}`);
  }
  const keys = Math.floor((vocab - 1) / 2);
  if (!Number.isInteger(pairs) || pairs < 1 || pairs > keys) {
    throw new UserError(`MQAR pairs must be a whole number from 1 to ${keys} (the distinct keys vocabulary ${vocab} holds), got ${pairs}`);
  }
  return { vocab, keys, values: vocab - 1 - keys, pairs };
}

/** The shortest sequence of a layout: the pairs, the separator and one query. */
export function mqarMinLength(layout: MqarLayout): number {
  return 2 * layout.pairs + 2;
}

/** `count` distinct draws from [0, n), in random order (a partial Fisher–Yates shuffle). */
function distinct(rng: Rng, n: number, count: number): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + rng.nextInt(n - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

export function mqarBatch(rng: Rng, layout: MqarLayout, batch: number, time: number): TaskBatch {
  const { pairs } = layout;
  if (time < mqarMinLength(layout)) {
    throw new UserError(`MQAR with ${pairs} pairs needs sequences of at least ${mqarMinLength(layout)} tokens (pairs, separator, a query), got ${time}`);
  }
  const out = emptyTaskBatch(batch, time);
  const queryStart = 2 * pairs + 1;
  for (let b = 0; b < batch; b++) {
    const row = b * time;
    const keys = distinct(rng, layout.keys, pairs).map((k) => 1 + k);
    const values = keys.map(() => 1 + layout.keys + rng.nextInt(layout.values));
    keys.forEach((key, i) => {
      out.inputs[row + 2 * i] = key;
      out.inputs[row + 2 * i + 1] = values[i]!;
    });
    out.inputs[row + 2 * pairs] = MQAR_SEPARATOR;
    let order: number[] = [];
    for (let t = queryStart; t < time; t++) {
      if (order.length === 0) order = distinct(rng, pairs, pairs);
      const asked = order.pop()!;
      out.inputs[row + t] = keys[asked]!;
      out.targets[row + t] = values[asked]!;
      out.scored[row + t] = 1;
    }
  }
  return out;
}
