import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, runXlstm } from '../compiler/cli/spawn-xlstm.js';
import { tinySource } from '../runtime/train/tiny-model.js';

let dir: string;

beforeAll(() => {
  requireBuilt('task');
  dir = mkdtempSync(join(tmpdir(), 'xlstm-task-'));
  writeFileSync(join(dir, 'bits.xlstm'), tinySource({ vocab: 2 }));
  writeFileSync(join(dir, 'recall.xlstm'), tinySource({ vocab: 16 }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xlstm task', () => {
  it('trains and reports accuracy as JSON (exit 0)', () => {
    const r = runXlstm(dir, 'task', 'parity', 'bits.xlstm', '--steps', '2', '--batch', '2', '--train-len', '4', '--eval-count', '2', '--json');
    expect(r.stderr).toMatch(/step 2\/2/);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect([report.task, report.model, report.steps, report.trainLength, report.evalLength]).toEqual(['parity', 'Tiny', 2, 4, 16]);
    expect(report.metrics.map((m: { name: string; total: number }) => [m.name, m.total])).toEqual([
      ['in-distribution', 8],
      ['extrapolation', 24],
      ['whole-string', 2],
    ]);
  });

  it('trains on WebGPU as on the reference', () => {
    // with warmup 2 the first step runs at lr 0, so the second step's loss is that of the initial
    // weights on the second batch: the f32 device and the float64 reference must agree on it
    const args = ['task', 'parity', 'bits.xlstm', '--steps', '2', '--warmup', '2', '--batch', '2', '--train-len', '6', '--eval-count', '1', '--seed', '5', '--json'];
    const gpu = runXlstm(dir, ...args, '--backend', 'webgpu');
    expect(gpu.status, gpu.stderr).toBe(0);
    const reference = runXlstm(dir, ...args);
    expect(reference.status, reference.stderr).toBe(0);
    const [g, r] = [JSON.parse(gpu.stdout), JSON.parse(reference.stdout)];
    expect(g.backend).toBe('webgpu');
    expect(Math.abs(g.loss - r.loss)).toBeLessThan(1e-4 * r.loss);
  });

  it('prints a readable report', () => {
    const r = runXlstm(dir, 'task', 'mqar', 'recall.xlstm', '--steps', '1', '--batch', '1', '--train-len', '8', '--eval-count', '1');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^mqar: Tiny \(xLSTM\[1:1\], 2 blocks, [\d,]+ parameters\) on the reference backend, seed 0\n/);
    expect(r.stdout).toMatch(/\n {2}queries +\d+\.\d%  \(\d\/3: values recalled at the query positions \(2 pairs\)\)\n$/);
  });

  it('exits 2 on usage errors', () => {
    expect(runXlstm(dir, 'task', 'sorting', 'bits.xlstm').status).toBe(2);
    expect(runXlstm(dir, 'task', 'parity', 'bits.xlstm', '--steps', '0').status).toBe(2);
    const r = runXlstm(dir, 'task', 'parity', 'bits.xlstm', '--pairs', '3');
    expect(r.stderr).toBe('xlstm: --pairs applies to the mqar task only\n');
    expect(r.status).toBe(2);
  });

  it('exits 1 on problems with the input, in one line', () => {
    const missing = runXlstm(dir, 'task', 'parity', 'nothing.xlstm');
    expect(missing.status).toBe(1);
    const tooMany = runXlstm(dir, 'task', 'mqar', 'recall.xlstm', '--pairs', '8');
    expect(tooMany.stderr).toBe('xlstm: MQAR pairs must be a whole number from 1 to 7 (the distinct keys vocabulary 16 holds), got 8\n');
    expect(tooMany.status).toBe(1);
  });
});
