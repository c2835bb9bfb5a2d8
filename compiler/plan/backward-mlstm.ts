import type { IrOp, IrOpOf } from '../ir/types.js';
import { causalConv1dSiluBackwardKernels } from '../kernels/causal-conv1d-silu-backward.js';
import { gatedFfnActBackwardKernel } from '../kernels/gated-ffn-act-backward.js';
import { headwiseBackwardKernels } from '../kernels/headwise-backward.js';
import { mlstmOutputBackwardKernels } from '../kernels/mlstm-output-backward.js';
import { mlstmParallelBackwardKernels } from '../kernels/mlstm-parallel-backward.js';
import type { BackwardBuilder } from './backward-builder.js';
import { joinSources, type Placement } from './plan-builder.js';
import { OFFICIAL_ACTIVATION } from './plan-elementwise.js';

type Found<K extends IrOp['op']> = { index: number; op: IrOpOf<K> };

function producerOf<K extends IrOp['op']>(b: BackwardBuilder, id: number, kind: K): Found<K> | undefined {
  const found = b.p.producer(id);
  return found?.op.op === kind ? (found as Found<K>) : undefined;
}

/** Row stride and offset of a placement, as the kernels' view options take them. */
function viewOf(at: Placement): { rowStride: number; offset: number } {
  return { rowStride: at.rowStride, offset: at.offset };
}

/** Never a second contribution where a kernel can only overwrite. */
function firstWrite(b: BackwardBuilder, id: number, what: string): void {
  if (b.grads.accumulates(id)) throw new Error(`plan: ${what}: the gradient of %${id} already holds another contribution`);
}

/**
 * A product, as the forward fused it: the mLSTM output `(outnorm(h) + skip ⊙ c) ⊙ SiLU(z)` (its
 * backward kernels give dh, dc, dz and the norm and skip weights' gradients), or the gated FFN
 * `act(u[:, :F]) ⊙ u[:, F:]` (dUp from dHidden).
 */
export function gatingBackward(b: BackwardBuilder, op: IrOpOf<'mul'>): void {
  if (!mlstmOutputBackward(b, op) && !gatedFfnBackward(b, op)) throw new Error(`plan: ${op.source}: no backward for this product`);
}

function mlstmOutputBackward(b: BackwardBuilder, gating: IrOpOf<'mul'>): boolean {
  const { p } = b;
  const values = gating.inputs.flatMap((o) => (o.kind === 'value' ? [p.resolve(o.id)] : []));
  const sum = values.map((v) => producerOf(b, v, 'add')).find((x) => x !== undefined);
  const silu = values.map((v) => producerOf(b, v, 'activation')).find((x) => x?.op.attrs.kind === 'silu');
  if (values.length !== 2 || sum === undefined || silu === undefined) return false;
  const parts = sum.op.inputs.flatMap((o) => (o.kind === 'value' ? [p.resolve(o.id)] : []));
  const norm = parts.map((v) => producerOf(b, v, 'multihead_layer_norm')).find((x) => x !== undefined);
  const skipMul = parts.map((v) => producerOf(b, v, 'mul')).find((x) => x !== undefined);
  if (norm === undefined || skipMul === undefined || norm.op.attrs.scale !== 'one_plus_weight') return false;
  const [cOperand, skipParam] = skipMul.op.inputs;
  if (cOperand?.kind !== 'value' || skipParam?.kind !== 'param') return false;

  const { numHeads: NH, headDim: DH, eps } = norm.op.attrs;
  const out = gating.outputs[0]!;
  const h = p.value(norm.op, 0);
  const c = p.resolve(cOperand.id);
  const z = p.value(silu.op, 0);
  const zAt = p.placement(z);
  const dz = b.grads.view(z);
  b.grads.read(out, gating.source);
  firstWrite(b, h, gating.source);
  firstWrite(b, z, gating.source);
  const normWeight = p.param(norm.op, 1);
  const skip = p.param(skipMul.op, 1);
  const kernels = mlstmOutputBackwardKernels(
    {
      rows: b.rows,
      heads: NH,
      headDim: DH,
      eps,
      z: viewOf(zAt),
      dz: viewOf(dz),
      accumulate: { dc: b.grads.accumulates(c), params: true },
      name: `block${gating.block}_mlstm_output_backward`,
    },
    b.target,
  );
  const tensors = {
    dy: b.grads.contiguous(out, gating.source),
    h: b.forwardBuffer(h, norm.op.source),
    conv: b.forwardBuffer(c, skipMul.op.source),
    z: zAt.buffer,
    normWeight,
    skip,
    dh: b.grads.contiguous(h, norm.op.source),
    dc: b.grads.contiguous(c, skipMul.op.source),
    dz: dz.buffer,
    dNormWeight: b.paramGrad(normWeight),
    dSkip: b.paramGrad(skip),
  };
  b.emit(kernels, tensors, `∂ ${joinSources(...[norm, skipMul, sum, silu].map((x) => x.op.source), gating.source)}`);
  b.absorb(norm.index, skipMul.index, sum.index, silu.index);
  for (const v of [h, c, z]) b.grads.written(v);
  return true;
}

function gatedFfnBackward(b: BackwardBuilder, gating: IrOpOf<'mul'>): boolean {
  const { p } = b;
  const values = gating.inputs.flatMap((o) => (o.kind === 'value' ? [p.resolve(o.id)] : []));
  const act = values.map((v) => producerOf(b, v, 'activation')).find((x) => x !== undefined);
  if (values.length !== 2 || act === undefined) return false;
  const gate = p.value(act.op, 0);
  const value = values.find((v) => v !== act.op.outputs[0]);
  const split = producerOf(b, gate, 'split');
  if (value === undefined || split === undefined || producerOf(b, value, 'split')?.index !== split.index) return false;
  const up = p.value(split.op, 0);
  const F = p.placement(gate).width;
  const [g, v] = [p.placement(gate), p.placement(value)];
  if (g.offset !== 0 || v.offset !== F || g.rowStride !== 2 * F || v.width !== F) return false;

  const out = gating.outputs[0]!;
  b.grads.read(out, gating.source);
  firstWrite(b, up, gating.source);
  const kernel = gatedFfnActBackwardKernel({ rows: b.rows, upDim: F, activation: OFFICIAL_ACTIVATION[act.op.attrs.kind], name: `${p.kernelName(act.op)}_gated_backward` }, b.target);
  b.emit([kernel], { up: b.forwardBuffer(up, split.op.source), dHidden: b.grads.contiguous(out, gating.source), dUp: b.grads.contiguous(up, split.op.source) }, `∂ ${joinSources(act.op.source, gating.source)}`);
  b.absorb(act.index);
  b.grads.written(up);
  return true;
}

/** SiLU of a causal conv (fused in the forward): the conv's backward with the SiLU derivative. */
export function activationBackward(b: BackwardBuilder, op: IrOpOf<'activation'>): void {
  const conv = producerOf(b, b.p.value(op, 0), 'causal_conv1d');
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
      x: viewOf(xAt),
      dx: viewOf(dx),
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
      dy: viewOf(dy),
      x: viewOf(xAt),
      dx: viewOf(dx),
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

/** The mLSTM cell in the parallel form: dq, dk, dv into the gradient of concat(q, k, v), dĩ and df̃. */
export function mlstmCellBackward(b: BackwardBuilder, op: IrOpOf<'mlstm_cell'>): void {
  const { p } = b;
  const { numHeads: NH, headDim: DH, eps, form } = op.attrs;
  if (form !== 'parallel') throw new Error(`plan: ${op.source}: training needs the parallel mLSTM form, not ${form}`);
  const I = NH * DH;
  const [q, k, v, ig, fg] = [0, 1, 2, 3, 4].map((at) => p.value(op, at)) as [number, number, number, number, number];
  const qkv = [q, k, v].map((id) => b.forwardView(id));
  const concat = qkv.every((x, i) => x.buffer === qkv[0]!.buffer && x.rowStride === 3 * I && x.offset === i * I);
  const dqkv = [q, k, v].map((id) => b.grads.view(id));
  if (!concat || dqkv.some((x) => x.buffer !== dqkv[0]!.buffer)) throw new Error(`plan: ${op.source}: q, k, v are not the concatenated layout the cell's backward reads`);
  const out = op.outputs[0]!;
  b.grads.read(out, op.source);
  for (const id of [q, k, v, ig, fg]) firstWrite(b, id, op.source);
  const tensors = {
    qkv: qkv[0]!.buffer,
    igate: b.forwardBuffer(ig, op.source),
    fgate: b.forwardBuffer(fg, op.source),
    h: b.forwardBuffer(out, op.source),
    dh: b.grads.contiguous(out, op.source),
    dqkv: dqkv[0]!.buffer,
    dIgate: b.grads.contiguous(ig, op.source),
    dFgate: b.grads.contiguous(fg, op.source),
  };
  const kernels = mlstmParallelBackwardKernels({ batch: p.batch, time: p.time, heads: NH, headDim: DH, eps, name: `block${op.block}_mlstm_backward` }, b.target);
  b.emit(kernels, tensors, `∂ ${op.source}`);
  for (const id of [q, k, v, ig, fg]) b.grads.written(id);
}
