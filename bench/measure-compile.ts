import { DEFAULT_RUNTIME_IMPORT, emitModel } from '../compiler/emit/index.js';
import { loadBenchModel } from './models.js';
import { timeIterations, type IterationCounts } from './timing.js';

export interface CompileFigures {
  /** The first compile in this process (loads ts-morph, as every `xlstm compile` process does). */
  coldMs: number;
  /** Median of the following ones. */
  warmMs: number | undefined;
  files: number;
}

/**
 * What `xlstm compile FILE` does before writing: check the file, plan the kernels and emit the
 * TypeScript module and its WGSL files (in memory), at the model's declared shapes.
 */
async function compileInMemory(file: string): Promise<number> {
  const { spec, sources } = loadBenchModel(file);
  const shapes = { batch: spec.train.batch, seqLen: spec.train.seqLen };
  const { files } = await emitModel(spec, { kind: 'module', shapes, shapesChosen: false, platform: 'node', runtimeImport: DEFAULT_RUNTIME_IMPORT.node, sources });
  return files.length;
}

/** One cold compile, then `counts.timed` warm ones (none when `counts.timed` is 0). */
export async function measureCompile(file: string, counts: IterationCounts): Promise<CompileFigures> {
  const start = performance.now();
  const files = await compileInMemory(file);
  const coldMs = performance.now() - start;
  const warm = counts.timed > 0 ? await timeIterations(() => compileInMemory(file), { warmup: 0, timed: counts.timed }) : undefined;
  return { coldMs, warmMs: warm?.medianMs, files };
}
