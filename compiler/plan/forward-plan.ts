import { lowerModel } from '../ir/lower.js';
import type { IrOp, IrOpOf, OpKind } from '../ir/types.js';
import type { ModelSpec } from '../spec.js';
import { allocateBuffers } from './buffer-allocation.js';
import { PlanBuilder } from './plan-builder.js';
import { planActivation, planBinary, planEmbedding, planSplit } from './plan-elementwise.js';
import { planLinear, planMlstmGates } from './plan-linear.js';
import { planCausalConv, planMlstmCell, planQkvConcat } from './plan-mlstm.js';
import { planLayerNorm, planMultiHeadLayerNorm } from './plan-norms.js';
import { planCrossEntropy, planSampling } from './plan-outputs.js';
import { planHeadwise, planSlstmCell } from './plan-slstm.js';
import type { ForwardPlan, PlanOptions } from './plan-types.js';

type Handler<K extends OpKind> = (p: PlanBuilder, op: IrOpOf<K>) => void;

/**
 * What each IR op becomes, in op order. A handler may absorb later ops into its kernel (they are
 * then skipped); ops it leaves are planned when their turn comes.
 */
const HANDLERS: { [K in OpKind]: Handler<K> } = {
  embedding: planEmbedding,
  layer_norm: planLayerNorm,
  linear: planLinear,
  lm_head: planLinear,
  split: planSplit,
  causal_conv1d: planCausalConv,
  activation: planActivation,
  headwise_linear: planHeadwise,
  concat: planQkvConcat,
  mlstm_gates: planMlstmGates,
  mlstm_cell: planMlstmCell,
  multihead_layer_norm: planMultiHeadLayerNorm,
  add: planBinary,
  mul: planBinary,
  slstm_cell: planSlstmCell,
  // identity at inference; the builder aliases its result to its input
  dropout: () => undefined,
  cross_entropy: planCrossEntropy,
};

/** Where `fuse: false` still runs several IR ops in one kernel, because no single-op kernel exists. */
const UNFUSED_NOTES = [
  'q/k/v headwise projections and their concat: one kernel (it writes the concatenated layout)',
  'sLSTM gate projections (four headwise ops): one kernel',
  'linear bias: in the matmul epilogue (part of the IR linear op)',
];

/**
 * The kernel plan of the model's forward pass for a batch and sequence length: the IR of the
 * official forward (`lowerModel`), its ops fused into kernels (LayerNorm into the next linear's
 * prologue, bias and residual into linear epilogues, conv + SiLU, q/k/v projections into their
 * concat, the mLSTM output norm + skip + gate, the sLSTM group norm + residual, the gated FFN
 * activation), then activations and scratch packed into shared buffers. A pure function: it needs
 * only the device's kernel target, no device.
 */
export function planForward(spec: ModelSpec, options: PlanOptions): ForwardPlan {
  const p = buildForward(spec, options);
  const { buffers, steps } = allocateBuffers(p.buffers, p.steps);
  const loss = p.options.loss;
  const sample = p.options.sample;
  const plan: ForwardPlan = {
    model: spec.name,
    batch: options.batch,
    seqLen: options.seqLen,
    mode: options.mode,
    fused: p.options.fuse,
    stateOut: p.options.stateOut,
    buffers,
    steps,
    inputs: { tokens: 'tokens', ...(loss ? { targets: 'targets' } : {}), ...(sample ? { draws: 'draws' } : {}) },
    outputs: { logits: 'logits', ...(loss ? { loss: 'loss' } : {}), ...(sample ? { token: 'token' } : {}) },
    notes: p.options.fuse ? [] : UNFUSED_NOTES,
  };
  checkBindings(plan);
  return plan;
}

/**
 * The forward's kernels before buffer allocation: the builder holds the logical buffers (one per
 * value), the steps bound to them and where each IR value lives, so a training plan can append the
 * backward and allocate buffers over both (compiler/plan/backward-plan.ts).
 */
export function buildForward(spec: ModelSpec, options: PlanOptions): PlanBuilder {
  const fuse = options.fuse ?? true;
  const stateOut = options.mode === 'recurrent' || options.stateOut === true;
  const loss = options.loss === true;
  const sample = options.sample === true;
  if (sample && options.seqLen !== 1) throw new Error(`plan: sampling needs sequence length 1, got ${options.seqLen}`);
  const ir = lowerModel(spec, {
    batch: options.batch,
    seqLen: options.seqLen,
    mlstmForm: options.mode === 'recurrent' ? 'recurrent' : 'parallel',
  });
  const p = new PlanBuilder(ir, spec, { target: options.target, mode: options.mode, fuse, stateOut, loss, sample });
  ir.ops.forEach((op: IrOp, index) => {
    if (p.isDone(index)) return;
    (HANDLERS[op.op] as Handler<typeof op.op>)(p, op);
    p.finish(index);
  });
  if (sample) planSampling(p);
  return p;
}

/** Every binding is backed by a buffer of its type holding at least what the kernel addresses. */
export function checkBindings(plan: Pick<ForwardPlan, 'buffers' | 'steps'>): void {
  const buffers = new Map(plan.buffers.map((b) => [b.name, b]));
  for (const step of plan.steps) {
    for (const b of step.kernel.bindings) {
      const buffer = buffers.get(step.tensors[b.name] ?? '');
      if (buffer === undefined) throw new Error(`plan: ${step.kernel.name} binding '${b.name}' has no buffer`);
      if (buffer.type !== b.type || buffer.elements < b.elements) {
        throw new Error(`plan: ${step.kernel.name} binding '${b.name}' needs ${b.elements} ${b.type}, buffer ${buffer.name} has ${buffer.elements} ${buffer.type}`);
      }
    }
  }
}
