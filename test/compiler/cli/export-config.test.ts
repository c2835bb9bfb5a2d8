import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { lines, requireBuilt, ROOT, runXlstm, type CliRun } from './spawn-xlstm.js';

const GOLDEN = join(ROOT, 'test', 'fixtures', 'golden');

/** golden case mixed_1_1 written by hand from golden/README.md's table */
const MIXED_1_1 = `
model Mixed {
  vocab 32  embed 32  context 24  blocks 4  ratio 1:1
  tie_weights true  bias true
  mlstm { heads 2  proj_factor 1.5  conv1d 2  qkv_blocksize 8 }
  slstm { heads 2  conv1d 0  bias_init small_init  recurrent_init standard  ffn { act swish } }
}
model Other { vocab 8  embed 8  context 4  blocks 1  norm_eps 1e-6 }
`;

let dir: string;

function xlstm(...args: string[]): CliRun {
  return runXlstm(dir, ...args);
}

function goldenOfficialConfig(name: string): unknown {
  return JSON.parse(readFileSync(join(GOLDEN, `case_${name}`, 'config.json'), 'utf8')).official_config;
}

beforeAll(() => {
  requireBuilt('export-config');
  dir = mkdtempSync(join(tmpdir(), 'xlstm-export-config-'));
  writeFileSync(join(dir, 'models.xlstm'), MIXED_1_1);
  writeFileSync(join(dir, 'broken.xlstm'), 'model B { vocab 8 embed 10 context 4 blocks 2 slstm_at [1] slstm { heads 4 } }\n');
  writeFileSync(join(dir, 'override.xlstm'), 'model O { vocab 8 embed 16 context 4 blocks 2 slstm_at [1] block 1 { slstm { heads 2 } } }\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xlstm export-config', () => {
  it('writes the golden official_config as JSON', () => {
    const r = xlstm('export-config', 'models.xlstm', '--model', 'Mixed', '-o', 'mixed.json');
    expect(r.stderr).not.toMatch(/^xlstm:/m);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('wrote mixed.json: the official xLSTMLMModelConfig of model Mixed\n');
    expect(JSON.parse(readFileSync(join(dir, 'mixed.json'), 'utf8'))).toEqual(goldenOfficialConfig('mixed_1_1'));
  });

  it('prints YAML on stdout with -o -, which imports back to the same model', () => {
    const r = xlstm('export-config', 'models.xlstm', '--model', 'Mixed', '-o', '-');
    expect(r.status).toBe(0);
    expect(parse(r.stdout)).toEqual(goldenOfficialConfig('mixed_1_1'));
    writeFileSync(join(dir, 'mixed.yaml'), r.stdout);
    expect(xlstm('import-config', 'mixed.yaml', '-o', 'again.xlstm', '--name', 'Mixed').status).toBe(0);
    const again = xlstm('export-config', 'again.xlstm', '-o', '-');
    expect(again.stdout).toBe(r.stdout);
  });

  it('needs --model when the file declares several, and suggests a close name', () => {
    const r = xlstm('export-config', 'models.xlstm', '-o', 'x.json');
    expect(r.status).toBe(1);
    // the checker's warnings about the file come first
    expect(lines(r.stderr).pop()).toBe('xlstm: models.xlstm: declares 2 models (Mixed, Other); choose one with --model');
    const typo = xlstm('export-config', 'models.xlstm', '--model', 'Mixd', '-o', 'x.json');
    expect(lines(typo.stderr).pop()).toBe('xlstm: models.xlstm: no model named Mixd (did you mean Mixed?); it declares Mixed, Other');
  });

  it('warns about settings the official config cannot carry', () => {
    const r = xlstm('export-config', 'models.xlstm', '--model', 'Other', '-o', 'other.yaml');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('xlstm: warning: models.xlstm: model Other: norm_eps 0.000001 is not exported: the official LayerNorm eps is fixed at 0.00001');
  });

  it('refuses per-block overrides: exit 1, one line, nothing written', () => {
    const before = readdirSync(dir).sort();
    const r = xlstm('export-config', 'override.xlstm', '-o', 'o.json');
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual(['xlstm: override.xlstm: model O: block 1 overrides the slstm settings; the official config has one slstm layer config for every slstm block']);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('a file with checker errors: the diagnostics, exit 1, nothing written', () => {
    const r = xlstm('export-config', 'broken.xlstm', '-o', 'b.json');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('broken.xlstm:1:');
    expect(r.stderr).toMatch(/xlstm: broken\.xlstm: 1 error; nothing exported\n$/);
    expect(existsSync(join(dir, 'b.json'))).toBe(false);
  });

  it('refuses to overwrite without --force', () => {
    writeFileSync(join(dir, 'taken.json'), '{}');
    const r = xlstm('export-config', 'models.xlstm', '--model', 'Mixed', '-o', 'taken.json');
    expect(r.status).toBe(1);
    expect(readFileSync(join(dir, 'taken.json'), 'utf8')).toBe('{}');
    expect(xlstm('export-config', 'models.xlstm', '--model', 'Mixed', '-o', 'taken.json', '--force').status).toBe(0);
  });

  it('usage errors exit 2: an output name without a known extension, an unknown flag', () => {
    const r = xlstm('export-config', 'models.xlstm', '--model', 'Mixed', '-o', 'config.txt');
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual(['xlstm: -o config.txt: cannot tell the format; name the file .yaml, .yml or .json (or use -o - for YAML on stdout)']);
    expect(xlstm('export-config', 'models.xlstm', '-o', 'x.json', '--bogus').status).toBe(2);
  });
});
