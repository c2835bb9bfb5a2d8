import { describe, expect, it } from 'vitest';
import { check, codes, expectDiagnostic, MAIN, specOf } from './check-helpers.js';

const BASE = `let width = 32
model Base {
  vocab 32
  embed width
  context 16
  blocks 2
  slstm_at [1]
  mlstm { heads 2  conv1d 2 }
  slstm { heads 4  ffn { act swish } }
}
`;

describe('imports and extends', () => {
  it('imports models and top-level lets; extends overrides keys and merges sections key by key', () => {
    const src = 'import "lib/base.xlstm"\nmodel Big extends Base {\n  embed width * 2\n  mlstm { heads 4 }\n}\n';
    const spec = specOf(src, { 'lib/base.xlstm': BASE });
    expect(spec.name).toBe('Big');
    expect(spec.embeddingDim).toBe(64);
    expect(spec.mlstm).toMatchObject({ numHeads: 4, convKernel: 2 }); // heads overridden, conv1d inherited
    expect(spec.slstm!.ffn!.act).toBe('swish');
    expect(spec.slstmAt).toEqual([1]);
  });

  it('resolves import paths relative to the importing file', () => {
    const files = { 'lib/base.xlstm': BASE, 'lib/mid.xlstm': 'import "base.xlstm"\nmodel Mid extends Base { vocab 64 }\n' };
    const spec = specOf('import "./lib/sub/../mid.xlstm"\nmodel Top extends Mid { context 8 }\n', files);
    expect([spec.vocabSize, spec.contextLength, spec.embeddingDim]).toEqual([64, 8, 32]);
  });

  it('setting ratio in a derived model replaces the base slstm_at; `ffn null` replaces the section', () => {
    const spec = specOf('import "base.xlstm"\nmodel D extends Base {\n  blocks 4\n  ratio 1:1\n  slstm { ffn null }\n}\n', { 'base.xlstm': BASE });
    expect(spec.slstmAt).toEqual([1, 3]);
    expect(spec.slstm!.ffn).toBeNull();
  });

  it('reports an imported file’s mistakes in that file, and keeps its text for excerpts', () => {
    const r = check('import "b.xlstm"\nmodel M extends B { }\n', { 'b.xlstm': 'model B {\n  vocab 32 embed 32 context 16 blocks 2\n  mlstm { heads 3 }\n}\n' });
    expect(r.diagnostics.map((d) => [d.code, d.span.file, d.span.line])).toEqual([['E202', 'b.xlstm', 3]]);
    expect(r.sources.get('b.xlstm')).toContain('heads 3');
    expect(r.models).toEqual([]);
  });

  it('E120: an import that cannot be read', () => {
    expectDiagnostic('import "nope.xlstm"\n', 'E120', 'import', 'resolved to nope.xlstm');
  });

  it('E121: an import cycle, reported at the import that closes it', () => {
    const files = { 'a.xlstm': 'import "main.xlstm"\n' };
    const d = expectDiagnostic('import "a.xlstm"\nmodel M { vocab 32 embed 32 context 16 blocks 2 }\n', 'E121', 'import', undefined, { files, file: 'a.xlstm' });
    expect(d.message).toContain(`${MAIN} → a.xlstm → ${MAIN}`);
  });

  it('E122: two models with one name', () => {
    const m = 'model M { vocab 32 embed 32 context 16 blocks 2 }\n';
    expectDiagnostic(m + m, 'E122', 'M', 'the other one is at main.xlstm:1', { nth: 1 });
    expectDiagnostic('import "b.xlstm"\n' + m, 'E122', 'M', 'the other one is at b.xlstm:1', { files: { 'b.xlstm': m } });
  });

  it('E123: extends names an unknown model', () => {
    expectDiagnostic('model Base { vocab 32 embed 32 context 16 blocks 2 }\nmodel D extends Bsae { }\n', 'E123', 'Bsae', 'did you mean `Base`?');
  });

  it('E124: an extends cycle', () => {
    const src = 'model A extends B { vocab 32 embed 32 context 16 blocks 2 }\nmodel B extends A { }\n';
    const r = check(src);
    expect(codes(r)).toEqual(['E124']);
    expect(r.diagnostics[0]!.message).toMatch(/extends cycle: (A → B → A|B → A → B)/);
  });

  it('W209: a file imported twice; a constant shadowing an imported one; two imports defining one name', () => {
    const files = { 'a.xlstm': 'let w = 32\n', 'b.xlstm': 'let w = 64\n' };
    const m = 'model M { vocab 32 embed w context 16 blocks 2 }\n';
    expectDiagnostic('import "a.xlstm"\nimport "a.xlstm"\n' + m, 'W209', 'import', 'remove the second import', { files, nth: 1 });
    expectDiagnostic('import "a.xlstm"\nlet w = 48\n' + m, 'W209', '|w = 48', undefined, { files });
    const both = 'import "a.xlstm"\nimport "b.xlstm"\n' + m;
    expectDiagnostic(both, 'W209', 'import', 'the first one (a.xlstm) is used', { files, nth: 1 });
    expect(specOf(both, files).embeddingDim).toBe(32);
  });

  it('W210: a checked file without models', () => {
    const r = check('let x = 1\n');
    expect(codes(r)).toEqual(['W210']);
    expect([r.diagnostics[0]!.span.line, r.diagnostics[0]!.span.col]).toEqual([1, 1]);
  });

  it('checks models declared in the file only; imported models are not in the result', () => {
    const r = check('import "base.xlstm"\nmodel D extends Base { }\n', { 'base.xlstm': BASE });
    expect(r.models.map((m) => m.name)).toEqual(['D']);
    expect(r.declared).toEqual(['D']);
  });
});
