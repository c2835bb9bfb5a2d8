import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFile } from '../compiler/check/index.js';
import { renderDiagnostic } from '../compiler/diagnostics.js';
import type { ModelSpec } from '../compiler/spec.js';
import { UserError } from '../runtime/errors.js';

/** A batch shape: B sequences of T tokens. */
export interface Shape {
  batch: number;
  seqLen: number;
}

/** One model of the bench and what is measured on it. */
export interface BenchModel {
  /** The key of its results in the JSON output, e.g. `bench_small`. */
  key: string;
  /** The .xlstm file (its only model is used). */
  file: string;
  /** Forward tokens/s (fused, and unfused as a ratio) at this shape. */
  forward?: Shape;
  /** Fewer forward iterations: one takes seconds on a CPU adapter. */
  large?: boolean;
  /** Generation tokens/s at batch 1, one token per step, sampled on the device. */
  generate?: boolean;
  /** Training tokens/s (AdamW) at this shape, where a GPU training backend exists. */
  train?: Shape;
  /** Kernel time shares of the fused forward at `forward`'s shape. */
  kernels?: boolean;
  /** The float64 reference forward at `forward`'s shape, as a ratio point. */
  reference?: boolean;
  /** Compile time (check + kernel plans + module emission, in memory). */
  compile?: boolean;
  /** Compared against the official PyTorch CPU figures (DESIGN.md §9). */
  official?: boolean;
}

/** The repository root: the nearest folder above this file with a package.json (source or dist/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('bench: no package.json above the bench folder');
    dir = up;
  }
  return dir;
}

const BENCH_SHAPE: Shape = { batch: 8, seqLen: 128 };

/** `npm run bench`'s models: DESIGN.md §9's bench_small, a ~10M xLSTM[7:1], and the 125M model's compile time. */
export function defaultBenchModels(root = repoRoot()): BenchModel[] {
  return [
    {
      key: 'bench_small',
      file: join(root, 'examples/bench-small.xlstm'),
      forward: BENCH_SHAPE,
      generate: true,
      train: BENCH_SHAPE,
      kernels: true,
      reference: true,
      official: true,
    },
    { key: 'xlstm_10m', file: join(root, 'bench/models/xlstm-10m.xlstm'), forward: BENCH_SHAPE, large: true },
    { key: 'xlstm_125m', file: join(root, 'examples/xlstm-125m.xlstm'), compile: true },
  ];
}

/** The one model of a .xlstm file, which must check without errors, and the text of the files read. */
export function loadBenchModel(file: string): { spec: ModelSpec; sources: ReadonlyMap<string, string> } {
  const result = checkFile(file);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new UserError(`${file} has errors:\n${errors.map((d) => renderDiagnostic(d, result.sources.get(d.span.file))).join('\n')}`);
  }
  if (result.models.length !== 1) throw new UserError(`${file}: a bench model file declares exactly one model, found ${result.models.length}`);
  return { spec: result.models[0]!, sources: result.sources };
}
