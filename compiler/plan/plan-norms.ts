import type { IrOpOf } from '../ir/types.js';
import { layerNormApplyKernel } from '../kernels/layer-norm-apply.js';
import { layerNormStatsKernel } from '../kernels/layer-norm-stats.js';
import { mlstmOutputKernel } from '../kernels/mlstm-output.js';
import { joinSources, type PlanBuilder } from './plan-builder.js';

interface NormGroups {
  input: string;
  groups: number;
  groupSize: number;
  eps: number;
  /** The scale's weight, per feature of a row of `weightLength`; none means scale 1. */
  weight?: { buffer: string; length: number };
  residual?: string;
  y: string;
  name: string;
  source: string;
}

/** A norm no consumer absorbs: per-group statistics, then normalise, scale (and add a residual). */
function emitNorm(p: PlanBuilder, n: NormGroups): void {
  const stats = layerNormStatsKernel({ rows: n.groups, cols: n.groupSize, eps: n.eps, name: `${n.name}_stats` }, p.options.target);
  const apply = layerNormApplyKernel(
    {
      groups: n.groups,
      groupSize: n.groupSize,
      ...(n.weight ? { weightLength: n.weight.length } : {}),
      ...(n.residual !== undefined ? { residual: true } : {}),
      name: n.name,
    },
    p.options.target,
  );
  const tensors: Record<string, string> = { x: n.input, y: n.y };
  if (n.weight) tensors['weight'] = n.weight.buffer;
  if (n.residual !== undefined) tensors['residual'] = n.residual;
  p.emit([stats, apply], tensors, n.source);
}

/**
 * LayerNorm: left to the prologue of the linears that read it when every reader is one (fused), else
 * statistics and an apply pass that materialise the normalised tensor (the sLSTM's pre-norm feeds
 * its conv and z/o gates, which have no prologue).
 */
export function planLayerNorm(p: PlanBuilder, op: IrOpOf<'layer_norm'>): void {
  const out = op.outputs[0]!;
  const readers = p.consumers(out).map((i) => p.ir.ops[i]!);
  const linearReaders = readers.length > 0 && readers.every((r) => (r.op === 'linear' || r.op === 'lm_head') && p.value(r, 0) === p.resolve(out));
  const input = p.value(op, 0);
  const weight = p.param(op, 1);
  if (p.options.fuse && linearReaders) {
    p.normPrologues.set(out, { input, weight, eps: op.attrs.eps, source: op.source });
    return;
  }
  const E = op.attrs.dim;
  emitNorm(p, {
    input: p.contiguous(input, op.source),
    groups: p.rows,
    groupSize: E,
    eps: op.attrs.eps,
    weight: { buffer: weight, length: E },
    y: p.define(out),
    name: p.kernelName(op),
    source: op.source,
  });
}

/**
 * MultiHeadLayerNorm. Fused, the mLSTM output (norm, + skip ⊙ c, ⊙ SiLU(z)) is one kernel and the
 * sLSTM group norm takes the residual add into its apply pass; otherwise the norm alone.
 */
export function planMultiHeadLayerNorm(p: PlanBuilder, op: IrOpOf<'multihead_layer_norm'>): void {
  if (p.options.fuse && (fuseMlstmOutput(p, op) || fuseNormResidual(p, op))) return;
  emitNorm(p, { ...headGroups(p, op), y: p.define(op.outputs[0]!), source: op.source });
}

/** A MultiHeadLayerNorm as a norm over groups of DH: one (mean, rstd) per row and head, the weight over the whole row. */
function headGroups(p: PlanBuilder, op: IrOpOf<'multihead_layer_norm'>): Omit<NormGroups, 'y' | 'source'> {
  const { numHeads: NH, headDim: DH } = op.attrs;
  return {
    input: p.contiguous(p.value(op, 0), op.source),
    groups: p.rows * NH,
    groupSize: DH,
    eps: op.attrs.eps,
    ...(op.attrs.scale === 'one_plus_weight' ? { weight: { buffer: p.param(op, 1), length: NH * DH } } : {}),
    name: p.kernelName(op),
  };
}

/** `group_norm(y) + x`: the residual add in the apply pass. */
function fuseNormResidual(p: PlanBuilder, op: IrOpOf<'multihead_layer_norm'>): boolean {
  const out = op.outputs[0]!;
  const add = p.soleConsumer(out);
  if (add?.op.op !== 'add') return false;
  const other = p.otherOperand(add.op, out);
  if (other.kind !== 'value') return false;
  emitNorm(p, {
    ...headGroups(p, op),
    residual: p.contiguous(other.id, add.op.source),
    y: p.define(add.op.outputs[0]!),
    source: joinSources(op.source, add.op.source),
  });
  p.finish(add.index);
  return true;
}

/**
 * The mLSTM layer's `(outnorm(h) + skip ⊙ c) ⊙ SiLU(z)`: the norm's reader adds `mul(c, skip)` and
 * that sum is multiplied by `silu(z)`, each read by nothing else.
 */
function fuseMlstmOutput(p: PlanBuilder, op: IrOpOf<'multihead_layer_norm'>): boolean {
  if (op.attrs.scale !== 'one_plus_weight') return false;
  const hn = op.outputs[0]!;
  const add = p.soleConsumer(hn);
  if (add?.op.op !== 'add') return false;
  const skipOperand = p.otherOperand(add.op, hn);
  if (skipOperand.kind !== 'value') return false;
  const skipMul = p.producer(skipOperand.id);
  if (skipMul?.op.op !== 'mul' || p.soleConsumer(skipOperand.id)?.index !== add.index) return false;
  const [cOperand, skipParam] = skipMul.op.inputs;
  if (cOperand?.kind !== 'value' || skipParam?.kind !== 'param') return false;
  const sum = add.op.outputs[0]!;
  const gating = p.soleConsumer(sum);
  if (gating?.op.op !== 'mul') return false;
  const gateOperand = p.otherOperand(gating.op, sum);
  if (gateOperand.kind !== 'value') return false;
  const silu = p.producer(gateOperand.id);
  if (silu?.op.op !== 'activation' || silu.op.attrs.kind !== 'silu' || p.soleConsumer(gateOperand.id)?.index !== gating.index) return false;

  const z = p.placement(p.value(silu.op, 0));
  const { numHeads: NH, headDim: DH } = op.attrs;
  const kernel = mlstmOutputKernel(
    { rows: p.rows, heads: NH, headDim: DH, eps: op.attrs.eps, zRowStride: z.rowStride, zOffset: z.offset, name: `block${op.block}_mlstm_output` },
    p.options.target,
  );
  p.emit(
    [kernel],
    {
      h: p.contiguous(p.value(op, 0), op.source),
      conv: p.contiguous(p.resolve(cOperand.id), skipMul.op.source),
      z: z.buffer,
      normWeight: p.param(op, 1),
      skip: p.param(skipMul.op, 1),
      y: p.define(gating.op.outputs[0]!),
    },
    joinSources(...[op, skipMul.op, add.op, silu.op, gating.op].map((o) => o.source)),
  );
  for (const absorbed of [skipMul.index, add.index, silu.index, gating.index]) p.finish(absorbed);
  return true;
}
