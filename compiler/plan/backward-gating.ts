import type { IrOpOf } from '../ir/types.js';
import { gatedFfnActBackwardKernel } from '../kernels/gated-ffn-act-backward.js';
import { mlstmOutputBackwardKernels } from '../kernels/mlstm-output-backward.js';
import type { BackwardBuilder } from './backward-builder.js';
import { rowViewOf } from './gradient-views.js';
import { joinSources } from './plan-builder.js';
import { OFFICIAL_ACTIVATION } from './plan-elementwise.js';

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
  const sum = values.map((v) => b.producerOf(v, 'add')).find((x) => x !== undefined);
  const silu = values.map((v) => b.producerOf(v, 'activation')).find((x) => x?.op.attrs.kind === 'silu');
  if (values.length !== 2 || sum === undefined || silu === undefined) return false;
  const parts = sum.op.inputs.flatMap((o) => (o.kind === 'value' ? [p.resolve(o.id)] : []));
  const norm = parts.map((v) => b.producerOf(v, 'multihead_layer_norm')).find((x) => x !== undefined);
  const skipMul = parts.map((v) => b.producerOf(v, 'mul')).find((x) => x !== undefined);
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
  b.firstWrite(h, gating.source);
  b.firstWrite(z, gating.source);
  const normWeight = p.param(norm.op, 1);
  const skip = p.param(skipMul.op, 1);
  const kernels = mlstmOutputBackwardKernels(
    {
      rows: b.rows,
      heads: NH,
      headDim: DH,
      eps,
      z: rowViewOf(zAt),
      dz: rowViewOf(dz),
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
  const act = values.map((v) => b.producerOf(v, 'activation')).find((x) => x !== undefined);
  if (values.length !== 2 || act === undefined) return false;
  const gate = p.value(act.op, 0);
  const value = values.find((v) => v !== act.op.outputs[0]);
  const split = b.producerOf(gate, 'split');
  if (value === undefined || split === undefined || b.producerOf(value, 'split')?.index !== split.index) return false;
  const up = p.value(split.op, 0);
  const F = p.placement(gate).width;
  const [g, v] = [p.placement(gate), p.placement(value)];
  if (g.offset !== 0 || v.offset !== F || g.rowStride !== 2 * F || v.width !== F) return false;

  const out = gating.outputs[0]!;
  b.grads.read(out, gating.source);
  b.firstWrite(up, gating.source);
  const kernel = gatedFfnActBackwardKernel({ rows: b.rows, upDim: F, activation: OFFICIAL_ACTIVATION[act.op.attrs.kind], name: `${p.kernelName(act.op)}_gated_backward` }, b.target);
  b.emit([kernel], { up: b.forwardBuffer(up, split.op.source), dHidden: b.grads.contiguous(out, gating.source), dUp: b.grads.contiguous(up, split.op.source) }, `∂ ${joinSources(act.op.source, gating.source)}`);
  b.absorb(act.index);
  b.grads.written(up);
  return true;
}
