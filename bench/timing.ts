/**
 * How the bench times things: warm-up iterations first (pipeline creation, plan building and first
 * allocations happen there, not in the figures), then the median of N timed iterations, each timed
 * around the whole step including the readback it ends with.
 */

/** Warm-up and timed iteration counts. */
export interface IterationCounts {
  warmup: number;
  timed: number;
}

export interface Timing {
  /** Median wall time of one timed iteration, milliseconds. */
  medianMs: number;
  /** Every timed iteration, in order. */
  samplesMs: number[];
  warmup: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `iteration` `warmup` times untimed, then `timed` times timed. */
export async function timeIterations(iteration: () => Promise<unknown>, counts: IterationCounts): Promise<Timing> {
  const [timing] = await timeInterleaved([iteration], counts);
  return timing!;
}

/**
 * Times several variants of one step against each other: each warmed up, then their timed
 * iterations taken in turn (A B A B …), so a change in machine load during the run affects all of
 * them alike and their ratio stays fair.
 */
export async function timeInterleaved(variants: readonly (() => Promise<unknown>)[], counts: IterationCounts): Promise<Timing[]> {
  if (!Number.isSafeInteger(counts.timed) || counts.timed < 1) throw new Error(`timed iterations must be ≥ 1, got ${counts.timed}`);
  for (const variant of variants) for (let i = 0; i < counts.warmup; i++) await variant();
  const samples = variants.map((): number[] => []);
  for (let i = 0; i < counts.timed; i++) {
    for (const [v, variant] of variants.entries()) {
      const start = performance.now();
      await variant();
      samples[v]!.push(performance.now() - start);
    }
  }
  return samples.map((samplesMs) => ({ medianMs: median(samplesMs), samplesMs, warmup: counts.warmup }));
}

/** Items per second when one iteration of `perIteration` items takes `ms`. */
export function perSecond(perIteration: number, ms: number): number {
  return (perIteration * 1000) / ms;
}

/** How much each counter grew while `work` ran, per timed iteration. */
export async function countersPer<K extends string>(
  counters: () => Readonly<Record<K, number>>,
  iterations: number,
  work: () => Promise<void>,
): Promise<Record<K, number>> {
  const before = { ...counters() };
  await work();
  const after = counters();
  return Object.fromEntries(Object.keys(before).map((k) => [k, (after[k as K] - before[k as K]) / iterations])) as Record<K, number>;
}
