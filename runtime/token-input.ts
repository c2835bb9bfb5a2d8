import { UserError } from './errors.js';
import type { TokenBatch } from './io/token-batch.js';

/**
 * Token ids as a caller writes them: one sequence (`[1, 2, 3]` or an Int32Array: batch 1), several
 * sequences of equal length (`[[1, 2], [3, 4]]`: batch 2), or a row-major batch.
 */
export type TokenInput = readonly number[] | Int32Array | readonly (readonly number[])[] | TokenBatch;

/** The ids as a checked [batch, time] batch: equal lengths, at least one token, ids in [0, vocab). */
export function toTokenBatch(input: TokenInput, vocab: number, what = 'tokens'): TokenBatch {
  const batch = asBatch(input, what);
  if (batch.batch === 0 || batch.time === 0) throw new UserError(`${what}: no tokens given`);
  for (let i = 0; i < batch.ids.length; i++) {
    const id = batch.ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      const at = batch.batch === 1 ? `${i % batch.time}` : `[${Math.floor(i / batch.time)},${i % batch.time}]`;
      throw new UserError(`${what}: token id ${id} at ${at} is not a vocabulary id (vocab ${vocab}: ids 0..${vocab - 1})`);
    }
  }
  return batch;
}

function asBatch(input: TokenInput, what: string): TokenBatch {
  if (input instanceof Int32Array) return { ids: input, batch: 1, time: input.length };
  if (!Array.isArray(input)) {
    const b = input as TokenBatch;
    if (b.ids.length !== b.batch * b.time) throw new UserError(`${what}: ${b.ids.length} ids do not fill [${b.batch}, ${b.time}]`);
    return b;
  }
  if (input.length === 0 || !Array.isArray(input[0])) return { ids: idsOf(input as readonly number[], what), batch: 1, time: input.length };
  const rows = input as readonly (readonly number[])[];
  const time = rows[0]!.length;
  const bad = rows.findIndex((r) => !Array.isArray(r) || r.length !== time);
  if (bad >= 0) throw new UserError(`${what}: sequence ${bad} has ${Array.isArray(rows[bad]) ? rows[bad]!.length : 'no'} tokens, sequence 0 has ${time}; a batch needs equal lengths`);
  return { ids: idsOf(rows.flat(), what), batch: rows.length, time };
}

/**
 * Int32Array would wrap or truncate what is not a 32-bit integer, so such ids are refused here
 * (with a value the range check reports) before conversion.
 */
function idsOf(values: readonly number[], what: string): Int32Array {
  const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1);
  if (bad >= 0) throw new UserError(`${what}: token id ${String(values[bad])} at ${bad} is not a vocabulary id`);
  return Int32Array.from(values);
}
