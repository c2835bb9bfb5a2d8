import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lines, requireBuilt, runXlstm } from '../compiler/cli/spawn-xlstm.js';

const MESSY = 'model A {vocab 256; embed 2*d  // width\n}\n';
const TIDY = 'model A {\n  vocab 256\n  embed 2 * d // width\n}\n';
const BROKEN = 'model A {\n  vocab = 256\n}\n';

let dir: string;
const path = (name: string): string => join(dir, name);
const read = (name: string): string => readFileSync(path(name), 'utf8');
const fmt = (...args: string[]) => runXlstm(dir, 'fmt', ...args);

beforeAll(() => requireBuilt('fmt'));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xlstm-fmt-'));
  writeFileSync(path('messy.xlstm'), MESSY);
  writeFileSync(path('tidy.xlstm'), TIDY);
  writeFileSync(path('broken.xlstm'), BROKEN);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// Each CLI start costs about a second on the test machine, so every spawn checks as much as it can.
describe('xlstm fmt', () => {
  it('rewrites changed files in place (permissions kept, no temporary left), reports syntax errors and exits 1', () => {
    chmodSync(path('messy.xlstm'), 0o640);
    const tidyTime = statSync(path('tidy.xlstm')).mtimeMs;
    const r = fmt('broken.xlstm', 'messy.xlstm', 'tidy.xlstm');
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(read('messy.xlstm')).toBe(TIDY);
    expect(statSync(path('messy.xlstm')).mode & 0o777).toBe(0o640);
    expect(statSync(path('tidy.xlstm')).mtimeMs).toBe(tidyTime);
    expect(read('broken.xlstm')).toBe(BROKEN);
    expect(r.stderr).toContain('broken.xlstm:2:9: error[E020]: expected a value after `vocab`, found `=`');
    expect(r.stderr).toContain('2 |   vocab = 256\n  |         ^');
    expect(readdirSync(dir).sort()).toEqual(['broken.xlstm', 'messy.xlstm', 'tidy.xlstm']);
  });

  it('exits 0 when there is nothing to do', () => {
    expect(fmt('tidy.xlstm')).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('--check writes nothing, lists the files that would change and exits 1', () => {
    const r = fmt('--check', 'messy.xlstm', 'tidy.xlstm');
    expect([r.status, lines(r.stdout)]).toEqual([1, ['messy.xlstm']]);
    expect(read('messy.xlstm')).toBe(MESSY);
  });

  it('--check exits 0 when every file is formatted', () => {
    expect(fmt('--check', 'tidy.xlstm')).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('--stdout prints the result and writes nothing', () => {
    expect(fmt('--stdout', 'messy.xlstm')).toEqual({ status: 0, stdout: TIDY, stderr: '' });
    expect(read('messy.xlstm')).toBe(MESSY);
  });

  it('a missing file is one line of error and exit 1', () => {
    expect(fmt('missing.xlstm')).toEqual({ status: 1, stdout: '', stderr: 'xlstm: missing.xlstm: no such file\n' });
  });

  it('an unknown flag, or --check with --stdout, is a usage error: exit 2', () => {
    expect(fmt('--frobnicate', 'tidy.xlstm').status).toBe(2);
    const r = fmt('--check', '--stdout', 'tidy.xlstm');
    expect([r.status, r.stderr]).toEqual([2, 'xlstm: --check and --stdout cannot be used together\n']);
  });
});
