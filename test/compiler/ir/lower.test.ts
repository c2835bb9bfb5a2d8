import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../../compiler/ir/lower.js';
import { verifyIr } from '../../../compiler/ir/verify.js';
import type { IrModule, IrOp, OpKind } from '../../../compiler/ir/types.js';
import { readSafetensorsHeaderFile } from '../../../runtime/io/safetensors-node.js';
import { UserError } from '../../../runtime/errors.js';
import { goldenCase, goldenCases, goldenSpec, type GoldenCase } from './golden-spec.js';

function lowerGolden(c: GoldenCase): IrModule {
  return lowerModel(goldenSpec(c), { batch: c.config.golden.batch_size, seqLen: c.config.golden.seq_len });
}

function mustCase(name: string): GoldenCase {
  const c = goldenCase(name);
  if (c === undefined) throw new Error(`golden case ${name} missing`);
  return c;
}

/** The op that defines value `id`. */
function producer(m: IrModule, id: number): IrOp {
  const op = m.ops.find((o) => o.outputs.includes(id));
  if (op === undefined) throw new Error(`no producer for %${id}`);
  return op;
}

function valueOperand(op: IrOp, i: number): number {
  const o = op.inputs[i];
  if (o?.kind !== 'value') throw new Error(`operand ${i} of ${op.op} is not a value`);
  return o.id;
}

function paramOperands(op: IrOp): string[] {
  return op.inputs.flatMap((o) => (o.kind === 'param' ? [o.name] : []));
}

/** The op in `block` that reads parameter `suffix` (name ends with it). */
function opReading(m: IrModule, block: number, suffix: string): IrOp {
  const op = m.ops.find((o) => o.block === block && paramOperands(o).some((n) => n === `xlstm_block_stack.blocks.${block}.${suffix}`));
  if (op === undefined) throw new Error(`block ${block}: no op reads ${suffix}`);
  return op;
}

function countOps(m: IrModule, kind: OpKind, block?: number): number {
  return m.ops.filter((o) => o.op === kind && (block === undefined || o.block === block)).length;
}

describe('lowering the golden cases', () => {
  for (const c of goldenCases()) {
    describe(c.name, () => {
      it('lists exactly the official state_dict names and shapes, in order', async () => {
        const m = lowerGolden(c);
        const header = await readSafetensorsHeaderFile(join(c.dir, 'weights.safetensors'));
        expect(m.params.map((p) => [p.name, [...p.shape]])).toEqual(header.tensors.map((t) => [t.name, t.shape]));
        const own = m.params.filter((p) => p.tiedTo === undefined).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
        expect(own).toBe(c.config.golden.num_parameters);
        const decay = m.params.filter((p) => p.decay).map((p) => p.name);
        expect(decay.sort()).toEqual([...c.config.golden.weight_decay_param_names].sort());
      });

      it('verifies, and every parameter tensor is read by some op', () => {
        const m = lowerGolden(c);
        expect(verifyIr(m)).toEqual([]);
        const read = new Set(m.ops.flatMap(paramOperands));
        const unread = m.params.filter((p) => p.tiedTo === undefined && !read.has(p.name)).map((p) => p.name);
        expect(unread).toEqual([]);
      });

      it('has taps for exactly the golden activations, each [B,T,E]', async () => {
        const m = lowerGolden(c);
        const header = await readSafetensorsHeaderFile(join(c.dir, 'activations.safetensors'));
        expect(Object.keys(m.taps).sort()).toEqual(header.tensors.map((t) => t.name).sort());
        for (const t of header.tensors) expect(m.values[m.taps[t.name] as number]?.type.shape).toEqual(t.shape);
      });

      it('ends in logits [B,T,V] and a scalar mean loss over the targets', () => {
        const m = lowerGolden(c);
        const { batch_size: B, seq_len: T } = c.config.golden;
        expect(m.values[m.outputs.logits]?.type).toEqual({ dtype: 'f32', shape: [B, T, c.config.model.vocab_size] });
        const ce = producer(m, m.outputs.loss);
        expect(ce.op).toBe('cross_entropy');
        expect(ce.inputs).toEqual([
          { kind: 'value', id: m.outputs.logits },
          { kind: 'value', id: m.inputs.targets },
        ]);
        expect(ce.attrs).toEqual({ vocabSize: c.config.model.vocab_size, reduction: 'mean', count: B * T });
      });

      it('labels every op with its block and a source', () => {
        const m = lowerGolden(c);
        for (const op of m.ops) {
          if (op.block === null) expect(op.source).not.toMatch(/^block /);
          else expect(op.source.startsWith(`block ${op.block} ${c.config.model.blocks[op.block]?.type === 'mlstm' ? 'mLSTM' : 'sLSTM'} `)).toBe(true);
        }
      });
    });
  }
});

describe('the official forward computation', () => {
  it('mLSTM: v reads pre-conv x_m, q/k the SiLU of the conv, gates see concat(q,k,v), output gated by SiLU(z) after the skip', () => {
    const m = lowerGolden(mustCase('m_only'));
    const up = opReading(m, 0, 'xlstm.proj_up.weight');
    const split = m.ops.find((o) => o.op === 'split' && valueOperand(o, 0) === up.outputs[0]) as IrOp;
    expect(split.attrs).toEqual({ sizes: [64, 64] });
    const [xm, z] = split.outputs as [number, number];
    const conv = opReading(m, 0, 'xlstm.conv1d.conv.weight');
    expect(conv.op).toBe('causal_conv1d');
    expect(valueOperand(conv, 0)).toBe(xm);
    expect(paramOperands(conv)).toEqual(['xlstm_block_stack.blocks.0.xlstm.conv1d.conv.weight', 'xlstm_block_stack.blocks.0.xlstm.conv1d.conv.bias']);
    const convAct = m.ops.find((o) => o.op === 'activation' && valueOperand(o, 0) === conv.outputs[0]) as IrOp;
    expect(convAct.attrs).toEqual({ kind: 'silu' });
    const c = convAct.outputs[0];
    const q = opReading(m, 0, 'xlstm.q_proj.weight');
    const k = opReading(m, 0, 'xlstm.k_proj.weight');
    const v = opReading(m, 0, 'xlstm.v_proj.weight');
    expect([q.op, valueOperand(q, 0), valueOperand(k, 0), valueOperand(v, 0)]).toEqual(['headwise_linear', c, c, xm]);
    expect(q.attrs).toEqual({ numBlocks: 16, blockSize: 4, bias: false });
    const gates = opReading(m, 0, 'xlstm.mlstm_cell.igate.weight');
    expect(gates.op).toBe('mlstm_gates');
    const cat = producer(m, valueOperand(gates, 0));
    expect(cat.op).toBe('concat');
    expect(cat.inputs.map((o) => (o.kind === 'value' ? o.id : -1))).toEqual([q.outputs[0], k.outputs[0], v.outputs[0]]);
    const cell = m.ops.find((o) => o.op === 'mlstm_cell' && o.block === 0) as IrOp;
    expect(cell.inputs.map((o) => (o.kind === 'value' ? o.id : -1))).toEqual([q.outputs[0], k.outputs[0], v.outputs[0], ...gates.outputs]);
    expect(cell.attrs).toEqual({ form: 'parallel', numHeads: 4, headDim: 16, eps: 1e-6 });
    const skip = opReading(m, 0, 'xlstm.learnable_skip');
    expect([skip.op, valueOperand(skip, 0)]).toEqual(['mul', c]);
    const down = opReading(m, 0, 'xlstm.proj_down.weight');
    const gated = producer(m, valueOperand(down, 0));
    expect(gated.op).toBe('mul');
    const sum = producer(m, valueOperand(gated, 0));
    const zAct = producer(m, valueOperand(gated, 1));
    expect([sum.op, zAct.op, zAct.attrs, valueOperand(zAct, 0)]).toEqual(['add', 'activation', { kind: 'silu' }, z]);
    expect(sum.inputs.map((o) => (o.kind === 'value' ? producer(m, o.id).op : '?'))).toEqual(['multihead_layer_norm', 'mul']);
    // the block output is the residual x + layer(LN(x))
    const out = producer(m, m.taps['blocks.0'] as number);
    expect([out.op, valueOperand(out, 0), valueOperand(out, 1)]).toEqual(['add', m.taps['embedding'], m.taps['blocks.0.xlstm']]);
  });

  it('sLSTM: the fgate module feeds the input gate and igate the forget gate; z and o read the unconvolved input', () => {
    const m = lowerGolden(mustCase('s_only'));
    const norm = opReading(m, 1, 'xlstm_norm.weight');
    const cell = opReading(m, 1, 'xlstm.slstm_cell._bias_');
    expect(cell.op).toBe('slstm_cell');
    expect(cell.attrs).toEqual({ numHeads: 4, headDim: 8, gateOrder: ['i', 'f', 'z', 'o'], layout: 'vanilla' });
    const gateOps = [0, 1, 2, 3].map((i) => producer(m, valueOperand(cell, i)));
    expect(gateOps.map((o) => paramOperands(o)[0])).toEqual(
      ['fgate', 'igate', 'zgate', 'ogate'].map((g) => `xlstm_block_stack.blocks.1.xlstm.${g}.weight`),
    );
    const convAct = producer(m, valueOperand(gateOps[0] as IrOp, 0));
    expect([convAct.op, convAct.attrs]).toEqual(['activation', { kind: 'silu' }]);
    expect(producer(m, valueOperand(convAct, 0)).op).toBe('causal_conv1d');
    expect(valueOperand(gateOps[1] as IrOp, 0)).toBe(convAct.outputs[0]);
    expect(valueOperand(gateOps[2] as IrOp, 0)).toBe(norm.outputs[0]);
    expect(valueOperand(gateOps[3] as IrOp, 0)).toBe(norm.outputs[0]);
    const groupNorm = opReading(m, 1, 'xlstm.group_norm.weight');
    expect(groupNorm.attrs).toEqual({ numHeads: 4, headDim: 8, eps: 1e-5, scale: 'one_plus_weight' });
    expect(groupNorm.outputs[0]).toBe(m.taps['blocks.1.xlstm']);
    // FFN: LN' on the post-layer residual, gelu on the first half, times the second half
    const up = opReading(m, 1, 'ffn.proj_up.weight');
    expect(up.attrs).toEqual({ inFeatures: 32, outFeatures: 128, bias: false });
    const act = m.ops.find((o) => o.op === 'activation' && o.block === 1 && o.source.includes('FFN')) as IrOp;
    expect(act.attrs).toEqual({ kind: 'gelu' });
    expect(producer(m, valueOperand(act, 0)).op).toBe('split');
  });

  it('sLSTM without conv (mixed_1_1): no conv and no SiLU, the gates read LN(x); tied head reads the embedding; biases present', () => {
    const m = lowerGolden(mustCase('mixed_1_1'));
    expect(countOps(m, 'causal_conv1d', 1)).toBe(0);
    expect(countOps(m, 'causal_conv1d', 0)).toBe(1);
    const norm = opReading(m, 1, 'xlstm_norm.weight');
    for (const g of ['fgate', 'igate', 'zgate', 'ogate']) expect(valueOperand(opReading(m, 1, `xlstm.${g}.weight`), 0)).toBe(norm.outputs[0]);
    const ffnAct = m.ops.find((o) => o.op === 'activation' && o.block === 3 && o.source.includes('FFN')) as IrOp;
    expect(ffnAct.attrs).toEqual({ kind: 'silu' });
    const head = producer(m, m.outputs.logits);
    expect(head.op).toBe('lm_head');
    expect(paramOperands(head)).toEqual(['token_embedding.weight']);
    expect(head.attrs).toEqual({ vocabSize: 32, dim: 32, tied: true });
    expect(m.params.find((p) => p.name === 'lm_head.weight')?.tiedTo).toBe('token_embedding.weight');
    expect(paramOperands(opReading(m, 0, 'xlstm.q_proj.weight'))).toEqual([
      'xlstm_block_stack.blocks.0.xlstm.q_proj.weight',
      'xlstm_block_stack.blocks.0.xlstm.q_proj.bias',
    ]);
    expect(opReading(m, 0, 'xlstm.proj_up.weight').attrs).toEqual({ inFeatures: 32, outFeatures: 128, bias: true });
    expect(opReading(m, 0, 'xlstm.q_proj.weight').attrs).toEqual({ numBlocks: 8, blockSize: 8, bias: true });
  });

  it('m_only op counts and activation sizes match a hand count', () => {
    const m = lowerGolden(mustCase('m_only'));
    const perBlock: [OpKind, number][] = [
      ['layer_norm', 1],
      ['linear', 2],
      ['split', 1],
      ['causal_conv1d', 1],
      ['activation', 2],
      ['headwise_linear', 3],
      ['concat', 1],
      ['mlstm_gates', 1],
      ['mlstm_cell', 1],
      ['multihead_layer_norm', 1],
      ['mul', 2],
      ['add', 2],
    ];
    for (const [kind, n] of perBlock) expect([kind, countOps(m, kind, 0)]).toEqual([kind, n]);
    expect(m.ops.length).toBe(2 * 18 + 4);
    // per position: embedding 32; per block LN 32, proj_up 128, x_m/z/conv/conv_act/q/k/v 7·64, qkv 192,
    // gates 2·4, h/h_norm/skip/h_skip/z_act/h_state 6·64, proj_down 32, residual 32 = 1256;
    // post norm 32, logits 32; times B·T = 32 positions; plus the scalar loss
    const floats = m.values.filter((v) => v.role === 'activation').reduce((n, v) => n + v.type.shape.reduce((a, b) => a * b, 1), 0);
    expect(floats).toBe((32 + 2 * 1256 + 32 + 32) * 32 + 1);
  });
});

describe('lowering options', () => {
  const c = mustCase('mixed_1_1');
  it('chunkwise carries a chunk size, recurrent does not, and both verify', () => {
    const chunk = lowerModel(goldenSpec(c), { batch: 1, seqLen: 40, mlstmForm: 'chunkwise', chunkSize: 16 });
    expect(verifyIr(chunk)).toEqual([]);
    expect(chunk.ops.filter((o) => o.op === 'mlstm_cell').map((o) => o.attrs)).toEqual([
      { form: 'chunkwise', numHeads: 2, headDim: 32, eps: 1e-6, chunkSize: 16 },
      { form: 'chunkwise', numHeads: 2, headDim: 32, eps: 1e-6, chunkSize: 16 },
    ]);
    const rec = lowerModel(goldenSpec(c), { batch: 3, seqLen: 5, mlstmForm: 'recurrent' });
    expect(verifyIr(rec)).toEqual([]);
    expect(rec.ops.find((o) => o.op === 'mlstm_cell')?.attrs).toEqual({ form: 'recurrent', numHeads: 2, headDim: 32, eps: 1e-6 });
    expect(rec.values[rec.outputs.logits]?.type.shape).toEqual([3, 5, 32]);
  });

  it('emits dropout ops only where the official model has dropout and p > 0', () => {
    const spec = goldenSpec(c);
    expect(lowerModel(spec, { batch: 1, seqLen: 4 }).ops.some((o) => o.op === 'dropout')).toBe(false);
    const withDropout = {
      ...spec,
      dropout: 0.1,
      addEmbeddingDropout: true,
      blocks: spec.blocks.map((b) => (b.kind === 'mlstm' ? { ...b, dropout: 0.1 } : { ...b, dropout: 0.2, ffn: b.ffn && { ...b.ffn, dropout: 0.3 } })),
    };
    const m = lowerModel(withDropout, { batch: 1, seqLen: 4 });
    expect(verifyIr(m)).toEqual([]);
    expect(m.ops.filter((o) => o.op === 'dropout').map((o) => [o.block, o.attrs.p])).toEqual([
      [null, 0.1],
      [0, 0.1],
      [1, 0.2],
      [1, 0.3],
      [2, 0.1],
      [3, 0.2],
      [3, 0.3],
    ]);
    // sLSTM dropout sits between the cell and the group norm
    const gn = m.ops.find((o) => o.op === 'multihead_layer_norm' && o.block === 1) as IrOp;
    expect(producer(m, valueOperand(gn, 0)).op).toBe('dropout');
  });

  it('an sLSTM output norm without weight scales by 1 and takes no weight operand', () => {
    const spec = goldenSpec(c);
    const noWeight = { ...spec, blocks: spec.blocks.map((b) => (b.kind === 'slstm' ? { ...b, groupNormWeight: false } : b)) };
    const m = lowerModel(noWeight, { batch: 1, seqLen: 4 });
    expect(verifyIr(m)).toEqual([]);
    const gn = m.ops.find((o) => o.op === 'multihead_layer_norm' && o.block === 1);
    expect([gn?.inputs.length, gn?.op === 'multihead_layer_norm' && gn.attrs.scale]).toEqual([1, 'none']);
  });

  it('rejects bad sizes and unsupported cells with a user error', () => {
    const spec = goldenSpec(c);
    expect(() => lowerModel(spec, { batch: 0, seqLen: 4 })).toThrow(UserError);
    expect(() => lowerModel(spec, { batch: 2, seqLen: 1.5 })).toThrow(/sequence length/);
    const lstm = { ...spec, blocks: spec.blocks.map((b) => (b.kind === 'slstm' ? { ...b, function: 'lstm' as const } : b)) };
    expect(() => lowerModel(lstm, { batch: 1, seqLen: 4 })).toThrow(/function 'lstm'/);
  });
});
