import { writeFileAtomic } from '../runtime/io/atomic-write-node.js';
import type { BenchReport } from './results.js';

/**
 * Writes the results keyed by model (each names its adapter and backend) atomically: temp file,
 * fsync, rename, so a reader sees the old file or the whole new one.
 */
export async function writeReportJson(path: string, report: BenchReport): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(report.results, null, 2)}\n`);
}
