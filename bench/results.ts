import type { OfficialFigure, Range } from './official.js';

/** One kernel (all its dispatches in the forward, e.g. `proj_up` of every block) timed in isolation. */
export interface KernelShareRow {
  kernel: string;
  dispatches: number;
  /** Sum over its dispatches of the median isolated time, milliseconds. */
  ms: number;
  /** ms / the sum over all kernels. */
  share: number;
}

export interface KernelShares {
  /** How the kernels were timed. */
  method: string;
  batch: number;
  seq_len: number;
  repeats: number;
  kernels: KernelShareRow[];
  /** The sum of every dispatch's isolated time, milliseconds. */
  isolated_total_ms: number;
  /** One submit with no work plus waiting for it (the overhead inside each isolated time), milliseconds. */
  empty_submit_ms: number;
}

export interface OfficialComparison {
  source: string;
  /** The official tokens/s (not measured in this run). */
  official: Record<OfficialFigure, Range>;
  /** ours / official over the official range; null where ours was not measured. */
  ratio: Record<OfficialFigure, Range | null>;
}

/**
 * The results of one model, as the JSON output keys them (snake_case); only what was measured is
 * present, except `train_tokens_per_s`, which is null with `train_status` saying why when training
 * could not be measured. Per-iteration figures are medians of the timed iterations.
 */
export interface ModelResult {
  model: string;
  file: string;
  params: number;
  vocab: number;
  embed: number;
  blocks: number;
  slstm_at: number[];
  context: number;
  /** The model's bench shape (forward and training), absent for compile-only models. */
  batch?: number;
  seq_len?: number;
  adapter: string;
  backend: string;

  forward_batch?: number;
  forward_seq_len?: number;
  forward_tokens_per_s?: number;
  forward_ms?: number;
  forward_iterations?: number;
  forward_dispatches?: number;
  forward_submits?: number;
  forward_device_bytes?: number;
  forward_unfused_tokens_per_s?: number;
  forward_unfused_dispatches?: number;
  /** Fused forward tokens/s over unfused, same process. */
  fused_over_unfused?: number;

  generate_tokens_per_s?: number;
  generate_ms_per_token?: number;
  generate_tokens_timed?: number;
  generate_dispatches_per_token?: number;
  generate_submits_per_token?: number;
  generate_device_bytes?: number;

  train_batch?: number;
  train_seq_len?: number;
  train_tokens_per_s?: number | null;
  train_status?: string;
  train_ms_per_step?: number;
  train_iterations?: number;
  train_dispatches_per_step?: number;
  train_submits_per_step?: number;
  /** The training backend's arena after the timed steps (parameters, gradients, moments, activations). */
  train_device_bytes?: number;

  reference_f64_forward_tokens_per_s?: number;
  /** GPU forward tokens/s over the float64 reference's. */
  forward_over_reference?: number;

  /** `xlstm compile` in-process without writing (check, kernel plans, module and WGSL text), first run. */
  compile_ms?: number;
  /** The same again (modules loaded, JIT warm), median. */
  compile_warm_ms?: number;
  compile_files?: number;

  kernel_shares?: KernelShares;
  vs_official?: OfficialComparison;
}

/** The adapter the bench ran on. */
export interface DeviceSummary {
  adapter: string;
  backend: string;
  features: string[];
}

export interface BenchReport {
  device: DeviceSummary;
  /** By model key (`bench_small`, …), in bench order. */
  results: Record<string, ModelResult>;
  /** Whether `--quick` (fewer iterations) was given. */
  quick: boolean;
}
