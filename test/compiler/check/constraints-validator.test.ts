import { describe, expect, it } from 'vitest';
import { check, codes, expectDiagnostic, model } from './check-helpers.js';

/** A model with an sLSTM block at 1 of 2, so both layer kinds are checked. */
const mixed = (extra: string, head = 'vocab 32\n  embed 32\n  context 16\n  blocks 2\n  slstm_at [1]'): string => model(extra, head);

describe('model constraints', () => {
  it('E200: required keys, reported at the model name', () => {
    const r = check('model M {\n  embed 32 context 16 blocks 2\n}\n');
    expect(codes(r)).toEqual(['E200']);
    expectDiagnostic('model M {\n  embed 32 context 16 blocks 2\n}\n', 'E200', 'M', 'add `vocab <int>`');
  });

  it('E201: values outside their range', () => {
    expectDiagnostic(model('', 'vocab 1\n  embed 32 context 16 blocks 2'), 'E201', 'vocab |1');
    expectDiagnostic(model('', 'vocab 32\n  embed 0 context 16 blocks 2'), 'E201', 'embed |0');
    expectDiagnostic(model('', 'vocab 32\n  embed 32 context 0 blocks 2'), 'E201', 'context |0');
    expectDiagnostic(model('', 'vocab 32\n  embed 32 context 16 blocks 0'), 'E201', 'blocks |0');
    expectDiagnostic(model('dropout 1.0'), 'E201', 'dropout |1.0');
    expectDiagnostic(model('dropout -0.1'), 'E201', '-0.1');
    expectDiagnostic(mixed('slstm { ffn { dropout 1 } }'), 'E201', 'dropout |1');
    expectDiagnostic(model('train { betas (0.9, 1.0) }'), 'E201', '0.9, |1.0');
    expectDiagnostic(model('train { lr 0 }'), 'E201', 'lr |0');
    expectDiagnostic(model('mlstm { heads 0 }'), 'E201', 'heads |0');
  });

  it('E202: mLSTM heads must divide the inner dim, with nearest valid heads and embeds', () => {
    // embed 128 → I = 256; 3 ∤ 256; divisors of 256 next to 3: 2 and 4.
    // embeds whose I (= ceil(2E/64)·64) is a multiple of 3: I = 192 for E ∈ (64, 96], I = 384 for E ∈ (160, 192]
    const src = model('mlstm { heads 3 }', 'vocab 32\n  embed 128\n  context 16\n  blocks 2');
    const d = expectDiagnostic(src, 'E202', 'heads |3', 'nearest valid heads: 2 or 4; or embed 96 or 161');
    expect(d.message).toContain('I = 256');
    expect(d.message).toContain('proj_factor 2.0 × embed 128 = 256, rounded up to a multiple of 64');
  });

  it('E203: qkv_blocksize must divide the inner dim', () => {
    // I = 64 (embed 32, factor 2); divisors of 64 around 5: 4 and 8
    expectDiagnostic(model('mlstm { qkv_blocksize 5 }'), 'E203', 'qkv_blocksize |5', 'nearest valid: 4 or 8');
  });

  it('E204: sLSTM heads must divide embed ("embed 130 ... nearest valid: 128 or 132")', () => {
    const src = mixed('', 'vocab 32\n  embed 130\n  context 16\n  blocks 2\n  slstm_at [1]\n  mlstm { heads 2 }');
    const d = expectDiagnostic(src, 'E204', 'embed |130', 'nearest valid: embed 128 or 132; or heads 2 or 5');
    expect(d.message).toBe('embed 130 is not divisible by slstm heads 4');
  });

  it('E205: mLSTM conv1d below 2, saying why', () => {
    expect(expectDiagnostic(model('mlstm { conv1d 0 }'), 'E205', 'conv1d |0', 'use conv1d 4').message).toContain('reset_parameters');
    expect(expectDiagnostic(model('mlstm { conv1d 1 }'), 'E205', 'conv1d |1').message).toContain('causal slice');
    expectDiagnostic(model('mlstm { conv1d -2 }'), 'E205', '-2');
  });

  it('E206: sLSTM conv1d is 0 (none) or at least 2', () => {
    expect(expectDiagnostic(mixed('slstm { conv1d 1 }'), 'E206', 'conv1d |1', 'use 0 for no conv').message).toContain('causal slice');
    expectDiagnostic(mixed('slstm { conv1d -1 }'), 'E206', '-1');
    expect(codes(check(mixed('slstm { conv1d 0 }')))).toEqual([]);
  });

  it('E207: a ratio must fit the block count, with the nearest counts and an equivalent slstm_at', () => {
    // 7:1 needs multiples of 8: 8 → [4], 16 → [4, 12]; 10 blocks at 1/8 sLSTM → round(1.25) = 1 block, centred: floor(0.5·10) = 5
    const src = model('', 'vocab 32 embed 32 context 16\n  blocks 10\n  ratio 7:1');
    expectDiagnostic(src, 'E207', '7:1', 'use blocks 8 (sLSTM at [4]) or blocks 16 (sLSTM at [4, 12]); or keep 10 blocks with slstm_at [5]');
    expectDiagnostic(model('ratio 0:0'), 'E207', '0:0');
    expectDiagnostic(model('ratio -1:2'), 'E207', '-1');
    // below one group: only the count above is offered
    expectDiagnostic(model('', 'vocab 32 embed 32 context 16\n  blocks 3\n  ratio 3:1'), 'E207', '3:1', 'use blocks 4 (sLSTM at [2])');
  });

  it('E208, E209, W206: slstm_at positions in range, unique, sorted', () => {
    expectDiagnostic(model('slstm_at [2]'), 'E208', '[|2]', 'numbered from 0');
    expectDiagnostic(model('slstm_at [-1]'), 'E208', '-1');
    expectDiagnostic(model('', 'vocab 32 embed 32 context 16 blocks 4\n  slstm_at [1, 1]'), 'E209', '1, |1]');
    const unsorted = model('', 'vocab 32 embed 32 context 16 blocks 4\n  slstm_at [3, 1]');
    expectDiagnostic(unsorted, 'W206', '3, |1]', 'write [1, 3]');
    expect(check(unsorted).models[0]!.slstmAt).toEqual([1, 3]);
  });

  it('E211: powerlaw_blockdependent with sLSTM head dim 1', () => {
    const src = mixed('slstm { heads 8 }', 'vocab 32\n  embed 8\n  context 16\n  blocks 2\n  slstm_at [1]');
    expectDiagnostic(src, 'E211', 'heads |8', 'bias_init small_init');
    expect(codes(check(src.replace('heads 8', 'heads 8 bias_init small_init')))).not.toContain('E211');
  });

  it('E212: a projection that rounds down to 0', () => {
    expectDiagnostic(model('mlstm { proj_factor 0.5  round_up false }'), 'E212', 'proj_factor |0.5', 'raise proj_factor');
    expectDiagnostic(mixed('slstm { ffn { proj_factor 1.5 round_up false } }'), 'E212', 'proj_factor |1.5', '`ffn null`');
  });

  it('E213, E214: block overrides must name a block of the right kind', () => {
    expectDiagnostic(model('block 5 { mlstm { heads 2 } }'), 'E213', 'block |5', 'there are 2 blocks');
    expectDiagnostic(mixed('block 0 { slstm { heads 2 } }'), 'E214', 'block 0 { |slstm', 'the sLSTM blocks are [1]');
  });

  it('block overrides are checked like the templates', () => {
    const src = mixed('block 1 { slstm { heads 3 } }');
    expectDiagnostic(src, 'E204', 'heads |3', 'or heads 2 or 4');
  });

  it('E215: train seq_len longer than context with mLSTM blocks (fine with sLSTM only)', () => {
    expectDiagnostic(model('train { seq_len 32 }'), 'E215', 'seq_len |32', 'raise context');
    expect(codes(check(model('ratio 0:1\n  train { seq_len 32 }')))).toEqual([]);
  });
});

describe('warnings', () => {
  it('W201: head dims that are not a multiple of 4', () => {
    // mLSTM: I = 64 / 32 heads = 2; sLSTM: embed 24 / 4 heads = 6
    expectDiagnostic(model('mlstm { heads 32 }'), 'W201', 'heads |32');
    expectDiagnostic(mixed('mlstm { heads 2 }', 'vocab 32\n  embed 24\n  context 16\n  blocks 2\n  slstm_at [1]'), 'W201', 'embed |24');
  });

  it('W202: sLSTM head dims above 256 (not mLSTM: the paper uses them)', () => {
    expectDiagnostic(mixed('slstm { heads 1 }', 'vocab 32\n  embed 512\n  context 16\n  blocks 2\n  slstm_at [1]'), 'W202', 'heads |1');
    expect(codes(check(model('mlstm { heads 1 }', 'vocab 32\n  embed 512\n  context 16\n  blocks 2')))).toEqual([]);
  });

  it('W203: context below 2', () => {
    expectDiagnostic(model('', 'vocab 32 embed 32 blocks 2\n  context 1'), 'W203', 'context |1');
  });

  it('W204: norm_eps other than 1e-5', () => {
    expectDiagnostic(model('norm_eps 1e-6'), 'W204', '1e-6', 'fixes eps at 1e-5');
    expect(codes(check(model('norm_eps 1e-5')))).toEqual([]);
  });

  it('W205: proj_factor below 1', () => {
    expectDiagnostic(model('mlstm { proj_factor 0.5 }'), 'W205', '0.5');
    expectDiagnostic(mixed('slstm { ffn { proj_factor 0.75 } }'), 'W205', '0.75');
  });

  it('W208: warmup not shorter than steps', () => {
    expectDiagnostic(model('train { warmup 2000  steps 1000 }'), 'W208', '2000', 'use a warmup below 1000');
    expectDiagnostic(model('train { steps 50 }'), 'W208', '50');
  });

  it('a valid model has no diagnostics at all', () => {
    expect(check(mixed('mlstm { heads 4 }\n  slstm { heads 4 }\n  train { batch 8 }')).diagnostics).toEqual([]);
  });
});
