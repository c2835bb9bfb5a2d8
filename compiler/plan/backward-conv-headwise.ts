import type { IrOpOf } from '../ir/types.js';
import { causalConv1dSiluBackwardKernels } from '../kernels/causal-conv1d-silu-backward.js';
import { headwiseBackwardKernels } from '../kernels/headwise-backward.js';
import type { BackwardBuilder } from './backward-builder.js';
import { rowViewOf } from './gradient-views.js';
import { joinSources } from './plan-builder.js';

/** SiLU of a causal conv (fused in the forward): the conv's backward with the SiLU derivative. */
export function activationBackward(b: BackwardBuilder, op: IrOpOf<'activation'>): void {
  const conv = b.producerOf(b.p.value(op, 0), 'causal_conv1d');
  if (op.attrs.kind !== 'silu' || conv === undefined || b.p.consumers(conv.op.outputs[0]!).length !== 1) {
    throw new Error(`plan: ${op.source}: only the SiLU of a causal conv has a backward`);
  }
  convBackward(b, conv.op, op);
  b.absorb(conv.index);
}

/** A causal depthwise conv (with the SiLU reading it): dx (a view where x is one), dW, db. */
export function convBackward(b: BackwardBuilder, conv: IrOpOf<'causal_conv1d'>, silu?: IrOpOf<'activation'>): void {
  const { p } = b;
  const x = p.value(conv, 0);
  const out = (silu ?? conv).outputs[0]!;
  b.grads.read(out, conv.source);
  const xAt = b.forwardView(x);
  const dx = b.grads.view(x);
  const weight = p.param(conv, 1);
  const bias = p.param(conv, 2);
  const kernels = causalConv1dSiluBackwardKernels(
    {
      batch: p.batch,
      time: p.time,
      channels: conv.attrs.channels,
      kernelSize: conv.attrs.kernelSize,
      silu: silu !== undefined,
      x: rowViewOf(xAt),
      dx: rowViewOf(dx),
      accumulate: { dx: b.grads.accumulates(x), params: true },
      name: `${p.kernelName(conv)}_backward`,
    },
    b.target,
  );
  const tensors: Record<string, string> = { x: xAt.buffer, weight, dy: b.grads.contiguous(out, conv.source), dx: dx.buffer, dw: b.paramGrad(weight), db: b.paramGrad(bias) };
  if (silu !== undefined) tensors['bias'] = bias;
  b.emit(kernels, tensors, `∂ ${joinSources(conv.source, ...(silu ? [silu.source] : []))}`);
  b.grads.written(x);
}

/** A block-diagonal projection (mLSTM q/k/v, sLSTM gates), reading and writing gradients in place. */
export function headwiseBackward(b: BackwardBuilder, op: IrOpOf<'headwise_linear'>): void {
  const { p } = b;
  const x = p.value(op, 0);
  const out = op.outputs[0]!;
  const dy = b.grads.read(out, op.source);
  const xAt = b.forwardView(x);
  const dx = b.grads.view(x);
  const weight = p.param(op, 1);
  const kernels = headwiseBackwardKernels(
    {
      rows: b.rows,
      blocks: op.attrs.numBlocks,
      blockSize: op.attrs.blockSize,
      bias: op.attrs.bias,
      dy: rowViewOf(dy),
      x: rowViewOf(xAt),
      dx: rowViewOf(dx),
      accumulate: { dx: b.grads.accumulates(x), params: true },
      name: `${p.kernelName(op)}_backward`,
    },
    b.target,
  );
  const tensors: Record<string, string> = { dy: dy.buffer, x: xAt.buffer, w: weight, dx: dx.buffer, dw: b.paramGrad(weight) };
  if (op.attrs.bias) tensors['db'] = b.paramGrad(p.param(op, 2));
  b.emit(kernels, tensors, `∂ ${op.source}`);
  b.grads.written(x);
}
