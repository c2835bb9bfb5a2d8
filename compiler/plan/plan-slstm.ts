import type { IrOpOf } from '../ir/types.js';
import { slstmCellKernel, slstmCellUniforms } from '../kernels/slstm-cell.js';
import { slstmGatesKernel } from '../kernels/slstm-gates.js';
import { joinSources, type PlanBuilder } from './plan-builder.js';

/**
 * Headwise projections have no kernel of their own: the mLSTM's three go into the q/k/v kernel at
 * their concat, the sLSTM's four into the gates kernel at the cell. Checked here, computed there.
 */
export function planHeadwise(p: PlanBuilder, op: IrOpOf<'headwise_linear'>): void {
  const readers = p.consumers(op.outputs[0]!).map((i) => p.ir.ops[i]!.op);
  const computedBy = readers.includes('concat') || readers.includes('slstm_cell');
  if (!computedBy || !readers.every((r) => r === 'concat' || r === 'slstm_cell' || r === 'mlstm_cell')) {
    throw new Error(`plan: ${op.source}: a headwise projection is computed only inside the mLSTM q/k/v or the sLSTM gates kernel`);
  }
}

/**
 * The sLSTM cell with its four gate projections: one kernel for the projections (i, f from the conv
 * output through the fgate, igate modules as the IR wires them, z, o from the normed input), then the
 * persistent cell, launched as often as the loop cap needs. Its state comes from the zero state or
 * from the state buffer; the final state goes to the state buffer, or to scratch when not kept.
 */
export function planSlstmCell(p: PlanBuilder, op: IrOpOf<'slstm_cell'>): void {
  const { numHeads: NH, headDim: DH } = op.attrs;
  if (op.attrs.gateOrder.join('') !== 'ifzo' || op.attrs.layout !== 'vanilla') {
    throw new Error(`plan: ${op.source}: the sLSTM kernels take the vanilla layout with gates i, f, z, o`);
  }
  const gates = [0, 1, 2, 3].map((at) => {
    const producer = p.producer(p.value(op, at));
    if (producer?.op.op !== 'headwise_linear' || producer.op.attrs.bias || producer.op.attrs.numBlocks !== NH || producer.op.attrs.blockSize !== DH) {
      throw new Error(`plan: ${op.source}: gate ${at} is not a bias-free headwise projection of ${NH} heads of ${DH}`);
    }
    return producer as { index: number; op: IrOpOf<'headwise_linear'> };
  });
  const [i, f, z, o] = gates as [(typeof gates)[0], (typeof gates)[0], (typeof gates)[0], (typeof gates)[0]];
  const xConv = p.value(i.op, 0);
  const x = p.value(z.op, 0);
  if (p.value(f.op, 0) !== xConv || p.value(o.op, 0) !== x) throw new Error(`plan: ${op.source}: i, f or z, o read different inputs`);

  const E = NH * DH;
  const gatesBuffer = p.scratch(`block${op.block}_slstm_gates`, p.rows * 4 * E);
  const gatesKernel = slstmGatesKernel({ rows: p.rows, heads: NH, headDim: DH, name: `block${op.block}_slstm_gates` }, p.options.target);
  // the kernel's binding `fgate` makes gate 0 (i), `igate` gate 1 (f): bound to whatever the IR wires there
  p.emit(
    [gatesKernel],
    {
      x: p.contiguous(x, z.op.source),
      xConv: p.contiguous(xConv, i.op.source),
      fgate: p.param(i.op, 1),
      igate: p.param(f.op, 1),
      zgate: p.param(z.op, 1),
      ogate: p.param(o.op, 1),
      gates: gatesBuffer,
    },
    joinSources(...gates.map((g) => g.op.source)),
  );
  gates.forEach((g) => p.finish(g.index));

  const cell = slstmCellKernel({ batch: p.batch, time: p.time, heads: NH, headDim: DH, name: `block${op.block}_slstm_cell` }, p.options.target);
  const tensors = {
    x: gatesBuffer,
    recurrentKernel: p.param(op, 4),
    bias: p.param(op, 5),
    y: p.define(op.outputs[0]!),
    state: p.stateWrites ? p.state(op.block, 'slstm') : p.scratch(`block${op.block}_slstm_state`, 4 * p.batch * E),
  };
  const fresh = slstmCellUniforms(cell, 'zero');
  const carried = slstmCellUniforms(cell, 'carried');
  cell.launches.forEach((launch, at) => {
    const source = `${op.source} (steps ${launch.t0}..${launch.t0 + launch.steps - 1})`;
    p.emit([cell.kernel], tensors, source, p.stateReads ? { uniforms: carried[at]!, freshUniforms: fresh[at]! } : { uniforms: fresh[at]! });
  });
}
