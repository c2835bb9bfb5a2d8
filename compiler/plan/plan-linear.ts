import type { IrOpOf } from '../ir/types.js';
import { linearKernels } from '../kernels/linear.js';
import { joinSources, type PlanBuilder } from './plan-builder.js';

/**
 * `nn.Linear` and the LM head: one register-blocked matmul with, when fusing, the LayerNorm that
 * feeds it as its prologue (plus the statistics pass) and the residual add that reads it as its
 * epilogue. Bias is part of the IR op, so always in the epilogue.
 */
export function planLinear(p: PlanBuilder, op: IrOpOf<'linear'> | IrOpOf<'lm_head'>): void {
  const [inFeatures, outFeatures, bias] =
    op.op === 'linear' ? [op.attrs.inFeatures, op.attrs.outFeatures, op.attrs.bias] : [op.attrs.dim, op.attrs.vocabSize, false];
  const x = p.value(op, 0);
  const prologue = p.normPrologues.get(x);
  const out = op.outputs[0]!;
  const tensors: Record<string, string> = { w: p.param(op, 1) };
  const sources = [op.source];
  if (prologue !== undefined) {
    tensors['x'] = p.contiguous(prologue.input, prologue.source);
    tensors['lnWeight'] = prologue.weight;
    sources.unshift(prologue.source);
  } else {
    tensors['x'] = p.contiguous(x, op.source);
  }
  if (bias) tensors['bias'] = p.param(op, 2);

  let result = out;
  const add = p.options.fuse ? p.soleConsumer(out) : undefined;
  if (add?.op.op === 'add') {
    const other = p.otherOperand(add.op, out);
    if (other.kind === 'value') {
      tensors['residual'] = p.contiguous(other.id, add.op.source);
      result = add.op.outputs[0]!;
      sources.push(add.op.source);
      p.finish(add.index);
    }
  }
  tensors['y'] = p.define(result);
  const kernels = linearKernels(
    {
      m: p.rows,
      n: outFeatures,
      k: inFeatures,
      bias,
      ...(prologue !== undefined ? { layerNorm: { eps: prologue.eps } } : {}),
      ...(tensors['residual'] !== undefined ? { residual: 'buffer' as const } : {}),
      name: p.kernelName(op),
    },
    p.options.target,
  );
  p.emit(kernels, tensors, joinSources(...sources));
}

/** The mLSTM gate pre-activations: igate and fgate are two linears on concat(q, k, v), with bias. */
export function planMlstmGates(p: PlanBuilder, op: IrOpOf<'mlstm_gates'>): void {
  const qkv = p.contiguous(p.value(op, 0), op.source);
  const { inFeatures, numHeads } = op.attrs;
  const [ig, fg] = op.outputs as [number, number];
  for (const [gate, weightAt, out] of [['igate', 1, ig], ['fgate', 3, fg]] as const) {
    const kernels = linearKernels({ m: p.rows, n: numHeads, k: inFeatures, bias: true, name: `block${op.block}_${gate}` }, p.options.target);
    p.emit(kernels, { x: qkv, w: p.param(op, weightAt), bias: p.param(op, weightAt + 1), y: p.define(out) }, `${op.source} (${gate})`);
  }
}
