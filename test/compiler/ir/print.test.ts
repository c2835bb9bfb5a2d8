import { describe, expect, it } from 'vitest';
import { lowerModel } from '../../../compiler/ir/lower.js';
import { printIr } from '../../../compiler/ir/print.js';
import { goldenCase, goldenSpec } from './golden-spec.js';

function printed(name: string): string {
  const c = goldenCase(name);
  if (c === undefined) throw new Error(`golden case ${name} missing`);
  return printIr(lowerModel(goldenSpec(c), { batch: 2, seqLen: 16 }));
}

describe('printIr', () => {
  it('prints the same text for the same module, every time', () => {
    expect(printed('mixed_1_1')).toBe(printed('mixed_1_1'));
  });

  it('prints one op per line with operands, attributes, result type and source', () => {
    const lines = printed('m_only').split('\n');
    expect(lines[0]).toBe('ir m_only: batch 2, seq 16, mLSTM form parallel');
    expect(lines).toContain('  %0 tokens : i32[2,16]');
    expect(lines).toContain('  %2 = embedding(%0, @token_embedding.weight) {vocabSize: 32, dim: 32} : f32[2,16,32]  # token_embedding');
    expect(lines).toContain(
      '  %4 = linear(%3, @xlstm_block_stack.blocks.0.xlstm.proj_up.weight) {inFeatures: 32, outFeatures: 128, bias: false} : f32[2,16,128]  # block 0 mLSTM proj_up',
    );
    expect(lines).toContain('  %5, %6 = split(%4) {sizes: [64,64]} : f32[2,16,64], f32[2,16,64]  # block 0 mLSTM split x_m | z');
    expect(lines.some((l) => /^ {2}%\d+ = cross_entropy\(%\d+, %1\) \{vocabSize: 32, reduction: mean, count: 32\} : f32\[\]  # loss$/.test(l))).toBe(true);
  });

  it('prints parameters with shape, init, decay and layout, and a summary', () => {
    const text = printed('m_only');
    // std sqrt(2/(5·32)) = 0.1118034; wang std 2/2/sqrt(32) = 0.1767767; conv bound 1/sqrt(4) = 0.5
    expect(text).toContain(
      '  @xlstm_block_stack.blocks.0.xlstm.proj_up.weight : f32[128,32]  init normal(std 0.111803), decay  # [2I, E] = [out, in]; rows 0..I-1 -> x_m, rows I..2I-1 -> z',
    );
    expect(text).toContain('  @xlstm_block_stack.blocks.1.xlstm.proj_down.weight : f32[32,64]  init normal(std 0.176777), decay');
    expect(text).toContain('  @xlstm_block_stack.blocks.0.xlstm.conv1d.conv.bias : f32[64]  init uniform(±0.5), no decay  # [C]');
    expect(text).toContain('  @xlstm_block_stack.blocks.0.xlstm.mlstm_cell.fgate.bias : f32[4]  init linspace(3..6), no decay  # [NH]');
    expect(text).toContain('parameters (31 state_dict tensors, 19952 parameters)');
    expect(text).toContain('  parameters: 19952 in 31 tensors');
    expect(text).toMatch(/\n {2}ops: 40 \(embedding 1, layer_norm 3, linear 4, split 2, causal_conv1d 2, activation 4, headwise_linear 6, /);
  });

  it('marks the tied head and the sLSTM bias scheme', () => {
    const text = printed('mixed_1_1');
    expect(text).toContain('  @lm_head.weight : f32[32,32]  tied to @token_embedding.weight  # [V, E]; the same tensor as token_embedding.weight');
    expect(text).toContain('init slstm_bias(small_init, block 3 of 4), no decay  # [gate·E + head·DH + unit], gates i,f,z,o (vanilla layout)');
    expect(text).toMatch(/= lm_head\(%\d+, @token_embedding\.weight\) \{vocabSize: 32, dim: 32, tied: true\}/);
    // 63 state_dict entries, 40 296 parameters (config.json golden.num_parameters); lm_head is not counted
    expect(text).toContain('  parameters: 40296 in 62 tensors');
  });
});
