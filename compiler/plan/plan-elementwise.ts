import { numElements } from '../params.js';
import type { ActivationKind, IrOpOf } from '../ir/types.js';
import { elementwiseKernel, type ElementwiseOp, type ElementwiseOperand } from '../kernels/elementwise.js';
import { embeddingGatherKernel } from '../kernels/embedding-gather.js';
import { gatedFfnActKernel } from '../kernels/gated-ffn-act.js';
import type { Activation } from '../spec.js';
import { joinSources, type PlanBuilder } from './plan-builder.js';

/** IR activation names (mathematical) to the official names the kernels take. */
export const OFFICIAL_ACTIVATION: Record<ActivationKind, Activation> = {
  silu: 'swish',
  gelu: 'gelu',
  relu: 'relu',
  relu2: 'relu^2',
  sigmoid: 'sigmoid',
  selu: 'selu',
};

export function planEmbedding(p: PlanBuilder, op: IrOpOf<'embedding'>): void {
  const tokens = p.declare('tokens', p.rows, 'u32', 'input');
  const kernel = embeddingGatherKernel({ tokens: p.rows, vocab: op.attrs.vocabSize, dim: op.attrs.dim, name: 'embedding' }, p.options.target);
  p.emit([kernel], { ids: tokens, table: p.param(op, 1), out: p.define(op.outputs[0]!) }, op.source);
}

/** A split costs nothing: its results are views of consecutive column ranges of its input. */
export function planSplit(p: PlanBuilder, op: IrOpOf<'split'>): void {
  const input = p.placement(p.value(op, 0));
  let offset = input.offset;
  op.attrs.sizes.forEach((width, i) => {
    p.place(op.outputs[i]!, { ...input, width, offset });
    offset += width;
  });
}

/**
 * An activation. Fused, the FFN's `act(u[:, :F]) ⊙ u[:, F:]` (the activation of the first half of a
 * row, read only by its product with the second half) is the gated-FFN kernel; anything else is an
 * elementwise kernel.
 */
export function planActivation(p: PlanBuilder, op: IrOpOf<'activation'>): void {
  const activation = OFFICIAL_ACTIVATION[op.attrs.kind];
  const out = op.outputs[0]!;
  const input = p.placement(p.value(op, 0));
  const mul = p.options.fuse ? p.soleConsumer(out) : undefined;
  if (mul?.op.op === 'mul') {
    const other = p.otherOperand(mul.op, out);
    const value = other.kind === 'value' ? p.placement(other.id) : undefined;
    const F = input.width;
    const gated =
      value !== undefined && value.buffer === input.buffer && input.offset === 0 && value.offset === F && input.rowStride === 2 * F && value.width === F;
    if (gated) {
      const kernel = gatedFfnActKernel({ rows: input.rows, upDim: F, activation, name: p.kernelName(op, 'gated') }, p.options.target);
      p.emit([kernel], { up: input.buffer, hidden: p.define(mul.op.outputs[0]!) }, joinSources(op.source, mul.op.source));
      p.finish(mul.index);
      return;
    }
  }
  emitElementwise(p, { kind: 'activation', activation }, op);
}

export function planBinary(p: PlanBuilder, op: IrOpOf<'add'> | IrOpOf<'mul'>): void {
  emitElementwise(p, { kind: op.op }, op);
}

/** One elementwise kernel for an op; its operands are views of values or parameters broadcast over the rows. */
function emitElementwise(p: PlanBuilder, kind: ElementwiseOp, op: IrOpOf<'activation'> | IrOpOf<'add'> | IrOpOf<'mul'>): void {
  const out = op.outputs[0]!;
  const shape = p.ir.values[out]!.type.shape;
  const cols = shape[shape.length - 1] ?? 1;
  const rows = numElements(shape) / cols;
  const tensors: Record<string, string> = {};
  const views: ElementwiseOperand[] = op.inputs.map((o, i) => {
    const binding = i === 0 ? 'a' : 'b';
    if (o.kind === 'param') {
      tensors[binding] = p.param(op, i);
      return { broadcast: true };
    }
    const at = p.placement(o.id);
    tensors[binding] = at.buffer;
    return at.rows === 1 && rows > 1 ? { broadcast: true, offset: at.offset } : { rowStride: at.rowStride, offset: at.offset };
  });
  tensors['y'] = p.define(out);
  const kernel = elementwiseKernel({ rows, cols, op: kind, a: views[0]!, ...(views[1] ? { b: views[1] } : {}), name: p.kernelName(op) }, p.options.target);
  p.emit([kernel], tensors, op.source);
}
