import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'xlstm.js');

const TWO_MODELS = `
model Tiny {
  vocab 32
  embed 32
  context 16
  blocks 2 slstm_at [1]
  mlstm { heads 4 }
  slstm { heads 4 }
}
model Single {
  vocab 48
  embed 64
  context 8
  blocks 1
}
`;

let dir: string;

function xlstm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'compiler', 'cli', 'compile.js'))) throw new Error('build first: npx tsc -p tsconfig.build.json');
  dir = mkdtempSync(join(tmpdir(), 'xlstm-compile-'));
  writeFileSync(join(dir, 'two.xlstm'), TWO_MODELS);
  writeFileSync(join(dir, 'bad.xlstm'), TWO_MODELS.replace('slstm { heads 4 }', 'slstm { heads 5 }'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xlstm compile --emit ir', () => {
  it('prints the IR of every model at the requested sizes', () => {
    const r = xlstm('compile', 'two.xlstm', '--emit', 'ir', '--batch', '2', '--seq', '5');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('ir '))).toEqual([
      'ir Tiny: batch 2, seq 5, mLSTM form parallel',
      'ir Single: batch 2, seq 5, mLSTM form parallel',
    ]);
    // Single, by hand: norm 64, skip 128, proj_up 256·64, q/k/v 3·32·4·4, conv 128·4 + 128, gates 2·(4·384 + 4),
    // outnorm 128, proj_down 64·128, post norm 64, embedding and head 2·48·64
    expect(r.stdout).toContain(`  parameters: ${64 + 128 + 256 * 64 + 3 * 32 * 16 + 640 + 2 * 1540 + 128 + 64 * 128 + 64 + 2 * 48 * 64} in 17 tensors`);
    expect(r.stdout).toMatch(/= lm_head\(%\d+, @lm_head\.weight\) \{vocabSize: 48, dim: 64, tied: false\} : f32\[2,5,48\]  # lm_head/);
  });

  it('selects one model, with a suggestion for a misspelt name', () => {
    const r = xlstm('compile', 'two.xlstm', '--emit', 'ir', '--model', 'Single', '--mlstm-form', 'recurrent');
    expect(r.status).toBe(0);
    // the defaults come from the model: train batch, and the context as sequence length
    expect(r.stdout.split('\n')[0]).toMatch(/^ir Single: batch \d+, seq 8, mLSTM form recurrent$/);
    expect(r.stdout).not.toContain('ir Tiny');
    const typo = xlstm('compile', 'two.xlstm', '--emit', 'ir', '--model', 'Singel');
    expect(typo.status).toBe(1);
    expect(typo.stderr).toBe('xlstm: two.xlstm: no model named Singel (did you mean Single?); it declares Tiny, Single\n');
  });

  it('writes <dir>/<model>.ir.txt with -o, the same text as printed, and no temporary files', () => {
    const printed = xlstm('compile', 'two.xlstm', '--emit', 'ir', '--model', 'Tiny', '--batch', '1', '--seq', '3').stdout;
    const r = xlstm('compile', 'two.xlstm', '--emit', 'ir', '--batch', '1', '--seq', '3', '-o', 'gen/ir');
    expect(r.status).toBe(0);
    expect(readdirSync(join(dir, 'gen', 'ir')).sort()).toEqual(['Single.ir.txt', 'Tiny.ir.txt']);
    expect(readFileSync(join(dir, 'gen', 'ir', 'Tiny.ir.txt'), 'utf8')).toBe(printed);
  });

  it('renders diagnostics and writes nothing when the source has errors', () => {
    const r = xlstm('compile', 'bad.xlstm', '--emit', 'ir', '-o', 'never');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^bad\.xlstm:\d+:\d+: error\[E\d+\]: /);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^xlstm: bad\.xlstm: \d+ errors?; nothing compiled$/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('asks for an output directory for the module, and rejects bad flags as usage errors', () => {
    const r = xlstm('compile', 'two.xlstm');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('xlstm: --emit module writes files: give the output directory with -o <dir>\n');
    expect(xlstm('compile', 'two.xlstm', '--emit', 'wgsl').status).toBe(2);
    expect(xlstm('compile', 'two.xlstm', '--emit', 'ir', '--batch', '0').status).toBe(2);
    expect(xlstm('compile', 'two.xlstm', '--emit', 'ir', '--seq', '2.5').status).toBe(2);
    expect(xlstm('compile', 'two.xlstm', '--emit', 'asm').status).toBe(2);
  });

  it('refuses an output path that is a file', () => {
    writeFileSync(join(dir, 'occupied'), 'x');
    const r = xlstm('compile', 'two.xlstm', '--emit', 'ir', '-o', 'occupied');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('xlstm: occupied: cannot create the output directory (a file is in the way)\n');
    expect(readFileSync(join(dir, 'occupied'), 'utf8')).toBe('x');
  });
});
