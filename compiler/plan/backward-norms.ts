import type { IrOpOf } from '../ir/types.js';
import { layerNormBackwardKernels } from '../kernels/layer-norm-backward.js';
import type { BackwardBuilder } from './backward-builder.js';

/**
 * A LayerNorm the forward materialised (the sLSTM's pre-norm, read by its conv and z/o gates), or a
 * MultiHeadLayerNorm outside the mLSTM output (the sLSTM group norm): dx added to the input's
 * gradient, dWeight. LayerNorms fused into a linear's prologue are differentiated with that linear.
 */
export function normBackward(b: BackwardBuilder, op: IrOpOf<'layer_norm'> | IrOpOf<'multihead_layer_norm'>): void {
  const { p } = b;
  const out = op.outputs[0]!;
  if (op.op === 'layer_norm' && p.normPrologues.has(p.resolve(out))) return;
  const [groups, groupSize, weighted] =
    op.op === 'layer_norm'
      ? [b.rows, op.attrs.dim, true]
      : [b.rows * op.attrs.numHeads, op.attrs.headDim, op.attrs.scale === 'one_plus_weight'];
  const x = p.value(op, 0);
  b.grads.read(out, op.source);
  const tensors: Record<string, string> = { dy: b.grads.contiguous(out, op.source), x: b.forwardBuffer(x, op.source), dx: b.grads.contiguous(x, op.source) };
  if (weighted) {
    const weight = p.param(op, 1);
    tensors['weight'] = weight;
    tensors['dWeight'] = b.paramGrad(weight);
  }
  const kernels = layerNormBackwardKernels(
    {
      groups,
      groupSize,
      ...(weighted ? { weightLength: (groups * groupSize) / b.rows } : {}),
      eps: op.attrs.eps,
      accumulate: { dx: b.grads.accumulates(x), params: true },
      name: `${p.kernelName(op)}_backward`,
    },
    b.target,
  );
  b.emit(kernels, tensors, `∂ ${op.source}`);
  b.grads.written(x);
}

/**
 * A residual add `x + f(x)`: both operands take the sum's gradient as theirs, in place. The branch's
 * gradient is read only by the op producing it, which the backward reaches before every other reader
 * of x adds its share; checked here, so sharing the buffer is safe.
 */
export function residualAddBackward(b: BackwardBuilder, op: IrOpOf<'add'>): void {
  const { p } = b;
  const out = op.outputs[0]!;
  const [first, second] = op.inputs;
  if (first?.kind !== 'value' || second?.kind !== 'value') throw new Error(`plan: ${op.source}: no backward for adding a parameter`);
  const [a, c] = [p.resolve(first.id), p.resolve(second.id)];
  const index = p.ir.ops.findIndex((o) => o.outputs.includes(out));
  const isBranch = (branch: number, stream: number): boolean => {
    const producer = p.producer(branch);
    if (producer === undefined || p.consumers(branch).length !== 1) return false;
    return p.consumers(stream).every((i) => i === index || i < producer.index);
  };
  if (!isBranch(c, a) && !isBranch(a, c)) throw new Error(`plan: ${op.source}: not a residual add whose gradient can be shared`);
  b.grads.read(out, op.source);
  b.grads.alias(a, out);
  b.grads.alias(c, out);
}
