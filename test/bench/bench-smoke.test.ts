import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReportJson } from '../../bench/json-output.js';
import type { BenchModel } from '../../bench/models.js';
import { OFFICIAL_PYTORCH_CPU, versusOfficial } from '../../bench/official.js';
import { parseBenchArgs } from '../../bench/options.js';
import type { BenchReport, ModelResult } from '../../bench/results.js';
import { runBench, type BenchIterations } from '../../bench/run-bench.js';
import { formatReport } from '../../bench/table.js';
import { median } from '../../bench/timing.js';
import { planForward } from '../../compiler/plan/forward-plan.js';
import { checkFile } from '../../compiler/check/index.js';
import { kernelTargetOf } from '../../runtime/device.js';
import { acquireNodeDevice } from '../../runtime/device-node.js';
import { UserError } from '../../runtime/errors.js';

/** 10,404 parameters by `xlstm check --explain` (mLSTM block 5,076, sLSTM block 4,288, embedding, head, norm). */
const TINY = `model Tiny {
  vocab   32
  embed   16
  context 16
  blocks  2
  slstm_at [1]
  mlstm { heads 2 }
  slstm { heads 2 }
  train { batch 2  seq_len 8 }
}
`;

const ONE: BenchIterations = {
  forward: { warmup: 0, timed: 1 },
  forwardLarge: { warmup: 0, timed: 1 },
  generate: { warmup: 0, timed: 1 },
  train: { warmup: 0, timed: 1 },
  kernels: 1,
  reference: { warmup: 0, timed: 1 },
  compileWarm: 0,
};

let dir: string;
let model: BenchModel;
let report: BenchReport;
let json: Record<string, ModelResult>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const file = join(dir, 'tiny.xlstm');
  writeFileSync(file, TINY);
  const shape = { batch: 2, seqLen: 8 };
  model = { key: 'tiny', file, forward: shape, generate: true, train: shape, kernels: true, reference: true, compile: true, official: true };
  report = await runBench({ models: [model], iterations: ONE, device: 'auto', quick: true, log: () => undefined });
  await writeReportJson(join(dir, 'bench.json'), report);
  json = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as Record<string, ModelResult>;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const positive = (v: unknown) => expect(typeof v === 'number' && Number.isFinite(v) && v > 0, `${String(v)} is a positive number`).toBe(true);

describe('bench harness on a tiny model, one iteration', () => {
  it('writes JSON keyed by model with the configuration and the device', () => {
    expect(Object.keys(json)).toEqual(['tiny']);
    const r = json['tiny']!;
    expect(r).toMatchObject({ model: 'Tiny', params: 10_404, vocab: 32, embed: 16, blocks: 2, slstm_at: [1], context: 16, batch: 2, seq_len: 8 });
    expect(typeof r.adapter).toBe('string');
    expect(r.adapter.length).toBeGreaterThan(0);
    expect(r.backend).toBe(report.device.backend);
  });

  it('has every forward, generation, reference and compile figure', () => {
    const r = json['tiny']!;
    for (const key of [
      'forward_tokens_per_s', 'forward_ms', 'forward_device_bytes', 'forward_unfused_tokens_per_s', 'fused_over_unfused',
      'generate_tokens_per_s', 'generate_ms_per_token', 'generate_device_bytes',
      'reference_f64_forward_tokens_per_s', 'forward_over_reference', 'compile_ms',
    ] as const) positive(r[key]);
    expect([r.forward_iterations, r.generate_tokens_timed]).toEqual([1, 1]);
    expect(r.compile_files).toBeGreaterThan(1);
    expect(r.fused_over_unfused).toBeCloseTo(r.forward_tokens_per_s! / r.forward_unfused_tokens_per_s!, 12);
  });

  it('counts one submit per step and the plan’s dispatches per run', async () => {
    const r = json['tiny']!;
    const spec = checkFile(model.file).models[0]!;
    const dev = await acquireNodeDevice({ mode: 'auto' });
    const target = kernelTargetOf(dev);
    dev.destroy();
    const steps = (o: Parameters<typeof planForward>[1]) => planForward(spec, o).steps.length;
    const base = { batch: 2, seqLen: 8, target };
    expect(r.forward_dispatches).toBe(steps({ ...base, mode: 'parallel', fuse: true }));
    expect(r.forward_unfused_dispatches).toBe(steps({ ...base, mode: 'parallel', fuse: false }));
    expect(r.generate_dispatches_per_token).toBe(steps({ ...base, batch: 1, seqLen: 1, mode: 'recurrent', sample: true }));
    expect([r.forward_submits, r.generate_submits_per_token]).toEqual([1, 1]);
  });

  // a failing training step is reported, not fatal (the GPU training backend is new); either way the shape holds
  it('has the training figures, or null with the reason', () => {
    const r = json['tiny']!;
    expect([r.train_batch, r.train_seq_len]).toEqual([2, 8]);
    if (r.train_tokens_per_s === null) {
      expect(r.train_status).toMatch(/^failed: ./);
      return;
    }
    expect(r.train_status).toMatch(/^measured/);
    for (const key of ['train_tokens_per_s', 'train_ms_per_step', 'train_device_bytes'] as const) positive(r[key]);
    expect([r.train_iterations, r.train_submits_per_step]).toEqual([1, 1]);
    // the training step runs the forward and more
    expect(r.train_dispatches_per_step).toBeGreaterThan(r.forward_dispatches!);
    expect(r.vs_official!.ratio.train!.high).toBeCloseTo(r.train_tokens_per_s! / 1650, 12);
  });

  it('has kernel shares that cover every fused dispatch and sum to one', () => {
    const k = json['tiny']!.kernel_shares!;
    expect(k).toMatchObject({ batch: 2, seq_len: 8, repeats: 1 });
    expect(k.kernels.reduce((n, row) => n + row.dispatches, 0)).toBe(json['tiny']!.forward_dispatches);
    expect(k.kernels.reduce((s, row) => s + row.share, 0)).toBeCloseTo(1, 9);
    for (const row of k.kernels) {
      expect(row.kernel).not.toMatch(/^block\d/);
      positive(row.ms);
    }
    positive(k.isolated_total_ms);
    positive(k.empty_submit_ms);
  });

  it('compares with the official figures as ours / official over their range', () => {
    const r = json['tiny']!;
    const v = r.vs_official!;
    expect(v.official).toEqual(OFFICIAL_PYTORCH_CPU);
    expect(v.source).toMatch(/not in this run/);
    expect(v.ratio.forward!.low).toBeCloseTo(r.forward_tokens_per_s! / 7100, 12);
    expect(v.ratio.forward!.high).toBeCloseTo(r.forward_tokens_per_s! / 6100, 12);
    expect(v.ratio.generate!.low).toBeCloseTo(r.generate_tokens_per_s! / 530, 12);
  });

  it('prints the configuration, each figure and the comparison in one table', () => {
    const text = formatReport(report, { loadBefore: '1.00 1.00 1.00' });
    expect(text).toContain('10,404');
    expect(text).toContain('2 (sLSTM at [1])');
    for (const figure of ['2×8', 'forward tokens/s (B2×T8, fused)', 'generation tokens/s', 'training tokens/s (B2×T8, AdamW)', 'float64 reference', 'compile ms', 'ours / official (low–high)', '% of forward']) {
      expect(text).toContain(figure);
    }
  });
});

describe('bench pieces', () => {
  it('--only compile measures only the compile time, without a device', async () => {
    const only = await runBench({ models: [model], iterations: ONE, device: 'auto', only: 'compile', quick: true, log: () => undefined });
    const r = only.results['tiny']!;
    positive(r.compile_ms);
    expect(only.device.backend).toBe('none');
    expect(Object.keys(r).filter((k) => /^(forward|generate|train|reference|kernel)/.test(k))).toEqual([]);
  });

  it('shows training as not available when it was not measured', () => {
    const r: ModelResult = { ...json['tiny']!, train_tokens_per_s: null, train_status: 'not available: no backend' };
    const line = formatReport({ ...report, results: { tiny: r } }).split('\n').find((l) => l.includes('training tokens/s ('));
    expect(line).toMatch(/not available\s+not available: no backend/);
  });

  it('median and the official ratio', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(versusOfficial(700, { low: 350, high: 700 })).toEqual({ low: 1, high: 2 });
  });

  it('parses options and rejects bad ones as usage errors', () => {
    expect(parseBenchArgs(['--quick', '--only', 'kernels', '--device', 'cpu-gl', '--json', 'x.json'])).toEqual({ quick: true, help: false, only: 'kernels', device: 'cpu-gl', json: 'x.json' });
    expect(parseBenchArgs([])).toEqual({ quick: false, help: false, device: 'auto' });
    for (const bad of [['--only', 'speed'], ['--device', 'gpu'], ['--frobnicate'], ['extra']]) {
      let error: unknown;
      try {
        parseBenchArgs(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad.join(' ')).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(2);
    }
  });
});
