import type { IrOpOf, OpKind } from '../ir/types.js';
import { adamwKernel } from '../kernels/adamw.js';
import { gradNormKernels } from '../kernels/grad-norm.js';
import type { ModelSpec, TrainSpec } from '../spec.js';
import { BackwardBuilder } from './backward-builder.js';
import { mlstmCellBackward, slstmCellBackward } from './backward-cells.js';
import { activationBackward, convBackward, headwiseBackward } from './backward-conv-headwise.js';
import { gatingBackward } from './backward-gating.js';
import { crossEntropyBackward, embeddingBackward, GRAD_SCALE_INPUT, linearBackward, mlstmGatesBackward } from './backward-linear.js';
import { normBackward, residualAddBackward } from './backward-norms.js';
import { allocateBuffers } from './buffer-allocation.js';
import { buildForward, checkBindings } from './forward-plan.js';
import { gradientBufferName, parameterLayout, type ParameterLayout } from './parameter-slots.js';
import type { PlanBuilder } from './plan-builder.js';
import type { OptimizerSettings, StoredActivation, TrainPlan, TrainPlanOptions } from './train-plan-types.js';

type Handler<K extends OpKind> = (b: BackwardBuilder, op: IrOpOf<K>, o: TrainPlanOptions) => void;

const nothing = (): void => undefined;

/**
 * The backward of each IR op, visited in reverse op order. A handler may absorb earlier ops its
 * kernels differentiate too (the mLSTM output's norm, skip and SiLU; the conv under its SiLU).
 * Splits and concats need nothing: their gradients are views of one buffer.
 */
const BACKWARD: { [K in OpKind]: Handler<K> } = {
  cross_entropy: (b, op, o) => crossEntropyBackward(b, op, (o.microBatches ?? 1) > 1),
  lm_head: linearBackward,
  linear: linearBackward,
  embedding: embeddingBackward,
  layer_norm: normBackward,
  multihead_layer_norm: normBackward,
  add: residualAddBackward,
  mul: gatingBackward,
  activation: activationBackward,
  causal_conv1d: (b, op) => convBackward(b, op),
  headwise_linear: headwiseBackward,
  mlstm_gates: mlstmGatesBackward,
  mlstm_cell: mlstmCellBackward,
  slstm_cell: slstmCellBackward,
  split: nothing,
  concat: nothing,
  // the identity, as in the forward plan (the builder aliases its result to its input)
  dropout: nothing,
};

/**
 * The training step of a model for a batch shape: the forward plan's kernels, the backward of every
 * op in reverse, the gradient norm and AdamW. Buffers are allocated over the whole step, so a forward
 * value is kept exactly until its last backward reader and everything else is shared; the outputs of
 * cheap elementwise groups are recomputed instead of kept (backward-builder.ts). Every parameter
 * gradient accumulates into the flat `grads` buffer, which AdamW clears after use, so micro-batches
 * add up with no extra kernel. A pure function of the spec and the device's kernel target.
 */
export function planTrain(spec: ModelSpec, options: TrainPlanOptions): TrainPlan {
  const microBatches = options.microBatches ?? 1;
  if (!Number.isSafeInteger(microBatches) || microBatches < 1) throw new Error(`plan: micro-batches must be a positive integer, got ${microBatches}`);
  const p = buildForward(spec, { batch: options.batch, seqLen: options.seqLen, target: options.target, mode: 'parallel' });
  // logits are only an intermediate of training: share their buffer once the loss has read them
  p.buffers.get('logits')!.kind = 'activation';
  const b = new BackwardBuilder(p);
  for (let index = p.ir.ops.length - 1; index >= 0; index--) {
    if (b.isAbsorbed(index)) continue;
    const op = p.ir.ops[index]!;
    (BACKWARD[op.op] as Handler<typeof op.op>)(b, op, options);
  }
  const backwardEnd = p.steps.length;
  const parameters = parameterLayout(spec);
  const missing = parameters.slots.filter((s) => !p.buffers.has(gradientBufferName(s.name)));
  if (missing.length > 0) throw new Error(`plan: no gradient reaches ${missing.map((s) => s.name).join(', ')}`);
  const flat = planOptimizer(b, parameters, options);
  const stored = storedActivations(p, b.forwardSteps);

  const { buffers, steps } = allocateBuffers(p.buffers, p.steps);
  const plan: TrainPlan = {
    model: spec.name,
    batch: options.batch,
    seqLen: options.seqLen,
    microBatches,
    optimizer: options.optimizer,
    buffers,
    steps,
    phases: { forward: b.forwardSteps, backward: backwardEnd - b.forwardSteps, optimizer: steps.length - backwardEnd },
    parameters,
    flat,
    inputs: { tokens: 'tokens', targets: 'targets', ...(microBatches > 1 ? { gradScale: GRAD_SCALE_INPUT } : {}) },
    outputs: { loss: 'loss', gradNorm: flat.gradNorm },
    stored,
    recomputed: [...kernelRecomputations(spec), ...b.recomputedNotes],
    peakActivationBytes: buffers.filter((x) => x.kind === 'activation' || x.kind === 'scratch').reduce((n, x) => n + 4 * x.elements, 0),
  };
  checkBindings(plan);
  return plan;
}

/** AdamW's constants from a model's train settings (or a step's, which name them alike). */
export function optimizerSettings(t: Readonly<Pick<TrainSpec, 'eps' | 'weightDecay' | 'clip'>> & { betas: readonly [number, number] }): OptimizerSettings {
  return { beta1: t.betas[0], beta2: t.betas[1], eps: t.eps, weightDecay: t.weightDecay, clip: t.clip };
}

/** The global gradient norm (clip factor, non-finite flag), then AdamW over the flat buffers, clearing the gradients. */
function planOptimizer(b: BackwardBuilder, layout: ParameterLayout, o: TrainPlanOptions): TrainPlan['flat'] {
  const { p } = b;
  const n = layout.elements;
  const { beta1, beta2, eps, weightDecay, clip } = o.optimizer;
  const flat: TrainPlan['flat'] = {
    params: p.declare('params', n, 'f32', 'param'),
    grads: p.declare('grads', n, 'f32', 'gradient'),
    expAvg: p.declare('adam.exp_avg', n, 'f32', 'optimizer'),
    expAvgSq: p.declare('adam.exp_avg_sq', n, 'f32', 'optimizer'),
    ...(weightDecay > 0 ? { decayMask: p.declare('adam.decay_mask', Math.ceil(n / 32), 'u32', 'optimizer') } : {}),
    gradNorm: p.declare('gradNorm', 3, 'f32', 'optimizer'),
  };
  const norm = gradNormKernels({ elements: n, ...(clip !== null ? { maxNorm: clip } : {}), name: 'grad_norm' }, b.target);
  b.emit(norm, { grads: flat.grads, gradNorm: flat.gradNorm }, `global gradient norm${clip !== null ? `, clip factor for max norm ${clip}` : ''}, non-finite flag`);
  const adamw = adamwKernel({ elements: n, beta1, beta2, eps, weightDecay, clip: true, zeroGrads: true, name: 'adamw' }, b.target);
  const tensors: Record<string, string> = { params: flat.params, grads: flat.grads, m: flat.expAvg, v: flat.expAvgSq, gradNorm: flat.gradNorm };
  if (flat.decayMask !== undefined) tensors['decayMask'] = flat.decayMask;
  b.emit([adamw], tensors, 'AdamW over every parameter (official decay group), skipped on a non-finite gradient; gradients cleared', {
    runUniforms: adamw.uniforms!.map((u) => u.name),
  });
  return flat;
}

/** Forward buffers (activations, scratch) that backward kernels read: what the step keeps between the passes. */
function storedActivations(p: PlanBuilder, forwardSteps: number): StoredActivation[] {
  const readers = new Map<string, Set<string>>();
  const written = new Set(p.steps.slice(0, forwardSteps).flatMap((s) => Object.values(s.tensors)));
  p.steps.slice(forwardSteps).forEach((s) => {
    for (const [binding, buffer] of Object.entries(s.tensors)) {
      const kind = p.buffers.get(buffer)?.kind;
      if (!written.has(buffer) || (kind !== 'activation' && kind !== 'scratch')) continue;
      if (s.kernel.bindings.find((x) => x.name === binding)?.access !== 'read') continue;
      readers.set(buffer, (readers.get(buffer) ?? new Set()).add(s.kernel.name));
    }
  });
  return [...readers].map(([buffer, by]) => ({ buffer, elements: p.buffers.get(buffer)!.elements, readBy: [...by] }));
}

/** What the backward kernels recompute by design instead of reading from the forward. */
function kernelRecomputations(spec: ModelSpec): string[] {
  const out = [
    'LayerNorm / MultiHeadLayerNorm statistics: every norm backward recomputes mean and 1/σ from its input',
    'causal conv pre-activations: the conv backward rebuilds them from its input for SiLU′',
  ];
  if (spec.blocks.some((x) => x.kind === 'mlstm')) {
    out.push('mLSTM decay tiles, row maxima and normalisers: the parallel backward rebuilds them on the fly (nothing T×T is stored)');
  }
  if (spec.blocks.some((x) => x.kind === 'slstm')) out.push('sLSTM tape (raw gates, c, n, m per step): replayed from the cell output y');
  return out;
}
