import type { IrOp, IrOpOf } from '../ir/types.js';
import { causalConv1dSiluKernel } from '../kernels/causal-conv1d-silu.js';
import { mlstmParallelKernels } from '../kernels/mlstm-parallel.js';
import { mlstmParallelStateKernels } from '../kernels/mlstm-parallel-state.js';
import { mlstmQkvGatesKernels } from '../kernels/mlstm-qkv-gates.js';
import { mlstmRecurrentStepKernels } from '../kernels/mlstm-recurrent-step.js';
import { joinSources, type PlanBuilder } from './plan-builder.js';

/**
 * Causal depthwise conv, with the SiLU that reads it fused when fusing. Its window of past inputs
 * comes from the state (recurrent) and the new window goes to the other buffer of the pair.
 */
export function planCausalConv(p: PlanBuilder, op: IrOpOf<'causal_conv1d'>): void {
  const input = p.placement(p.value(op, 0));
  if (input.offset !== 0) throw new Error(`plan: ${op.source} reads a view at offset ${input.offset}; the conv kernel cannot`);
  const out = op.outputs[0]!;
  const act = p.options.fuse ? p.soleConsumer(out) : undefined;
  const silu = act?.op.op === 'activation' && act.op.attrs.kind === 'silu' ? act : undefined;
  const { stateReads: reads, stateWrites: writes } = p;
  const kernel = causalConv1dSiluKernel(
    {
      batch: p.batch,
      time: p.time,
      channels: op.attrs.channels,
      kernelSize: op.attrs.kernelSize,
      silu: silu !== undefined,
      inputRowStride: input.rowStride,
      stateIn: reads,
      stateOut: writes,
      name: p.kernelName(op, silu ? 'silu' : ''),
    },
    p.options.target,
  );
  const tensors: Record<string, string> = { x: input.buffer, weight: p.param(op, 1), bias: p.param(op, 2) };
  if (reads) tensors['stateIn'] = p.state(op.block, 'conv', 'in');
  if (writes) tensors['stateOut'] = p.state(op.block, 'conv', 'out');
  tensors['y'] = p.define(silu ? silu.op.outputs[0]! : out);
  p.emit([kernel], tensors, joinSources(op.source, ...(silu ? [silu.op.source] : [])));
  if (silu) p.finish(silu.index);
}

/**
 * `concat(q, k, v)` of three headwise projections: one kernel computes the projections straight
 * into the concatenated layout (q, k from the conv output, v from the pre-conv x_m), so q, k and v
 * become views of that buffer.
 */
export function planQkvConcat(p: PlanBuilder, op: IrOpOf<'concat'>): void {
  const parts = op.inputs.map((o) => (o.kind === 'value' ? p.producer(o.id) : undefined));
  const [q, k, v] = parts;
  const headwise = (x: typeof q): x is { index: number; op: IrOpOf<'headwise_linear'> } => x?.op.op === 'headwise_linear';
  if (parts.length !== 3 || !headwise(q) || !headwise(k) || !headwise(v)) {
    throw new Error(`plan: ${op.source}: only the mLSTM concat of three headwise projections has a kernel`);
  }
  const gates = p.soleConsumer(op.outputs[0]!);
  if (gates?.op.op !== 'mlstm_gates') throw new Error(`plan: ${op.source} is not read by the mLSTM gates alone`);
  const { numBlocks, blockSize, bias } = q.op.attrs;
  const I = numBlocks * blockSize;
  const cIn = p.value(q.op, 0);
  if (p.value(k.op, 0) !== cIn) throw new Error(`plan: ${op.source}: q and k read different inputs`);
  const xm = p.placement(p.value(v.op, 0));
  if (xm.offset !== 0) throw new Error(`plan: ${op.source}: v reads a view at offset ${xm.offset}; the projection kernel cannot`);
  const kernels = mlstmQkvGatesKernels(
    {
      batch: p.batch,
      time: p.time,
      heads: gates.op.attrs.numHeads,
      innerDim: I,
      blockSize,
      bias,
      xmRowStride: xm.rowStride,
      name: `block${op.block}_qkv`,
    },
    p.options.target,
  ).projections;
  const tensors: Record<string, string> = { conv: p.contiguous(cIn, q.op.source), xm: xm.buffer };
  (['q', 'k', 'v'] as const).forEach((name, i) => {
    const proj = [q, k, v][i]!.op;
    tensors[`w${name}`] = p.param(proj, 1);
    if (bias) tensors[`b${name}`] = p.param(proj, 2);
  });
  const qkv = p.define(op.outputs[0]!);
  tensors['qkv'] = qkv;
  p.emit(kernels, tensors, joinSources(...[q, k, v].map((x) => x.op.source), op.source));
  [q, k, v].forEach((x, i) => {
    p.place(x.op.outputs[0]!, { buffer: qkv, rows: p.rows, width: I, rowStride: 3 * I, offset: i * I });
    p.finish(x.index);
  });
}

/** q, k, v must be the three thirds of one concat buffer, as the cell kernels read them. */
function qkvBuffer(p: PlanBuilder, op: IrOp, I: number): string {
  const [q, k, v] = [0, 1, 2].map((i) => p.placement(p.value(op, i)));
  const ok = [q, k, v].every((x, i) => x!.buffer === q!.buffer && x!.rowStride === 3 * I && x!.offset === i * I);
  if (!ok) throw new Error(`plan: ${op.source}: q, k, v are not the concatenated layout the mLSTM cell kernels read`);
  return q!.buffer;
}

/**
 * The mLSTM cell: the parallel form from the zero state (plus the final state when asked for), or
 * the recurrent form continuing the state in place.
 */
export function planMlstmCell(p: PlanBuilder, op: IrOpOf<'mlstm_cell'>): void {
  const { numHeads: NH, headDim: DH, eps, form } = op.attrs;
  const dims = { batch: p.batch, time: p.time, heads: NH, headDim: DH };
  const inputs = { qkv: qkvBuffer(p, op, NH * DH), igate: p.contiguous(p.value(op, 3), op.source), fgate: p.contiguous(p.value(op, 4), op.source) };
  const h = p.define(op.outputs[0]!);
  const state = () => ({
    cState: p.state(op.block, 'mlstm.C'),
    nState: p.state(op.block, 'mlstm.n'),
    mState: p.state(op.block, 'mlstm.m'),
  });
  if (form === 'parallel') {
    p.emit(mlstmParallelKernels({ ...dims, eps, name: `block${op.block}_mlstm_parallel` }, p.options.target), { ...inputs, h }, op.source);
    if (p.options.stateOut) {
      const kernels = mlstmParallelStateKernels({ ...dims, name: `block${op.block}_mlstm_state` }, p.options.target);
      p.emit(kernels, { ...inputs, ...state() }, `${op.source}: final state`);
    }
  } else if (form === 'recurrent') {
    p.emit(mlstmRecurrentStepKernels({ ...dims, eps, name: `block${op.block}_mlstm_recurrent` }, p.options.target), { ...inputs, ...state(), h }, op.source);
  } else {
    throw new Error(`plan: ${op.source}: the ${form} mLSTM form has no kernel`);
  }
}
