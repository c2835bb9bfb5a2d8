import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatSource, MAX_ONE_LINE_WIDTH } from '../../grammar/format.js';
import { parseSource } from '../../grammar/parser.js';
import { createRng, type TestRng } from '../helpers/random.js';
import { codes, withoutSpans } from './grammar-helpers.js';

function format(text: string): string {
  const r = formatSource(text, 'f.xlstm');
  expect(codes(r.diagnostics.filter((d) => d.severity === 'error'))).toEqual([]);
  return r.output as string;
}

/** Formatting keeps the meaning (same AST up to spans), keeps every comment in order, and is a fixed point. */
function expectSafeFormat(text: string, context = ''): string {
  const out = format(text);
  const before = parseSource(text, 'f.xlstm').ast;
  const after = parseSource(out, 'f.xlstm').ast;
  expect(withoutSpans({ ...after, comments: [] }), context).toEqual(withoutSpans({ ...before, comments: [] }));
  expect(after.comments.map((c) => c.text), context).toEqual(before.comments.map((c) => c.text));
  expect(format(out), context).toBe(out);
  return out;
}

const CHAR_LM = `// line comments and /* block comments */ anywhere
import "base.xlstm"            // path relative to this file
let d = 128                    // top-level or inside a model body


/// Character LM, xLSTM[7:1]
model CharLm extends Base {    // \`extends\` copies every property/section of Base
  vocab 256
  embed d
  context 256
  blocks 8
  ratio 7:1                    // mLSTM:sLSTM, paper notation
  tie_weights false
  mlstm { heads 4  proj_factor 2.0  conv1d 4  qkv_blocksize 4 }
  slstm {
    heads 4  conv1d 4  bias_init powerlaw_blockdependent  recurrent_init zeros
    ffn { proj_factor 1.3  act gelu }          // \`ffn null\` = no feed-forward
  }
  block 3 { slstm { heads 2 } }                 // per-block override
  train {
    optimizer adamw(lr: 1e-3, weight_decay: 0.1, betas: (0.9, 0.95))
    batch 16  clip 1.0  warmup 100  schedule cosine
  }
}
`;

const CHAR_LM_FORMATTED = `// line comments and /* block comments */ anywhere
import "base.xlstm" // path relative to this file
let d = 128 // top-level or inside a model body

/// Character LM, xLSTM[7:1]
model CharLm extends Base { // \`extends\` copies every property/section of Base
  vocab 256
  embed d
  context 256
  blocks 8
  ratio 7:1 // mLSTM:sLSTM, paper notation
  tie_weights false
  mlstm { heads 4  proj_factor 2.0  conv1d 4  qkv_blocksize 4 }
  slstm {
    heads 4
    conv1d 4
    bias_init powerlaw_blockdependent
    recurrent_init zeros
    ffn { proj_factor 1.3  act gelu } // \`ffn null\` = no feed-forward
  }
  block 3 {
    slstm { heads 2 }
  } // per-block override
  train {
    optimizer adamw(lr: 1e-3, weight_decay: 0.1, betas: (0.9, 0.95))
    batch 16
    clip 1.0
    warmup 100
    schedule cosine
  }
}
`;

const TRAINING = `/* Two models sharing constants.
   The block comment keeps its own line breaks. */
let width=256;let heads=4

model Small{vocab 50304,embed width
  context 1024; blocks 4 slstm_at [1,3]   // explicit placement
  mlstm {
    heads heads // per block
  }
  train { optimizer adamw(
      lr: 3e-4,       // peak
      // decoupled decay
      weight_decay: 0.1,
      betas: (0.9, /* beta2 */ 0.95),
    )
    steps 2*1000+500   clip null
  }
}
model Tiny extends Small { embed width//2  blocks 2 slstm_at all
  dropout 0.1 }
`;

const TRAINING_FORMATTED = `/* Two models sharing constants.
   The block comment keeps its own line breaks. */
let width = 256
let heads = 4

model Small {
  vocab 50304
  embed width
  context 1024
  blocks 4
  slstm_at [1, 3] // explicit placement
  mlstm {
    heads heads // per block
  }
  train {
    optimizer adamw(
      lr: 3e-4, // peak
      // decoupled decay
      weight_decay: 0.1,
      betas: (
        0.9, /* beta2 */
        0.95,
      ),
    )
    steps 2 * 1000 + 500
    clip null
  }
}
model Tiny extends Small {
  embed width//2
  blocks 2
  slstm_at all
  dropout 0.1
}
`;

describe('formatSource', () => {
  it('lays out the language example canonically', () => {
    expect(format(CHAR_LM)).toBe(CHAR_LM_FORMATTED);
  });

  it('puts call arguments with comments one per line and fixes spacing', () => {
    expect(format(TRAINING)).toBe(TRAINING_FORMATTED);
  });

  it('keeps meaning and comments, and is idempotent, on every sample', () => {
    for (const text of [CHAR_LM, TRAINING, CHAR_LM_FORMATTED, TRAINING_FORMATTED]) expectSafeFormat(text);
  });

  it('keeps comments placed anywhere, moving those inside a statement before it', () => {
    const text = 'model /*a*/ A /*b*/ { vocab /*c*/ 256 // d\n  x 1 /* e */ y 2 // f\n  /* g */ }\n// h';
    expect(expectSafeFormat(text)).toBe('/*a*/\n/*b*/\nmodel A {\n  /*c*/\n  vocab 256 // d\n  x 1 /* e */\n  y 2 // f\n  /* g */\n}\n// h\n');
  });

  it('keeps at most one blank line, and none at the start of a body or the file', () => {
    const text = '\n\n\nlet a = 1\n\n\n\nlet b = 2\nmodel M {\n\n  x 1\n\n\n  // c\n\n  y 2\n\n}\n';
    expect(format(text)).toBe('let a = 1\n\nlet b = 2\nmodel M {\n  x 1\n\n  // c\n\n  y 2\n}\n');
  });

  it('keeps a short section on one line only when it was on one line and fits', () => {
    expect(format('model M { s { a 1  b 2 } t {\n a 1 } e { } }')).toBe('model M {\n  s { a 1  b 2 }\n  t {\n    a 1\n  }\n  e {}\n}\n');
    const long = `model M { s { ${Array.from({ length: 20 }, (_, i) => `key${i} ${i}`).join('  ')} } }`;
    expect(format(long).split('\n').every((l) => l.length <= MAX_ONE_LINE_WIDTH)).toBe(true);
    expect(format(long)).toContain('  s {\n    key0 0\n');
    expect(format('model M { s { a 1 t { b 2 } } }')).toBe('model M {\n  s {\n    a 1\n    t { b 2 }\n  }\n}\n');
  });

  it('keeps the source text of number literals and canonical string escapes', () => {
    expect(format('model M { a 1E+5 b 2. c 0.950 d "x\\"y\\\\z\\n" }')).toBe('model M {\n  a 1E+5\n  b 2.\n  c 0.950\n  d "x\\"y\\\\z\\n"\n}\n');
  });

  it('prints only the parentheses precedence needs, and glued `//`', () => {
    const cases: [string, string][] = [
      ['((1 + 2)) * 3', '(1 + 2) * 3'],
      ['1 + (2 * 3)', '1 + 2 * 3'],
      ['(1 - 2) - 3', '1 - 2 - 3'],
      ['1 - (2 - 3)', '1 - (2 - 3)'],
      ['(2 ** 3) ** 2', '(2 ** 3) ** 2'],
      ['2 ** (3 ** 2)', '2 ** 3 ** 2'],
      ['(-2) ** 2', '(-2) ** 2'],
      ['-(2 ** 2)', '-2 ** 2'],
      ['-(a * b)', '-(a * b)'],
      ['- - 1', '- -1'],
      ['not(x)', 'not x'],
      ['a//(b + 1)', 'a//(b + 1)'],
      ['(a:b)', 'a:b'],
      ['f((a:b), (1:2), k: (c:d))', 'f((a:b), 1:2, k: c:d)'],
      ['( 1 , )', '(1,)'],
      ['[ 1 ,2, ]', '[1, 2]'],
    ];
    for (const [src, want] of cases) expect(format(`model M { x ${src} }`), src).toBe(`model M {\n  x ${want}\n}\n`);
  });

  it('refuses a source with syntax errors and returns them', () => {
    const r = formatSource('model M { vocab = 3 }', 'f.xlstm');
    expect(r.output).toBeUndefined();
    expect(codes(r.diagnostics)).toEqual(['E020']);
  });

  it('formats despite warnings and returns them', () => {
    const r = formatSource('model M { embed d // 2\n}', 'f.xlstm');
    expect(codes(r.diagnostics)).toEqual(['W001']);
    expect(r.output).toBe('model M {\n  embed d // 2\n}\n');
  });

  it('formats empty and comment-only files', () => {
    expect(format('')).toBe('');
    expect(format('  \n\n')).toBe('');
    expect(format('// a\n\n\n/* b */')).toBe('// a\n\n/* b */\n');
  });

  it('is safe on the example models', () => {
    const dir = new URL('../../examples/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.xlstm'));
    for (const f of files) expectSafeFormat(readFileSync(new URL(f, dir), 'utf8'), f);
  });

  it('keeps the meaning of random expressions', () => {
    const rng = createRng();
    for (let n = 0; n < 100; n++) {
      const src = randomExpr(rng, 4);
      expectSafeFormat(`model M { x ${src} }`, `seed ${rng.seed}: ${src}`);
    }
  });
});

/** Fully parenthesised random expressions (so the tree is exactly what was drawn), with random spacing. */
function randomExpr(rng: TestRng, depth: number): string {
  const sp = (): string => [' ', '', '  '][rng.int(3)];
  const leaf = (): string => ['1', '2.5', '1e-3', 'a', 'b', 'true', 'null', '"s"'][rng.int(8)];
  if (depth === 0) return leaf();
  const sub = (): string => randomExpr(rng, depth - 1);
  switch (rng.int(7)) {
    case 0:
      return leaf();
    case 1: {
      const op = ['+', '-', '*', '/', '%', '**', '//'][rng.int(7)];
      return op === '//' ? `(${sub()})//(${sub()})` : `(${sub()})${sp()}${op} (${sub()})`;
    }
    case 2:
      return `${['-', '+', 'not '][rng.int(3)]}(${sub()})`;
    case 3:
      return `(${sub()}):(${sub()})`;
    case 4:
      return `[${Array.from({ length: rng.int(3) }, sub).join(`,${sp()}`)}]`;
    case 5:
      return `(${sub()},${sp()}${sub()})`;
    default:
      return `f(${sub()}, k:${sp()}${sub()}, (${sub()}))`;
  }
}
