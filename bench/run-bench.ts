import { parameterCount } from '../compiler/params.js';
import type { ModelSpec } from '../compiler/spec.js';
import { describeAdapter, type XlstmDevice } from '../runtime/device.js';
import { acquireNodeDevice } from '../runtime/device-node.js';
import { initializeParameters } from '../runtime/init.js';
import { measureKernelShares } from './kernel-shares.js';
import { measureCompile } from './measure-compile.js';
import { measureForward } from './measure-forward.js';
import { measureGenerate } from './measure-generate.js';
import { measureReferenceForward } from './measure-reference.js';
import { measureTrain, type TrainFigures } from './measure-train.js';
import { loadBenchModel, type BenchModel } from './models.js';
import { OFFICIAL_FIGURES, OFFICIAL_PYTORCH_CPU, OFFICIAL_SOURCE, versusOfficial } from './official.js';
import { wants, type BenchOptions } from './options.js';
import type { BenchReport, DeviceSummary, ModelResult } from './results.js';
import type { IterationCounts } from './timing.js';

/** Warm-up and timed iterations of each measurement (generation: tokens; kernels: repeats per dispatch). */
export interface BenchIterations {
  forward: IterationCounts;
  /** For models marked `large`. */
  forwardLarge: IterationCounts;
  generate: IterationCounts;
  train: IterationCounts;
  kernels: number;
  reference: IterationCounts;
  /** After one cold compile. */
  compileWarm: number;
}

/** Sized so a full run stays within ~5 minutes on the 2-core dev machine (llvmpipe). */
export const FULL_ITERATIONS: BenchIterations = {
  forward: { warmup: 2, timed: 7 },
  forwardLarge: { warmup: 1, timed: 3 },
  generate: { warmup: 16, timed: 64 },
  train: { warmup: 2, timed: 5 },
  kernels: 5,
  reference: { warmup: 0, timed: 1 },
  compileWarm: 2,
};

export const QUICK_ITERATIONS: BenchIterations = {
  forward: { warmup: 1, timed: 2 },
  forwardLarge: { warmup: 1, timed: 1 },
  generate: { warmup: 2, timed: 8 },
  train: { warmup: 1, timed: 2 },
  kernels: 1,
  reference: { warmup: 0, timed: 1 },
  compileWarm: 0,
};

export interface RunBenchOptions extends Pick<BenchOptions, 'only' | 'device' | 'quick'> {
  models: readonly BenchModel[];
  iterations: BenchIterations;
  /** Progress lines (what is being measured now). */
  log: (line: string) => void;
}

function modelHeader(model: BenchModel, spec: ModelSpec, device: DeviceSummary): ModelResult {
  const shape = model.forward ?? model.train;
  return {
    model: spec.name,
    file: model.file,
    params: parameterCount(spec),
    vocab: spec.vocabSize,
    embed: spec.embeddingDim,
    blocks: spec.numBlocks,
    slstm_at: [...spec.slstmAt],
    context: spec.contextLength,
    ...(shape !== undefined ? { batch: shape.batch, seq_len: shape.seqLen } : {}),
    adapter: device.adapter,
    backend: device.backend,
  };
}

/** Forward (fused and unfused), the reference ratio point and kernel shares, as `model` asks and `--only` allows. */
async function forwardFigures(o: RunBenchOptions, dev: XlstmDevice, model: BenchModel, spec: ModelSpec, weights: Map<string, Float32Array>, r: ModelResult): Promise<void> {
  const shape = model.forward;
  if (shape === undefined) return;
  const it = o.iterations;
  if (wants(o, 'forward')) {
    o.log(`${model.key}: forward ${shape.batch}×${shape.seqLen}, fused and unfused`);
    const { fused, unfused } = await measureForward(dev, spec, weights, shape, model.large ? it.forwardLarge : it.forward);
    Object.assign(r, {
      forward_batch: shape.batch,
      forward_seq_len: shape.seqLen,
      forward_tokens_per_s: fused.tokensPerS,
      forward_ms: fused.medianMs,
      forward_iterations: fused.iterations,
      forward_dispatches: fused.dispatches,
      forward_submits: fused.submits,
      forward_device_bytes: fused.deviceBytes,
      forward_unfused_tokens_per_s: unfused.tokensPerS,
      forward_unfused_dispatches: unfused.dispatches,
      fused_over_unfused: fused.tokensPerS / unfused.tokensPerS,
    } satisfies Partial<ModelResult>);
    if (model.reference) {
      o.log(`${model.key}: float64 reference forward ${shape.batch}×${shape.seqLen}`);
      const reference = await measureReferenceForward(spec, shape, it.reference);
      r.reference_f64_forward_tokens_per_s = reference;
      r.forward_over_reference = fused.tokensPerS / reference;
    }
  }
  if (model.kernels && wants(o, 'kernels')) {
    o.log(`${model.key}: kernel time shares ${shape.batch}×${shape.seqLen}`);
    r.kernel_shares = await measureKernelShares(dev, spec, weights, shape, it.kernels);
  }
}

async function generateFigures(o: RunBenchOptions, dev: XlstmDevice, model: BenchModel, spec: ModelSpec, weights: Map<string, Float32Array>, r: ModelResult): Promise<void> {
  if (!model.generate || !wants(o, 'generate')) return;
  o.log(`${model.key}: generation, batch 1`);
  const g = await measureGenerate(dev, spec, weights, o.iterations.generate);
  Object.assign(r, {
    generate_tokens_per_s: g.tokensPerS,
    generate_ms_per_token: g.msPerToken,
    generate_tokens_timed: g.tokensTimed,
    generate_dispatches_per_token: g.dispatchesPerToken,
    generate_submits_per_token: g.submitsPerToken,
    generate_device_bytes: g.deviceBytes,
  } satisfies Partial<ModelResult>);
}

async function trainFigures(o: RunBenchOptions, dev: XlstmDevice, model: BenchModel, spec: ModelSpec, weights: Map<string, Float32Array>, r: ModelResult): Promise<void> {
  const shape = model.train;
  if (shape === undefined || !wants(o, 'train')) return;
  o.log(`${model.key}: training ${shape.batch}×${shape.seqLen}, AdamW`);
  r.train_batch = shape.batch;
  r.train_seq_len = shape.seqLen;
  let t: TrainFigures;
  try {
    t = await measureTrain(dev, spec, weights, shape, o.iterations.train);
  } catch (e) {
    // the GPU training step is new: a failure there should not cost the other figures
    r.train_tokens_per_s = null;
    r.train_status = `failed: ${e instanceof Error ? e.message : String(e)}`;
    o.log(`${model.key}: training ${r.train_status}`);
    return;
  }
  Object.assign(r, {
    train_tokens_per_s: t.tokensPerS,
    train_status: 'measured (WebGPU training backend)',
    train_ms_per_step: t.msPerStep,
    train_iterations: t.iterations,
    train_dispatches_per_step: t.dispatchesPerStep,
    train_submits_per_step: t.submitsPerStep,
    train_device_bytes: t.deviceBytes,
  } satisfies Partial<ModelResult>);
}

function officialComparison(r: ModelResult): NonNullable<ModelResult['vs_official']> {
  const ours = { train: r.train_tokens_per_s ?? undefined, forward: r.forward_tokens_per_s, generate: r.generate_tokens_per_s };
  const ratio = Object.fromEntries(OFFICIAL_FIGURES.map((f) => [f, ours[f] === undefined ? null : versusOfficial(ours[f]!, OFFICIAL_PYTORCH_CPU[f])]));
  return { source: OFFICIAL_SOURCE, official: { ...OFFICIAL_PYTORCH_CPU }, ratio: ratio as NonNullable<ModelResult['vs_official']>['ratio'] };
}

/** Whether anything the options ask of `m` runs on the device. */
function needsDevice(o: RunBenchOptions, m: BenchModel): boolean {
  const forward = m.forward !== undefined && (wants(o, 'forward') || (m.kernels === true && wants(o, 'kernels')));
  return forward || (m.generate === true && wants(o, 'generate')) || (m.train !== undefined && wants(o, 'train'));
}

/** Everything the options ask for, model by model, on one device. */
export async function runBench(o: RunBenchOptions): Promise<BenchReport> {
  const dev = o.models.some((m) => needsDevice(o, m)) ? await acquireNodeDevice({ mode: o.device }) : undefined;
  const device: DeviceSummary = dev
    ? { adapter: describeAdapter(dev.adapterInfo), backend: dev.backend, features: [...dev.features] }
    : { adapter: 'none (nothing measured needs a device)', backend: 'none', features: [] };
  if (dev) o.log(`device: ${device.backend}, ${device.adapter}`);
  const results: Record<string, ModelResult> = {};
  try {
    for (const model of o.models) {
      const { spec } = loadBenchModel(model.file);
      const r = modelHeader(model, spec, device);
      if (dev && needsDevice(o, model)) {
        const weights = initializeParameters(spec, 0);
        await forwardFigures(o, dev, model, spec, weights, r);
        await generateFigures(o, dev, model, spec, weights, r);
        await trainFigures(o, dev, model, spec, weights, r);
      }
      if (model.compile && wants(o, 'compile')) {
        o.log(`${model.key}: compile ${model.file}`);
        const c = await measureCompile(model.file, { warmup: 0, timed: o.iterations.compileWarm });
        r.compile_ms = c.coldMs;
        if (c.warmMs !== undefined) r.compile_warm_ms = c.warmMs;
        r.compile_files = c.files;
      }
      if (model.official) r.vs_official = officialComparison(r);
      results[model.key] = r;
    }
  } finally {
    dev?.destroy();
  }
  return { device, results, quick: o.quick };
}
