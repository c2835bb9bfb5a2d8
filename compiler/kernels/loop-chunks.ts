import type { KernelTarget } from './kernel.js';

/** One dispatch's share of a long loop: iterations [begin, end). */
export interface LoopChunk {
  begin: number;
  end: number;
  first: boolean;
  last: boolean;
  index: number;
}

/**
 * Splits a loop of `total` iterations into consecutive dispatches that each stay under the device's
 * silent loop cap (DESIGN.md §7), counting the loop's final exit test. Results accumulate through
 * the output from one dispatch to the next (dispatches of one pass see each other's writes), so the
 * split costs no scratch memory.
 */
export function loopChunks(total: number, target: KernelTarget, what: string): LoopChunk[] {
  const perChunk = target.maxLoopIterationsPerInvocation - 1;
  if (perChunk < 1) throw new Error(`${what}: loop cap ${target.maxLoopIterationsPerInvocation} is too small`);
  const count = Math.max(1, Math.ceil(total / perChunk));
  return Array.from({ length: count }, (_, index) => ({
    begin: index * perChunk,
    end: Math.min(total, (index + 1) * perChunk),
    first: index === 0,
    last: index === count - 1,
    index,
  }));
}

/** `=` for the first write of an output that does not accumulate, `+=` otherwise. */
export function assignOp(accumulate: boolean): string {
  return accumulate ? '+=' : '=';
}
