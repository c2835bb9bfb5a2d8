import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile } from '../../../compiler/check/index.js';
import { lines, requireBuilt, ROOT, runXlstm, type CliRun } from './spawn-xlstm.js';

const GOLDEN_MIXED_1_1 = join(ROOT, 'test', 'fixtures', 'golden', 'case_mixed_1_1', 'config.json');

const README_YAML = join(ROOT, 'test', 'fixtures', 'official', 'readme-lm.yaml');

let dir: string;

function xlstm(...args: string[]): CliRun {
  return runXlstm(dir, ...args);
}

beforeAll(() => {
  requireBuilt('import-config');
  dir = mkdtempSync(join(tmpdir(), 'xlstm-import-config-'));
  const readme = readFileSync(README_YAML, 'utf8');
  writeFileSync(join(dir, 'readme.yaml'), readme);
  writeFileSync(join(dir, 'bad.yaml'), 'num_blocks: 2\n  embedding_dim: 3\n');
  writeFileSync(join(dir, 'wrong.yaml'), `${readme}\nbias: maybe\ndropout: 2\n`.replace('num_heads: 4\nslstm_block', 'num_heads: 4x\nslstm_block'));
  writeFileSync(join(dir, 'unused.yaml'), readme.replace('slstm_at: [1]', 'slstm_at: []'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xlstm import-config', () => {
  it('imports a golden post-init JSON config into a file that xlstm check accepts', () => {
    const r = xlstm('import-config', GOLDEN_MIXED_1_1, '-o', 'mixed.xlstm', '--name', 'Mixed');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // 40 296 parameters: golden/README.md
    expect(r.stdout).toBe('wrote mixed.xlstm: model Mixed, 4 blocks, 40296 parameters\n');
    const checked = checkFile(join(dir, 'mixed.xlstm'));
    expect(checked.diagnostics).toEqual([]);
    expect(checked.models.map((m) => m.name)).toEqual(['Mixed']);
  });

  it('imports sparse YAML with the official defaults, naming the model after the file', () => {
    const r = xlstm('import-config', 'readme.yaml', '-o', 'readme.xlstm');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // by hand, E 128: mLSTM block (I 256) 128 + 256 + 512·128 + 3·64·16 + 256·4 + 256 + 2·(4·768 + 4) + 256 + 128·256
    // = 109 448; sLSTM block (4 heads of 32, FFN 192) 128 + 128·4 + 128 + 4·4·32² + 4·128·32 + 512 + 128 + 128
    // + 384·128 + 128·192 = 108 032; 6 mLSTM + 1 sLSTM + post norm 128 + embedding and head 2·50304·128
    expect(r.stdout).toBe(`wrote readme.xlstm: model Readme, 7 blocks, ${6 * 109448 + 108032 + 128 + 2 * 50304 * 128} parameters\n`);
    expect(readFileSync(join(dir, 'readme.xlstm'), 'utf8')).toContain('backend cuda');
  });

  it('prints warnings and still writes the model', () => {
    const r = xlstm('import-config', 'unused.yaml', '-o', 'unused.xlstm');
    expect(r.status).toBe(0);
    expect(lines(r.stderr)).toEqual(['xlstm: warning: unused.yaml: slstm_block: not used (no block is an sLSTM block); left out']);
  });

  it('bad YAML: exit 1, one line with line:col, nothing written', () => {
    const before = readdirSync(dir).sort();
    const r = xlstm('import-config', 'bad.yaml', '-o', 'bad.xlstm');
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual(['xlstm: bad.yaml:1:13: invalid YAML: Nested mappings are not allowed in compact mappings']);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('invalid values: every error, the count on the last line, nothing written', () => {
    const before = readdirSync(dir).sort();
    const r = xlstm('import-config', 'wrong.yaml', '-o', 'wrong.xlstm');
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([
      'xlstm: wrong.yaml: mlstm_block.mlstm.num_heads: expected an integer, got "4x"',
      'xlstm: wrong.yaml: bias: expected true or false, got "maybe" (2 errors; nothing written)',
    ]);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('a missing config file: exit 1, one line', () => {
    const r = xlstm('import-config', 'nope.yaml', '-o', 'nope.xlstm');
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual(['xlstm: nope.yaml: no such file']);
  });

  it('refuses to overwrite without --force, and overwrites with it', () => {
    writeFileSync(join(dir, 'taken.xlstm'), 'keep me');
    const r = xlstm('import-config', 'readme.yaml', '-o', 'taken.xlstm');
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual(['xlstm: taken.xlstm: already exists; pass --force to overwrite it']);
    expect(readFileSync(join(dir, 'taken.xlstm'), 'utf8')).toBe('keep me');
    const forced = xlstm('import-config', 'readme.yaml', '-o', 'taken.xlstm', '--force');
    expect(forced.status).toBe(0);
    expect(readFileSync(join(dir, 'taken.xlstm'), 'utf8')).toContain('model Readme {');
  });

  it('a directory that does not exist: exit 1, one line, no temp file left', () => {
    const r = xlstm('import-config', 'readme.yaml', '-o', join('missing', 'x.xlstm'));
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([`xlstm: ${join('missing', 'x.xlstm')}: cannot write: directory missing does not exist`]);
  });

  it('usage errors exit 2: unknown flag, missing -o, a bad --name', () => {
    expect(xlstm('import-config', 'readme.yaml', '-o', 'u.xlstm', '--frobnicate').status).toBe(2);
    expect(xlstm('import-config', 'readme.yaml').status).toBe(2);
    const r = xlstm('import-config', 'readme.yaml', '-o', 'u.xlstm', '--name', '2fast');
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual(['xlstm: --name "2fast": a model name is an identifier (letters, digits, _) and not a keyword']);
    expect(existsSync(join(dir, 'u.xlstm'))).toBe(false);
  });
});
