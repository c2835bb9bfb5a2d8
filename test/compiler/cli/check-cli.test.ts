import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'xlstm.js');

const GOOD = 'model A { vocab 32 embed 32 context 16 blocks 2 }\nmodel B { vocab 32 embed 64 context 16 blocks 2 slstm_at [1] }\n';
const BAD = 'model Bad {\n  vocab 32 embed 130 context 16 blocks 2 slstm_at [1]\n  mlstm { heads 2 }\n  norm_eps 1e-6\n}\n';
const WARN = 'model W { vocab 32 embed 32 context 16 blocks 2 norm_eps 1e-6 }\n';

let dir: string;

function xlstm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'compiler', 'cli', 'check.js'))) throw new Error('build first: npx tsc -p tsconfig.build.json');
  dir = mkdtempSync(join(tmpdir(), 'xlstm-check-'));
  writeFileSync(join(dir, 'good.xlstm'), GOOD);
  writeFileSync(join(dir, 'bad.xlstm'), BAD);
  writeFileSync(join(dir, 'warn.xlstm'), WARN);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xlstm check', () => {
  it('exits 0 with a summary for a clean file', () => {
    const r = xlstm('check', 'good.xlstm');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('good.xlstm: 0 errors, 0 warnings\n');
  });

  it('renders every diagnostic with a caret excerpt and hint, errors first at a place, and exits 1', () => {
    const r = xlstm('check', 'bad.xlstm');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('bad.xlstm:2:18: error[E204]: embed 130 is not divisible by slstm heads 4');
    expect(r.stdout).toContain('2 |   vocab 32 embed 130 context 16 blocks 2 slstm_at [1]\n  |                  ^^^');
    expect(r.stdout).toContain('= hint: nearest valid: embed 128 or 132');
    expect(r.stdout.indexOf('E204')).toBeLessThan(r.stdout.indexOf('W204'));
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('bad.xlstm: 1 error, 1 warning');
  });

  it('exits 0 when there are only warnings', () => {
    const r = xlstm('check', 'warn.xlstm');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('warning[W204]');
    expect(r.stdout).toContain('warn.xlstm: 0 errors, 1 warning');
  });

  it('--json prints diagnostics, a summary and the resolved models', () => {
    const bad = xlstm('check', 'bad.xlstm', '--json');
    expect(bad.status).toBe(1);
    const out = JSON.parse(bad.stdout);
    expect(Object.keys(out).sort()).toEqual(['diagnostics', 'models', 'summary']);
    expect(out.summary).toEqual({ errors: 1, warnings: 1 });
    expect(out.models).toEqual([]);
    expect(out.diagnostics[0]).toMatchObject({ severity: 'error', code: 'E204', span: { file: 'bad.xlstm', line: 2, col: 18 } });
    const good = JSON.parse(xlstm('check', 'good.xlstm', '--json').stdout);
    expect(good.models.map((m: { name: string; embeddingDim: number }) => [m.name, m.embeddingDim])).toEqual([['A', 32], ['B', 64]]);
  });

  it('--explain prints each model; bench-small has 502,040 parameters', () => {
    const r = xlstm('check', join(ROOT, 'examples', 'bench-small.xlstm'), '--explain');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/parameters\s+502,040\n/);
    const json = JSON.parse(xlstm('check', join(ROOT, 'examples', 'bench-small.xlstm'), '--explain', '--json').stdout);
    expect(json.explain[0].parameters).toBe(502040);
  });

  it('--model picks one model, with a suggestion for a misspelt name', () => {
    const r = xlstm('check', 'good.xlstm', '--explain', '--model', 'B');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('model B');
    expect(r.stdout).not.toContain('model A');
    const miss = xlstm('check', 'good.xlstm', '--model', 'b');
    expect(miss.status).toBe(1);
    expect(miss.stderr).toContain('no model named b (did you mean B?); it declares A, B');
  });

  it('turns an unreadable file into a one-line error (exit 1) and a missing argument into a usage error (exit 2)', () => {
    const r = xlstm('check', 'nope.xlstm');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('xlstm: nope.xlstm: no such file\n');
    expect(xlstm('check').status).toBe(2);
  });
});
