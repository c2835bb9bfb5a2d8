import { describe, expect, it } from 'vitest';
import type { Expr, ModelDecl, Property, Section } from '../../grammar/ast.js';
import { MAX_NESTING } from '../../grammar/brackets.js';
import { MAX_OPERATORS } from '../../grammar/cst-to-ast.js';
import { MAX_ERRORS, MAX_SOURCE_CHARS, MAX_TOKENS, parseSource } from '../../grammar/parser.js';
import { createRng } from '../helpers/random.js';
import { at, codes, only, withoutSpans } from './grammar-helpers.js';

const parse = (text: string) => parseSource(text, 'p.xlstm');

/** The value of `x` in `model M { x <expr> }`, spans removed. */
function value(expr: string): unknown {
  const r = parse(`model M { x ${expr} }`);
  expect(r.diagnostics).toEqual([]);
  return withoutSpans((r.ast.models[0].body[0] as Property).value);
}

const int = (v: number) => ({ kind: 'int', value: v, text: String(v) });
const id = (name: string) => ({ kind: 'ident', name });
const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'binary', op, left, right });
const neg = (operand: unknown) => ({ kind: 'unary', op: '-', operand });

describe('parser: constructs', () => {
  it('parses imports, top-level lets and models with extends, properties, sections and lets', () => {
    const r = parse(`import "base.xlstm"
let d = 128
model CharLm extends Base {
  vocab 256; embed d,
  mlstm { heads 4 }
  block 3 { slstm { heads 2 } }
  let h = 2
  ffn null
}`);
    expect(r.diagnostics).toEqual([]);
    expect(withoutSpans(r.ast)).toEqual({
      file: 'p.xlstm',
      imports: [{ kind: 'import', path: 'base.xlstm' }],
      lets: [{ kind: 'let', name: { text: 'd' }, value: int(128) }],
      models: [
        {
          kind: 'model',
          name: { text: 'CharLm' },
          extends: { text: 'Base' },
          body: [
            { kind: 'property', key: { text: 'vocab' }, value: int(256) },
            { kind: 'property', key: { text: 'embed' }, value: id('d') },
            { kind: 'section', key: { text: 'mlstm' }, body: [{ kind: 'property', key: { text: 'heads' }, value: int(4) }] },
            {
              kind: 'section', key: { text: 'block' }, arg: int(3),
              body: [{ kind: 'section', key: { text: 'slstm' }, body: [{ kind: 'property', key: { text: 'heads' }, value: int(2) }] }],
            },
            { kind: 'let', name: { text: 'h' }, value: int(2) },
            { kind: 'property', key: { text: 'ffn' }, value: { kind: 'null' } },
          ],
        },
      ],
      comments: [],
    });
  });

  it('gives every node an accurate span', () => {
    const text = 'import "b.xlstm"\nmodel CharLm {\n  vocab 256\n  mlstm { heads 4 }\n  optimizer adamw(lr: 1e-3)\n}\n';
    const { ast } = parse(text);
    const m = ast.models[0];
    expect(at(ast.imports[0].span)).toBe('1:1-1:17');
    expect([at(m.span), at(m.name.span)]).toEqual(['2:1-6:2', '2:7-2:13']);
    const [vocab, mlstm, opt] = m.body as [Property, Section, Property];
    expect([at(vocab.span), at(vocab.key.span), at(vocab.value.span)]).toEqual(['3:3-3:12', '3:3-3:8', '3:9-3:12']);
    expect([at(mlstm.span), at(mlstm.body[0].span)]).toEqual(['4:3-4:20', '4:11-4:18']);
    const call = opt.value as Extract<Expr, { kind: 'call' }>;
    expect([at(call.span), at(call.callee.span), at(call.args[0].span), at(call.args[0].value.span)]).toEqual(['5:13-5:28', '5:13-5:18', '5:19-5:27', '5:23-5:27']);
    expect(text.slice(call.span.startOffset, call.span.endOffset)).toBe('adamw(lr: 1e-3)');
    expect(at(ast.span)).toBe('1:1-7:1');
  });

  it('spans of operators cover their operands, parentheses included', () => {
    const text = 'model M { x (a + b) * -c }';
    const v = (parse(text).ast.models[0].body[0] as Property).value as Extract<Expr, { kind: 'binary' }>;
    expect(text.slice(v.span.startOffset, v.span.endOffset)).toBe('(a + b) * -c');
    expect(text.slice(v.left.span.startOffset, v.left.span.endOffset)).toBe('(a + b)');
    expect(text.slice(v.right.span.startOffset, v.right.span.endOffset)).toBe('-c');
  });

  it('parses every literal kind', () => {
    expect(value('1.5')).toEqual({ kind: 'float', value: 1.5, text: '1.5' });
    expect(value('1e-3')).toEqual({ kind: 'float', value: 0.001, text: '1e-3' });
    expect(value('2.')).toEqual({ kind: 'float', value: 2, text: '2.' });
    expect(value('true')).toEqual({ kind: 'bool', value: true });
    expect(value('false')).toEqual({ kind: 'bool', value: false });
    expect(value('"relu^2"')).toEqual({ kind: 'string', value: 'relu^2' });
    expect(value('gelu')).toEqual(id('gelu'));
    expect(value('null')).toEqual({ kind: 'null' });
  });

  it('applies precedence: `:` < `+ -` < `* / // %` < prefixes < `**`', () => {
    expect(value('1 + 2 * 3')).toEqual(bin('+', int(1), bin('*', int(2), int(3))));
    expect(value('1 - 2 - 3')).toEqual(bin('-', bin('-', int(1), int(2)), int(3)));
    expect(value('a//2 % 3')).toEqual(bin('%', bin('//', id('a'), int(2)), int(3)));
    expect(value('2 ** 3 ** 2')).toEqual(bin('**', int(2), bin('**', int(3), int(2))));
    expect(value('-2 ** 2')).toEqual(neg(bin('**', int(2), int(2))));
    expect(value('2 ** -1')).toEqual(bin('**', int(2), neg(int(1))));
    expect(value('-a * b')).toEqual(bin('*', neg(id('a')), id('b')));
    expect(value('not a')).toEqual({ kind: 'unary', op: 'not', operand: id('a') });
    expect(value('(1 + 2) * 3')).toEqual(bin('*', bin('+', int(1), int(2)), int(3)));
    expect(value('7:1')).toEqual({ kind: 'ratio', left: int(7), right: int(1) });
    expect(value('a + 1:2 * b')).toEqual({ kind: 'ratio', left: bin('+', id('a'), int(1)), right: bin('*', int(2), id('b')) });
  });

  it('parses lists, tuples, groups and calls', () => {
    expect(value('[3]')).toEqual({ kind: 'list', items: [int(3)] });
    expect(value('[1, 2,]')).toEqual({ kind: 'list', items: [int(1), int(2)] });
    expect(value('[]')).toEqual({ kind: 'list', items: [] });
    expect(value('(0.9, 0.95)')).toEqual({ kind: 'tuple', items: [{ kind: 'float', value: 0.9, text: '0.9' }, { kind: 'float', value: 0.95, text: '0.95' }] });
    expect(value('(1,)')).toEqual({ kind: 'tuple', items: [int(1)] });
    expect(value('()')).toEqual({ kind: 'tuple', items: [] });
    expect(value('(1)')).toEqual(int(1));
    expect(value('adamw(1, lr: 2, b: x:y, (c:d))')).toEqual({
      kind: 'call',
      callee: { text: 'adamw' },
      args: [
        { value: int(1) },
        { name: { text: 'lr' }, value: int(2) },
        { name: { text: 'b' }, value: { kind: 'ratio', left: id('x'), right: id('y') } },
        { value: { kind: 'ratio', left: id('c'), right: id('d') } },
      ],
    });
    expect(value('f()')).toEqual({ kind: 'call', callee: { text: 'f' }, args: [] });
  });

  it('ends a property where its expression cannot continue, across lines', () => {
    const r = parse('model M { heads 4  proj_factor 2.0\n conv1d\n 4 slstm_at [3] }');
    expect(withoutSpans(r.ast.models[0].body)).toEqual([
      { kind: 'property', key: { text: 'heads' }, value: int(4) },
      { kind: 'property', key: { text: 'proj_factor' }, value: { kind: 'float', value: 2, text: '2.0' } },
      { kind: 'property', key: { text: 'conv1d' }, value: int(4) },
      { kind: 'property', key: { text: 'slstm_at' }, value: { kind: 'list', items: [int(3)] } },
    ]);
  });

  it('keeps comments in source order', () => {
    const r = parse('// a\nmodel M { /* b */ x 1 } // c');
    expect(r.ast.comments.map((c) => c.text)).toEqual(['// a', '/* b */', '// c']);
  });
});

describe('parser: errors and recovery', () => {
  it('reports two typos in one file separately and keeps everything else', () => {
    const r = parse('model M {\n  vocab = 256\n  embed 128\n  mlstm { heads 4 proj_factor }\n  blocks 8\n}\n');
    expect(codes(r.diagnostics)).toEqual(['E020', 'E020']);
    expect(r.diagnostics.map((d) => at(d.span))).toEqual(['2:9-2:10', '4:31-4:32']);
    expect(r.diagnostics[0].message).toBe('expected a value after `vocab`, found `=`');
    expect(r.diagnostics[0].hint).toMatch(/without `=`/);
    const m = r.ast.models[0];
    expect(m.incomplete).toBe(true);
    expect(m.body.map((s) => (s.kind === 'let' ? s.name.text : s.key.text))).toEqual(['embed', 'mlstm', 'blocks']);
    const mlstm = m.body[1] as Section;
    expect([mlstm.incomplete, mlstm.body.length]).toEqual([true, 1]);
  });

  it('reports errors in two models and in expressions', () => {
    const r = parse('model A { x [1 2] y 3 }\nmodel B { z 1 + }');
    expect(codes(r.diagnostics)).toEqual(['E021', 'E020']);
    expect(r.diagnostics[0].message).toBe('expected `,` or `]` in the list, found `2`');
    expect(r.diagnostics[1].message).toBe('expected a value after `+`, found `}`');
    expect(r.ast.models.map((m) => [m.name.text, m.body.length, m.incomplete])).toEqual([['A', 1, true], ['B', 0, true]]);
  });

  it('reports one error per typo, not the cascade recovery leaves behind', () => {
    for (const [text, code] of [
      ['model A { x [1,, 2] y 2 }', 'E021'],
      ['model A { x f(a b) z 1 }', 'E021'],
      ['model A { x 1 @ 3 }', 'E001'],
      ['model A { vocab = 256 }', 'E020'],
    ]) {
      expect(codes(parse(text).diagnostics), text).toEqual([code]);
    }
    expect(codes(parse('model A { vocab 3 @ embed = 4 }').diagnostics)).toEqual(['E001', 'E020']);
  });

  it('drops a property containing a lexer error rather than guessing its value', () => {
    const r = parse('model M { dropout .5 vocab 3 }');
    expect(codes(r.diagnostics)).toEqual(['E001']);
    expect(withoutSpans(r.ast.models[0].body)).toEqual([{ kind: 'property', key: { text: 'vocab' }, value: int(3) }]);
  });

  it('E002, E004, E005 come through parseSource and drop their statements', () => {
    expect(codes(parse('model M { a "x\n b 1 }').diagnostics)).toEqual(['E002']);
    expect(codes(parse('model M { a "\\q" }').diagnostics)).toEqual(['E004']);
    const r = parse('model M { a 1e }');
    expect(codes(r.diagnostics)).toEqual(['E005']);
    expect(r.ast.models[0].body).toEqual([]);
  });

  it('E010: an unclosed bracket names what it opened and where', () => {
    const d = only(parse('// x\nmodel CharLm {\n  vocab 256\n').diagnostics, 'E010');
    expect(d.message).toBe('expected `}` to close `model CharLm` opened at 2:14, found end of file');
    expect(at(d.span)).toBe('3:12-3:12');
    const s = only(parse('model M {\n  mlstm { heads 4\n').diagnostics, 'E010');
    expect(s.message).toBe('expected `}` to close `mlstm {` opened at 2:9, found end of file');
    const m = only(parse('model M { opt adamw(lr: 1 }').diagnostics, 'E010');
    expect([m.message, at(m.span)]).toEqual(['expected `)` to close `adamw(` opened at 1:20, found `}`', '1:27-1:28']);
  });

  it('E011: a closing bracket with nothing to close', () => {
    const r = parse('model M { a 1 ) b 2 }');
    const d = only(r.diagnostics, 'E011');
    expect([d.message, at(d.span)]).toEqual(['unexpected `)`', '1:15-1:16']);
    expect(r.ast.models[0].body.length).toBe(2);
  });

  it('E012: nesting deeper than the limit is refused before parsing', () => {
    const ok = `model M { x ${'['.repeat(MAX_NESTING - 1)}1${']'.repeat(MAX_NESTING - 1)} }`;
    expect(parse(ok).diagnostics).toEqual([]);
    const d = only(parse(`model M { x ${'('.repeat(MAX_NESTING)}1${')'.repeat(MAX_NESTING)} }`).diagnostics, 'E012');
    expect(at(d.span)).toBe(`1:${13 + MAX_NESTING - 1}-1:${13 + MAX_NESTING}`);
  });

  it('E013: too many tokens, or too many characters, are refused', () => {
    const d = only(parse('x '.repeat(MAX_TOKENS + 1)).diagnostics, 'E013');
    expect(d.span.startOffset).toBe(2 * MAX_TOKENS);
    expect(only(parse(' '.repeat(MAX_SOURCE_CHARS + 1)).diagnostics, 'E013').message).toMatch(/too large/);
  });

  it('E020: a key without a value, at the token after it', () => {
    const d = only(parse('model M { tie_weights }').diagnostics, 'E020');
    expect([d.message, at(d.span)]).toEqual(['expected a value after `tie_weights`, found `}`', '1:23-1:24']);
    expect(only(parse('let y =').diagnostics, 'E020').message).toBe('expected a value after `let y =`, found end of file');
  });

  it('E021: a missing name, `=`, `{` or path', () => {
    expect(only(parse('model { a 1 }').diagnostics, 'E021').message).toBe('expected a model name after `model`, found `{`');
    expect(only(parse('model A extends { a 1 }').diagnostics, 'E021').message).toBe('expected the name of a model after `extends`, found `{`');
    expect(only(parse('model A').diagnostics, 'E021').message).toBe('expected `{` after `model A`, found end of file');
    expect(only(parse('let x 5').diagnostics, 'E021').message).toBe('expected `=` after `let x`, found `5`');
    expect(only(parse('let = 5').diagnostics, 'E021').message).toBe('expected a name after `let`, found `=`');
    expect(only(parse('import base').diagnostics, 'E021').hint).toMatch(/import "base.xlstm"/);
    const r = parse('model A extends { a 1 }');
    expect([r.ast.models[0].incomplete, r.ast.models[0].body.length]).toEqual([true, 1]);
  });

  it('E022: input that cannot start a statement, at top level or in a body', () => {
    const top = only(parse('vocab 3\nmodel A { blocks 2 }').diagnostics, 'E022');
    expect([top.message, at(top.span)]).toEqual(['unexpected `vocab` at top level; expected `model`, `let` or `import`', '1:1-1:6']);
    expect(only(parse('modle A { blocks 2 }').diagnostics, 'E022').hint).toBe('did you mean `model`?');
    const body = parse('model A { 256 b 2 }');
    expect(only(body.diagnostics, 'E022').message).toBe('unexpected `256`; expected a property, a section or `let`');
    expect(body.ast.models[0].body.length).toBe(1);
    expect(only(parse('model A { model B { } }').diagnostics, 'E022').hint).toMatch(/cannot be nested/);
  });

  it('E023: an expression with too many operators is refused', () => {
    expect(parse(`model M { x ${'1+'.repeat(MAX_OPERATORS)}1 }`).diagnostics).toEqual([]);
    const d = only(parse(`model M { x ${'1+'.repeat(MAX_OPERATORS + 1)}1 }`).diagnostics, 'E023');
    expect(d.message).toBe(`expression has ${MAX_OPERATORS + 1} operators; the limit is ${MAX_OPERATORS}`);
  });

  it('E024: a chained ratio', () => {
    const d = only(parse('model M { ratio 1:2:3 }').diagnostics, 'E024');
    expect(at(d.span)).toBe('1:20-1:21');
    expect(parse('model M { ratio (1:2):3 }').diagnostics).toEqual([]);
  });

  it('E029: after MAX_ERRORS errors the rest are counted on one line', () => {
    const r = parse('model M {\n' + 'a = 1\n'.repeat(MAX_ERRORS + 5) + '}');
    expect(r.diagnostics.length).toBe(MAX_ERRORS + 1);
    expect(r.diagnostics[MAX_ERRORS]).toMatchObject({ code: 'E029', message: 'too many syntax errors; 5 more not shown' });
  });
});

describe('parser: hostile input', () => {
  const hostile: Record<string, () => string> = {
    empty: () => '',
    'binary garbage': () => {
      const rng = createRng();
      return Array.from({ length: MAX_SOURCE_CHARS - 1 }, () => String.fromCharCode(rng.int(256))).join('');
    },
    'unbalanced braces': () => '{ model A { } } } ) ] ( [ {'.repeat(1000),
    '1 MB of text': () => 'model A { vocab 256 embed 128 mlstm { heads 4 } }\n'.repeat(20_000),
    'a 25 KB model file': () => 'model A { vocab 256 embed 128 mlstm { heads 4 } }\n'.repeat(500),
    '10,000 nested parentheses': () => `model A { x ${'('.repeat(10_000)}1${')'.repeat(10_000)} }`,
    '10,000 nested brackets': () => '['.repeat(10_000),
    '10,000 nested braces': () => '{'.repeat(10_000) + '}'.repeat(10_000),
    '30,000 closing braces': () => '}'.repeat(30_000),
    '50,000 prefix operators': () => `model A { x ${'- not '.repeat(25_000)}1 }`,
    'a long `**` chain': () => `model A { x ${'2 ** '.repeat(30_000)}1 }`,
    'stray tokens': () => 'model A { = = = ) ( , : ; } } ] let import model extends'.repeat(2_000),
    'random token soup': () => {
      const rng = createRng();
      const words = ['{', '}', '(', ')', '[', ']', 'model', 'let', '=', 'x', '1', ',', ':', 'import', '"s"', '-', '**', 'extends'];
      return Array.from({ length: 40_000 }, () => words[rng.int(words.length)]).join(' ');
    },
  };
  for (const [name, make] of Object.entries(hostile)) {
    it(`${name}: no exception, an answer in under a second`, () => {
      const text = make();
      const t0 = performance.now();
      const r = parse(text);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(codes(r.diagnostics)).not.toContain('E099');
      expect(r.ast.file).toBe('p.xlstm');
    });
  }
});
