import { describe, expect, it } from 'vitest';
import { check, codes, expectDiagnostic, model, specOf } from './check-helpers.js';

describe('keys and sections', () => {
  it('E105: unknown keys, with did-you-mean, the official spelling, or the scope they belong to', () => {
    expectDiagnostic(model('', 'vocab 32\n  embd 32\n  context 16\n  blocks 2'), 'E105', 'embd', 'did you mean `embed`?');
    expectDiagnostic(model('mlstm { num_heads 2 }'), 'E105', 'num_heads', 'the official `num_heads` is written `heads` here');
    expectDiagnostic(model('heads 4'), 'E105', 'heads', 'is a key of mlstm { } or slstm { }');
    expectDiagnostic(model('zzz 1'), 'E105', 'zzz', 'a model body takes vocab, embed');
    expectDiagnostic(model('block 1 { heads 2 }'), 'E105', 'heads', 'a block override holds layer sections: `block N { mlstm { heads .. } }`');
    expectDiagnostic(model('block 1 { act relu }'), 'E105', 'act', '`block N { slstm { ffn { act .. } } }`');
  });

  it('E101: a key read as a value (the previous key lost its value across a line break)', () => {
    expectDiagnostic('model M {\n  vocab 32\n  embed\n  context 16 blocks 2\n}\n', 'E101', 'context', '`context` is a key: does `embed` lack its value?');
  });

  it('E105: model-wide keys cannot be set in a block override', () => {
    const src = model('block 1 { slstm { backend cuda } }', 'vocab 32 embed 32 context 16 blocks 2 slstm_at [1]');
    expectDiagnostic(src, 'E105', 'backend', "set it in the model's slstm { }");
  });

  it('E106: a key, section or block override set twice', () => {
    expectDiagnostic(model('', 'vocab 32\n  embed 32\n  embed 64\n  context 16\n  blocks 2'), 'E106', 'embed', 'first set at line 3', { nth: 1 });
    expectDiagnostic(model('mlstm { heads 2 }\n  mlstm { heads 4 }'), 'E106', 'mlstm', 'first set at line 6', { nth: 1 });
    expectDiagnostic(model('block 1 { mlstm { heads 2 } }\n  block [0, 1] { mlstm { heads 4 } }'), 'E106', '0, |1]', 'first set at line 6');
    expectDiagnostic(model('train { optimizer adamw(lr: 1e-3)  lr 3e-3 }'), 'E106', '|lr 3e-3', 'first set at line 6');
  });

  it('E104: unknown enum values, with did-you-mean and the accepted values', () => {
    const src = model('slstm { ffn { act gleu } }', 'vocab 32 embed 32 context 16 blocks 2 slstm_at [1]');
    expectDiagnostic(src, 'E104', 'gleu', 'did you mean `gelu`?');
    expectDiagnostic(model('slstm { bias_init powerlaw }'), 'E104', 'powerlaw', 'did you mean `powerlaw_blockdependent`?');
    expectDiagnostic(model('precision fp32'), 'E104', 'fp32', 'did you mean `f32`?');
    expectDiagnostic(model('train { schedule "cosin" }'), 'E104', '"cosin"', 'takes cosine, linear or constant');
  });

  it('E111: unknown functions and arguments', () => {
    expectDiagnostic(model('train { optimizer adamw(lr: 1e-3, betaz: (0.9, 0.95)) }'), 'E111', 'betaz', 'did you mean `betas`?');
    expectDiagnostic(model('train { optimizer adamv(lr: 1e-3) }'), 'E111', 'adamv', 'did you mean `adamw`?');
    expectDiagnostic(model('train { optimizer adamw(1e-3, 0.1, (0.9, 0.95), 1e-8, 5) }'), 'E111', '1e-8, |5', 'adamw takes lr, weight_decay, betas or eps');
  });

  it('the optimizer call sets lr, weight_decay, betas and eps (named or positional)', () => {
    const named = specOf(model('train { optimizer adamw(lr: 3e-3, betas: (0.9, 0.99), eps: 1e-6, weight_decay: 0.01) }')).train;
    expect([named.lr, named.betas, named.eps, named.weightDecay]).toEqual([3e-3, [0.9, 0.99], 1e-6, 0.01]);
    const positional = specOf(model('train { optimizer adamw(2e-3, 0.2) }')).train;
    expect([positional.lr, positional.weightDecay]).toEqual([2e-3, 0.2]);
    const keys = specOf(model('train { optimizer adamw  lr 5e-4  betas [0.8, 0.9] }')).train;
    expect([keys.lr, keys.betas]).toEqual([5e-4, [0.8, 0.9]]);
  });

  it('E112: a section written as a value, or a value given a body', () => {
    expectDiagnostic(model('mlstm 4'), 'E112', 'mlstm |4', 'write `mlstm { ... }`');
    expectDiagnostic(model('', 'vocab { }\n  embed 32 context 16 blocks 2'), 'E112', 'vocab', 'write `vocab <value>`');
    expectDiagnostic(model('slstm { ffn 3 }'), 'E112', 'ffn |3', '`ffn null` for none');
  });

  it('E113: block needs an index; other sections take no argument', () => {
    expectDiagnostic(model('block { mlstm { heads 2 } }'), 'E113', 'block {', 'write `block 3 { ... }`');
    expectDiagnostic(model('mlstm 2 { heads 2 }'), 'E113', 'mlstm |2');
    expectDiagnostic(model('block -1 { mlstm { heads 2 } }'), 'E113', '-1', 'numbered from 0');
  });

  it('E210: ratio and slstm_at in the same body', () => {
    const src = model('', 'vocab 32 embed 32 context 16 blocks 2\n  ratio 1:1\n  slstm_at [1]');
    expectDiagnostic(src, 'E210', 'slstm_at', '`ratio` is at line 3');
  });

  it('one mistake gives one diagnostic: an invalid value does not cascade into the rules that use it', () => {
    // embed is invalid: the head-divisibility rules that read it stay quiet
    const r = check(model('slstm { heads 3 }', 'vocab 32 embed 3.5 context 16 blocks 2 slstm_at [1]'));
    expect(codes(r)).toEqual(['E103']);
    expect(r.models).toEqual([]);
  });
});
