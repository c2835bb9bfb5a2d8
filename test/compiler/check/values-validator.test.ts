import { describe, expect, it } from 'vitest';
import { check, codes, expectDiagnostic, model, specOf } from './check-helpers.js';

describe('constant evaluation', () => {
  it('evaluates lets and int arithmetic with Python semantics', () => {
    expect(specOf(model('', 'vocab 2 ** 5 + 3 * (4 - 2)\n  embed 32\n  context 16\n  blocks 2')).vocabSize).toBe(38);
    expect(specOf(model('', 'vocab -7//2 + 10\n  embed 32\n  context 16\n  blocks 2')).vocabSize).toBe(6); // floor(-3.5) = -4
    expect(specOf(model('', 'vocab -7 % 3 + 10\n  embed 32\n  context 16\n  blocks 2')).vocabSize).toBe(12); // -7 mod 3 = 2
    expect(specOf(model('', 'vocab 256 / 2\n  embed 32\n  context 16\n  blocks 2')).vocabSize).toBe(128); // exact: stays an int
    const src = 'let d = 64\nlet half = d//2\n' + model('', 'vocab d * 4\n  embed half\n  context d\n  blocks 2');
    const spec = specOf(src);
    expect([spec.vocabSize, spec.embeddingDim, spec.contextLength]).toEqual([256, 32, 64]);
  });

  it('makes an inexact int division a float and accepts floats where floats go', () => {
    expect(specOf(model('dropout 1 / 4')).dropout).toBe(0.25);
    expect(specOf(model('mlstm { proj_factor 3 / 2 }')).mlstm!.projFactor).toBe(1.5);
    expect(specOf(model('mlstm { proj_factor 1 }')).mlstm!.projFactor).toBe(1); // an int widens to a float
  });

  it('scopes lets: model-body and section lets, outer ones visible inside', () => {
    const spec = specOf('let h = 2\nmodel M {\n  let e = 64\n  vocab 32 embed e context 16 blocks 2\n  mlstm { let q = 8  heads h  qkv_blocksize q }\n}\n');
    expect([spec.embeddingDim, spec.mlstm!.numHeads, spec.mlstm!.qkvProjBlocksize]).toEqual([64, 2, 8]);
  });

  it('lets hold enum values, strings and lists; lists concatenate', () => {
    const spec = specOf('let a = swish\nlet at = [1] + [3]\n' + model('slstm { ffn { act a } }', 'vocab 32 embed 32 context 16 blocks 4 slstm_at at'));
    expect(spec.slstm!.ffn!.act).toBe('swish');
    expect(spec.slstmAt).toEqual([1, 3]);
    expect(specOf(model('slstm { ffn { act "relu^2" } }', 'vocab 32 embed 32 context 16 blocks 2 slstm_at [1]')).slstm!.ffn!.act).toBe('relu^2');
    expect(specOf(model('slstm { ffn { act relu2 } }', 'vocab 32 embed 32 context 16 blocks 2 slstm_at [1]')).slstm!.ffn!.act).toBe('relu^2');
  });
});

describe('value diagnostics', () => {
  it('E101: an undefined name, with did-you-mean', () => {
    const src = 'let width = 64\n' + model('', 'vocab 32\n  embed widht\n  context 16\n  blocks 2');
    expectDiagnostic(src, 'E101', 'widht', 'did you mean `width`?');
  });

  it('E101: a name used before its let', () => {
    const src = 'let a = b + 1\nlet b = 2\n' + model('');
    expectDiagnostic(src, 'E101', 'b + 1', 'defined later, at line 2');
  });

  it('E101: an unknown identifier in arithmetic is an undefined name, reported once', () => {
    const src = model('', 'vocab 32\n  embed d * 2\n  context 16\n  blocks 2');
    expectDiagnostic(src, 'E101', 'd * 2');
    expect(codes(check(src))).toEqual(['E101']);
  });

  it('E102: a value of the wrong type', () => {
    expectDiagnostic(model('', 'vocab 32\n  embed [1, 2]\n  context 16\n  blocks 2'), 'E102', '[1, 2]');
    expectDiagnostic(model('tie_weights 1'), 'E102', 'tie_weights |1');
    expectDiagnostic(model('tie_weights True'), 'E102', 'True', 'did you mean `true`?');
    expectDiagnostic(model('slstm_at 1'), 'E102', 'slstm_at |1', 'write `[1]`');
    expectDiagnostic(model('vocab null', 'embed 32 context 16 blocks 2'), 'E102', 'null', 'takes an int');
  });

  it('E103: a float where an int is required, with the reason', () => {
    const src = model('mlstm { heads 130 / 32 }');
    expectDiagnostic(src, 'E103', '130 / 32', '130 / 32 = 4.0625 is not exact; for integer division write `130//32`');
    expectDiagnostic(model('', 'vocab 32\n  embed 32.0\n  context 16\n  blocks 2'), 'E103', '32.0', 'write 32 without the decimal point');
    expectDiagnostic(model('ratio 1.5:1', 'vocab 32 embed 32 context 16 blocks 2'), 'E103', '1.5');
  });

  it('E107: division and modulo by zero', () => {
    expectDiagnostic(model('', 'vocab 4 / 0\n  embed 32 context 16 blocks 2'), 'E107', '4 / 0');
    expectDiagnostic(model('', 'vocab 4 % (1 - 1)\n  embed 32 context 16 blocks 2'), 'E107', '4 % (1 - 1)');
    expectDiagnostic(model('', 'vocab 4//0\n  embed 32 context 16 blocks 2'), 'E107', '4//0');
  });

  it('E108: operators on values they do not take', () => {
    expectDiagnostic(model('', 'vocab true + 1\n  embed 32 context 16 blocks 2'), 'E108', 'true');
    expectDiagnostic(model('tie_weights not 3'), 'E108', 'not |3');
    expectDiagnostic(model('', 'vocab [1] * 2\n  embed 32 context 16 blocks 2'), 'E108', '[1]');
  });

  it('E109: numbers beyond 2^53 or not finite', () => {
    expectDiagnostic(model('', 'vocab 2 ** 60\n  embed 32 context 16 blocks 2'), 'E109', '2 ** 60');
    expectDiagnostic(model('dropout 10.0 ** 400'), 'E109', '10.0 ** 400');
  });

  it('E110: a let declared twice in one scope (shadowing an outer one is fine)', () => {
    expectDiagnostic('let a = 1\nlet a = 2\n' + model(''), 'E110', 'a', 'first declared at line 1', { nth: 1 });
    expect(codes(check('let a = 1\nmodel M {\n  let a = 32\n  vocab a embed a context 16 blocks 2\n}\n'))).toEqual([]);
  });

  it('W207: a model-body let that nothing uses', () => {
    expectDiagnostic('model M {\n  let spare = 3\n  vocab 32 embed 32 context 16 blocks 2\n}\n', 'W207', 'spare');
  });
});
