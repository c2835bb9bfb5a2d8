import type { IrOpOf } from '../ir/types.js';
import { mlstmParallelBackwardKernels } from '../kernels/mlstm-parallel-backward.js';
import { slstmCellBackwardKernels } from '../kernels/slstm-cell-backward.js';
import type { BackwardBuilder } from './backward-builder.js';

/**
 * The sLSTM cell: replay of the forward's tape from its output y, backward through time, then the
 * recurrent kernel's and bias's gradients. The four gate gradients land in one [rows, 4E] buffer,
 * gate-major like the forward's gate pre-activations, and the gate projections' backward reads them
 * as views of it.
 */
export function slstmCellBackward(b: BackwardBuilder, op: IrOpOf<'slstm_cell'>): void {
  const { p } = b;
  const { numHeads: NH, headDim: DH } = op.attrs;
  const E = NH * DH;
  const out = op.outputs[0]!;
  // the gate pre-activations live only in the buffer the forward's cell launches read
  const launch = p.steps.slice(0, b.forwardSteps).find((s) => s.source.startsWith(op.source) && s.kernel.bindings.some((x) => x.name === 'recurrentKernel'));
  if (launch === undefined) throw new Error(`plan: ${op.source}: no forward launch of the cell to take its gate pre-activations from`);
  b.grads.read(out, op.source);
  const gates = [0, 1, 2, 3].map((at) => p.value(op, at));
  const dGates = p.declare(`∂block${op.block}_slstm_gates`, b.rows * 4 * E, 'f32', 'scratch');
  gates.forEach((id, g) => b.grads.place(id, { buffer: dGates, rows: b.rows, width: E, rowStride: 4 * E, offset: g * E }));
  const recurrentKernel = p.param(op, 4);
  const bias = p.param(op, 5);
  const tensors = {
    x: launch.tensors['x']!,
    recurrentKernel,
    bias,
    y: b.forwardBuffer(out, op.source),
    dy: b.grads.contiguous(out, op.source),
    dx: dGates,
    dRecurrentKernel: b.paramGrad(recurrentKernel),
    dBias: b.paramGrad(bias),
  };
  const kernels = slstmCellBackwardKernels({ batch: p.batch, time: p.time, heads: NH, headDim: DH, accumulate: true, name: `block${op.block}_slstm_backward` }, b.target);
  b.emit(kernels, tensors, `∂ ${op.source}`);
  for (const id of gates) b.grads.written(id);
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
  for (const id of [q, k, v, ig, fg]) b.firstWrite(id, op.source);
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
