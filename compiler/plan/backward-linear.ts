import type { IrOpOf } from '../ir/types.js';
import { crossEntropyKernels } from '../kernels/cross-entropy.js';
import { elementwiseKernel } from '../kernels/elementwise.js';
import { embeddingBackwardKernels } from '../kernels/embedding-backward.js';
import { linearBackwardKernels } from '../kernels/linear-backward.js';
import { mlstmGatesBackwardKernels } from '../kernels/mlstm-gates-backward.js';
import type { BackwardBuilder } from './backward-builder.js';
import { joinSources } from './plan-builder.js';

/** The input buffer of the per-vocabulary factor 1/K that scales dLogits when K micro-batches make one step. */
export const GRAD_SCALE_INPUT = 'gradScale';

/**
 * The mean cross-entropy and its gradient dLogits in one pass (the loss is the step's output). With
 * `gradScale`, dLogits is then multiplied by the 1/K held in `gradScale`, so that K micro-batches
 * add up to the gradient of their mean loss.
 */
export function crossEntropyBackward(b: BackwardBuilder, op: IrOpOf<'cross_entropy'>, gradScale: boolean): void {
  const { p } = b;
  const rows = op.attrs.count;
  const V = op.attrs.vocabSize;
  const logits = p.value(op, 0);
  const dLogits = b.grads.contiguous(logits, op.source);
  const raw = gradScale ? p.scratch('dLogits (unscaled)', rows * V) : dLogits;
  const tensors = {
    logits: b.forwardBuffer(logits, op.source),
    targets: p.declare('targets', rows, 'i32', 'input'),
    loss: p.declare('loss', 1, 'f32', 'output'),
    dLogits: raw,
  };
  b.emit(crossEntropyKernels({ rows, vocab: V, gradient: true, name: 'cross_entropy' }, b.target), tensors, `${op.source} and ∂loss/∂logits`);
  if (gradScale) {
    const kernel = elementwiseKernel({ rows, cols: V, op: { kind: 'mul' }, b: { broadcast: true }, name: 'grad_scale' }, b.target);
    b.emit([kernel], { a: raw, b: p.declare(GRAD_SCALE_INPUT, V, 'f32', 'input'), y: dLogits }, '∂loss/∂logits ÷ micro-batches');
  }
  b.grads.written(logits);
}

/**
 * `nn.Linear` and the LM head (the forward's matmul with its LayerNorm prologue and residual
 * epilogue): dW, db and, through the prologue's LayerNorm, the gradient of the LayerNorm's input,
 * added to what it holds (the residual stream's gradient).
 */
export function linearBackward(b: BackwardBuilder, op: IrOpOf<'linear'> | IrOpOf<'lm_head'>): void {
  const { p } = b;
  const [inFeatures, outFeatures, bias] =
    op.op === 'linear' ? [op.attrs.inFeatures, op.attrs.outFeatures, op.attrs.bias] : [op.attrs.dim, op.attrs.vocabSize, false];
  const x = p.value(op, 0);
  const prologue = p.normPrologues.get(x);
  const input = prologue?.input ?? x;
  const out = op.outputs[0]!;
  b.grads.read(out, op.source);
  const w = p.param(op, 1);
  const tensors: Record<string, string> = {
    dy: b.grads.contiguous(out, op.source),
    x: b.forwardBuffer(input, op.source),
    w,
    dx: b.grads.contiguous(input, op.source),
    dw: b.paramGrad(w),
  };
  if (bias) tensors['db'] = b.paramGrad(p.param(op, 2));
  if (prologue !== undefined) {
    tensors['lnWeight'] = prologue.weight;
    tensors['dLnWeight'] = b.paramGrad(prologue.weight);
  }
  const kernels = linearBackwardKernels(
    {
      m: b.rows,
      n: outFeatures,
      k: inFeatures,
      bias,
      ...(prologue !== undefined ? { layerNorm: { eps: prologue.eps } } : {}),
      accumulate: { dx: b.grads.accumulates(input), params: true },
      name: `${p.kernelName(op)}_backward`,
    },
    b.target,
  );
  b.emit(kernels, tensors, `∂ ${joinSources(...(prologue ? [prologue.source] : []), op.source)}`);
  b.grads.written(input);
}

/** The mLSTM gate linears: igate's backward, then fgate's, both adding into the gradient of concat(q, k, v). */
export function mlstmGatesBackward(b: BackwardBuilder, op: IrOpOf<'mlstm_gates'>): void {
  const { p } = b;
  const qkv = p.value(op, 0);
  const [ig, fg] = op.outputs as [number, number];
  const kernels = mlstmGatesBackwardKernels(
    {
      batch: p.batch,
      time: p.time,
      heads: op.attrs.numHeads,
      innerDim: op.attrs.inFeatures / 3,
      accumulate: { dqkv: b.grads.accumulates(qkv), params: true },
      name: `block${op.block}_gates_backward`,
    },
    b.target,
  );
  const shared = { x: b.forwardBuffer(qkv, op.source), dx: b.grads.contiguous(qkv, op.source) };
  for (const [gate, weightAt, value] of [['igate', 1, ig], ['fgate', 3, fg]] as const) {
    b.grads.read(value, op.source);
    const w = p.param(op, weightAt);
    const bias = p.param(op, weightAt + 1);
    const tensors = { ...shared, dy: b.grads.contiguous(value, op.source), w, dw: b.paramGrad(w), db: b.paramGrad(bias) };
    b.emit(kernels[gate], tensors, `∂ ${op.source} (${gate})`);
  }
  b.grads.written(qkv);
}

/** The token embedding: dTable += the scatter of the rows' gradients (the LM head's share first when tied). */
export function embeddingBackward(b: BackwardBuilder, op: IrOpOf<'embedding'>): void {
  const { p } = b;
  const out = op.outputs[0]!;
  b.grads.read(out, op.source);
  const table = p.param(op, 1);
  const kernels = embeddingBackwardKernels({ tokens: b.rows, vocab: op.attrs.vocabSize, dim: op.attrs.dim, accumulate: true, name: 'embedding_backward' }, b.target);
  b.emit(kernels, { ids: p.declare('tokens', b.rows, 'u32', 'input'), dy: b.grads.contiguous(out, op.source), dTable: b.paramGrad(table) }, `∂ ${op.source}`);
}
