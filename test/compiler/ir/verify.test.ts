import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../../compiler/ir/lower.js';
import { assertValidIr, verifyIr } from '../../../compiler/ir/verify.js';
import type { IrModule, IrOp, OpKind, TensorType } from '../../../compiler/ir/types.js';
import { goldenCase, goldenSpec } from './golden-spec.js';

function fresh(name = 'mixed_1_1'): IrModule {
  const c = goldenCase(name);
  if (c === undefined) throw new Error(`golden case ${name} missing`);
  return lowerModel(goldenSpec(c), { batch: 2, seqLen: 8 });
}

function firstOp(m: IrModule, kind: OpKind): [number, IrOp] {
  const i = m.ops.findIndex((o) => o.op === kind);
  if (i < 0) throw new Error(`no ${kind}`);
  return [i, m.ops[i] as IrOp];
}

function retype(m: IrModule, id: number, type: TensorType): void {
  const v = m.values[id];
  if (v === undefined) throw new Error(`no value %${id}`);
  m.values[id] = { ...v, type };
}

/** Exactly one problem, about op `index`, matching `pattern`. */
function expectOneProblem(m: IrModule, index: number | null, pattern: RegExp): void {
  const problems = verifyIr(m);
  expect(problems, problems.join('\n')).toHaveLength(1);
  if (index !== null) expect(problems[0]).toMatch(new RegExp(`^op ${index} `));
  expect(problems[0]).toMatch(pattern);
}

describe('verifyIr catches broken IR', () => {
  it('accepts the lowered module', () => {
    const m = fresh();
    expect(verifyIr(m)).toEqual([]);
    expect(() => assertValidIr(m)).not.toThrow();
  });

  it('a weight of the wrong shape', () => {
    const m = fresh();
    const [i, op] = firstOp(m, 'linear');
    op.inputs[1] = { kind: 'param', name: 'xlstm_block_stack.blocks.0.xlstm.proj_down.weight' };
    expectOneProblem(m, i, /weight must have shape \[128,32\], got \[32,64\]/);
    expect(() => assertValidIr(m)).toThrow(/invalid IR for mixed_1_1/);
  });

  it('a declared result type that the rule does not give', () => {
    const m = fresh();
    const [i, op] = firstOp(m, 'linear');
    retype(m, op.outputs[0] as number, { dtype: 'f32', shape: [2, 8, 100] });
    // the split that reads it now fails as well: its sizes no longer add up
    const problems = verifyIr(m);
    expect(problems[0]).toMatch(new RegExp(`^op ${i} linear .*result %${op.outputs[0]} is f32\\[2,8,100\\], expected f32\\[2,8,128\\]`));
    expect(problems[1]).toMatch(/split .*must have 128 features/);
  });

  it('a value used before it is defined', () => {
    const m = fresh();
    const [i] = firstOp(m, 'split');
    [m.ops[i - 1], m.ops[i]] = [m.ops[i] as IrOp, m.ops[i - 1] as IrOp];
    expect(verifyIr(m).some((p) => p.startsWith(`op ${i - 1} split`) && /used before it is defined/.test(p))).toBe(true);
  });

  it('an unknown parameter', () => {
    const m = fresh();
    const [i, op] = firstOp(m, 'layer_norm');
    op.inputs[1] = { kind: 'param', name: 'xlstm_block_stack.blocks.0.norm.weight' };
    expectOneProblem(m, i, /unknown parameter @xlstm_block_stack\.blocks\.0\.norm\.weight/);
  });

  it('a value defined twice, and one never defined', () => {
    const m = fresh();
    const [i, op] = firstOp(m, 'concat');
    const orphan = op.outputs[0] as number;
    op.outputs[0] = m.inputs.tokens + 2; // the embedding's result
    const problems = verifyIr(m);
    expect(problems.some((p) => p.startsWith(`op ${i} concat`) && /is an input|defined twice/.test(p))).toBe(true);
    expect(problems.some((p) => new RegExp(`value %${orphan} \\(qkv\\) is never defined`).test(p))).toBe(true);
  });

  it('attributes that contradict the operands', () => {
    const m = fresh();
    const [i, op] = firstOp(m, 'headwise_linear');
    Object.assign(op.attrs, { blockSize: 4 });
    expect(verifyIr(m)[0]).toMatch(new RegExp(`^op ${i} headwise_linear .*input must have 32 features`));
  });

  it('a chunkwise cell without a chunk size', () => {
    const m = fresh();
    const [i, op] = firstOp(m, 'mlstm_cell');
    Object.assign(op.attrs, { form: 'chunkwise' });
    expectOneProblem(m, i, /chunkSize is required by, and only by, the chunkwise form/);
  });

  it('an sLSTM cell with another gate order', () => {
    const m = fresh();
    const [i, op] = firstOp(m, 'slstm_cell');
    Object.assign(op.attrs, { gateOrder: ['f', 'i', 'z', 'o'] });
    expectOneProblem(m, i, /gate order must be i,f,z,o/);
  });

  it('operands that do not broadcast', () => {
    const m = fresh();
    const [i, op] = firstOp(m, 'mul');
    op.inputs[1] = { kind: 'param', name: 'xlstm_block_stack.blocks.0.xlstm.mlstm_cell.igate.bias' };
    expectOneProblem(m, i, /operands f32\[2,8,64\] and f32\[2\] do not broadcast/);
  });

  it('a cross-entropy over the wrong number of positions, and tokens of the wrong type', () => {
    const m = fresh();
    const [i, op] = firstOp(m, 'cross_entropy');
    Object.assign(op.attrs, { count: 17 });
    expectOneProblem(m, i, /count 17 is not the number of positions 16/);
    const n = fresh();
    retype(n, n.inputs.tokens, { dtype: 'f32', shape: [2, 8] });
    const problems = verifyIr(n);
    expect(problems[0]).toMatch(/input tokens is f32\[2,8\], expected i32\[2,8\]/);
    expect(problems[1]).toMatch(/^op 0 embedding .*tokens must be i32/);
  });

  it('a tap that names no defined value', () => {
    const m = fresh();
    m.taps['blocks.9'] = 9999;
    expectOneProblem(m, null, /tap blocks\.9 refers to undefined value %9999/);
  });
});
