/**
 * The explicit CPU fallback: the float64 reference forward/backward (runtime/reference) and a
 * float64 AdamW with PyTorch's semantics and the official weight-decay grouping. Exact and slow
 * (meant for tiny models, tests, and as the oracle the GPU step is checked against).
 */
import { parameterSpecs } from '../../compiler/params.js';
import type { ModelSpec } from '../../compiler/spec.js';
import { referenceForward, referenceLoss, referenceLossAndGrads } from '../reference/index.js';
import { adamwUpdate, clipFactor, globalGradNorm } from './adamw.js';
import type { FloatArray, NonFinite, OptimizerState, StepHyper, StepResult, TrainBackend, TrainBatch } from './backend.js';

/** The first non-finite element of `values`, if any. */
function firstNonFinite(values: ArrayLike<number>): number | undefined {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return values[i];
  return undefined;
}

/** The first entry of `tensors` (in order) holding a non-finite value. */
function findNonFinite(tensors: Iterable<readonly [string, ArrayLike<number>]>): { tensor: string; value: number } | undefined {
  for (const [tensor, values] of tensors) {
    const value = firstNonFinite(values);
    if (value !== undefined) return { tensor, value };
  }
  return undefined;
}

function addInto(sum: Float64Array, g: Float64Array): void {
  for (let i = 0; i < sum.length; i++) sum[i] += g[i]!;
}

function copyMap(tensors: ReadonlyMap<string, Float64Array>): Map<string, Float64Array> {
  return new Map([...tensors].map(([name, t]) => [name, t.slice()]));
}

export class ReferenceTrainBackend implements TrainBackend {
  readonly name = 'reference';
  readonly dtype = 'F64' as const;
  private weights: Map<string, Float64Array>;
  private expAvg: Map<string, Float64Array>;
  private expAvgSq: Map<string, Float64Array>;
  private readonly decays: ReadonlySet<string>;

  /** `weights`: every trainable tensor under its official name (vanilla layout); they are copied. */
  constructor(
    private readonly spec: ModelSpec,
    weights: ReadonlyMap<string, FloatArray>,
  ) {
    const trainable = parameterSpecs(spec).filter((p) => p.tiedTo === undefined);
    this.weights = new Map(
      trainable.map((p) => {
        const w = weights.get(p.name);
        if (w === undefined) throw new Error(`internal: no initial value for ${p.name}`);
        return [p.name, Float64Array.from(w)];
      }),
    );
    this.decays = new Set(trainable.filter((p) => p.decay).map((p) => p.name));
    this.expAvg = new Map(trainable.map((p) => [p.name, new Float64Array(this.weights.get(p.name)!.length)]));
    this.expAvgSq = copyMap(this.expAvg);
  }

  async step(microBatches: readonly TrainBatch[], hyper: StepHyper): Promise<StepResult> {
    if (microBatches.length === 0) throw new Error('internal: a step needs at least one micro-batch');
    let loss = 0;
    let grads: Map<string, Float64Array> | undefined;
    for (const b of microBatches) {
      const r = referenceLossAndGrads(this.spec, this.weights, b.inputs, b.targets, b.batch, b.time);
      if (!Number.isFinite(r.loss)) return { loss: r.loss, gradNorm: NaN, nonFinite: this.locateForwardFailure(b, r.loss) };
      loss += r.loss;
      if (grads === undefined) grads = r.grads;
      else for (const [name, g] of r.grads) addInto(grads.get(name)!, g);
    }
    const K = microBatches.length;
    if (K > 1) for (const g of grads!.values()) for (let i = 0; i < g.length; i++) g[i]! /= K;
    loss /= K;
    const badGrad = findNonFinite(grads!);
    if (badGrad !== undefined) return { loss, gradNorm: NaN, nonFinite: { stage: 'gradient', ...badGrad } };
    const gradNorm = globalGradNorm(grads!.values());
    if (!Number.isFinite(gradNorm)) return { loss, gradNorm, nonFinite: { stage: 'gradient', tensor: 'gradient norm', value: gradNorm } };
    const scale = hyper.clip === null ? 1 : clipFactor(gradNorm, hyper.clip);
    // Update copies and commit only when every result is finite: a failed step changes nothing.
    const weights = copyMap(this.weights);
    const expAvg = copyMap(this.expAvg);
    const expAvgSq = copyMap(this.expAvgSq);
    for (const [name, p] of weights) {
      adamwUpdate(p, grads!.get(name)!, expAvg.get(name)!, expAvgSq.get(name)!, hyper, this.decays.has(name), scale);
    }
    const badUpdate = findNonFinite(weights);
    if (badUpdate !== undefined) return { loss, gradNorm, nonFinite: { stage: 'update', ...badUpdate } };
    this.weights = weights;
    this.expAvg = expAvg;
    this.expAvgSq = expAvgSq;
    return { loss, gradNorm };
  }

  /** Reruns the forward keeping activations, to name the first one that went non-finite. */
  private locateForwardFailure(b: TrainBatch, loss: number): NonFinite {
    const { logits, activations } = referenceForward(this.spec, this.weights, b.inputs, b.batch, b.time, { collectActivations: true });
    const found = findNonFinite([...(activations ?? []), ['logits', logits]]);
    return found === undefined ? { stage: 'forward', tensor: 'loss', value: loss } : { stage: 'forward', ...found };
  }

  async evalLoss(b: TrainBatch): Promise<number> {
    const { logits } = referenceForward(this.spec, this.weights, b.inputs, b.batch, b.time);
    return referenceLoss(logits, b.targets, b.batch, b.time, this.spec.vocabSize);
  }

  async getWeights(): Promise<Map<string, FloatArray>> {
    return copyMap(this.weights);
  }

  async getOptimizerState(): Promise<OptimizerState> {
    return { expAvg: copyMap(this.expAvg), expAvgSq: copyMap(this.expAvgSq) };
  }

  async setOptimizerState(state: OptimizerState): Promise<void> {
    const load = (moments: Map<string, FloatArray>, what: string) =>
      new Map(
        [...this.weights].map(([name, w]) => {
          const m = moments.get(name);
          if (m === undefined || m.length !== w.length) throw new Error(`internal: ${what} of ${name} is missing or mis-sized`);
          return [name, Float64Array.from(m)];
        }),
      );
    this.expAvg = load(state.expAvg, 'exp_avg');
    this.expAvgSq = load(state.expAvgSq, 'exp_avg_sq');
  }

  async dispose(): Promise<void> {}
}

/** The reference backend as a `TrainBackendFactory`. */
export async function createReferenceTrainBackend(spec: ModelSpec, weights: ReadonlyMap<string, FloatArray>): Promise<TrainBackend> {
  return new ReferenceTrainBackend(spec, weights);
}
