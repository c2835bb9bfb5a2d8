/**
 * The official PyTorch CPU figures for "bench_small" (DESIGN.md §9): measured by the project with the
 * official code (PyTorch 1.13 on OpenBLAS, float32, 2 threads) on the same kind of 2-core machine,
 * batch 8 × 128 tokens, AdamW; generation step-wise at batch 1. Not measured by this bench.
 */

export interface Range {
  low: number;
  high: number;
}

export const OFFICIAL_FIGURES = ['train', 'forward', 'generate'] as const;
export type OfficialFigure = (typeof OFFICIAL_FIGURES)[number];

/** Tokens per second. */
export const OFFICIAL_PYTORCH_CPU: Readonly<Record<OfficialFigure, Range>> = {
  train: { low: 1650, high: 1750 },
  forward: { low: 6100, high: 7100 },
  generate: { low: 350, high: 530 },
};

export const OFFICIAL_SOURCE =
  'official PyTorch 1.13 code (OpenBLAS, float32, 2 threads), measured by the project on the same kind of 2-core machine (DESIGN.md §9), not in this run';

/** ours / official over the official range: low = ours / official high, high = ours / official low. */
export function versusOfficial(ours: number, official: Range): Range {
  return { low: ours / official.high, high: ours / official.low };
}
