import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/check/index.js';
import { UserError } from '../../runtime/errors.js';
import { architectureName, runTaskJob, type TaskJob } from '../../runtime/tasks/task-job.js';
import { createReferenceTrainBackend } from '../../runtime/train/reference-backend.js';
import { tinySpec } from '../runtime/train/tiny-model.js';

function job(o: Partial<TaskJob> & Pick<TaskJob, 'task' | 'spec'>): TaskJob {
  return { seed: 3, overrides: { steps: 2, batch: 2, seqLen: 5 }, evalCount: 3, backendName: 'reference', backend: createReferenceTrainBackend, ...o };
}

describe('xLSTM[a:b] names', () => {
  const named = (blocks: string) => architectureName(checkSource(`model M { vocab 4 embed 8 context 8 ${blocks} }`, 'm.xlstm').models[0]!);

  it('count the block kinds and reduce the ratio', () => {
    expect(named('blocks 2 slstm_at [0, 1]')).toBe('xLSTM[0:1]');
    expect(named('blocks 2')).toBe('xLSTM[1:0]');
    expect(named('blocks 4 slstm_at [1, 3]')).toBe('xLSTM[1:1]');
    expect(named('blocks 3 slstm_at [2]')).toBe('xLSTM[2:1]');
  });
});

describe('task runs (tiny smoke runs, not a test of learning)', () => {
  it('parity: trains the steps asked for and scores every prefix of the evaluation strings', async () => {
    const r = await runTaskJob(job({ task: 'parity', spec: tinySpec({ vocab: 2 }) }));
    expect([r.steps, r.batch, r.trainLength, r.evalLength, r.evalCount]).toEqual([2, 2, 5, 20, 3]);
    expect(r.pairs).toBeUndefined();
    expect(Number.isFinite(r.loss) && Number.isFinite(r.evalLoss)).toBe(true);
    // 3 strings of length 20 = 4 × 5: prefixes 1-5, 6-20, and the whole string
    expect(r.metrics.map((m) => [m.name, m.total])).toEqual([
      ['in-distribution', 15],
      ['extrapolation', 45],
      ['whole-string', 3],
    ]);
    for (const m of r.metrics) expect(m.accuracy).toBe(m.correct / m.total);
  });

  it('MQAR: derives the pairs from the length and scores the query positions', async () => {
    // length 8 holds 2 pairs + separator + 3 queries (⌊7/3⌋ = 2 pairs)
    const r = await runTaskJob(job({ task: 'mqar', spec: tinySpec({ vocab: 16 }), overrides: { steps: 1, batch: 2, seqLen: 8 } }));
    expect(r.pairs).toBe(2);
    expect(r.evalLength).toBe(8);
    expect(r.metrics.map((m) => [m.name, m.total])).toEqual([['queries', 9]]);
  });

  it('a seed fixes the whole run', async () => {
    const spec = tinySpec({ vocab: 2 });
    const [a, b] = [await runTaskJob(job({ task: 'parity', spec })), await runTaskJob(job({ task: 'parity', spec }))];
    expect(b.loss).toBe(a.loss);
    expect(b.evalLoss).toBe(a.evalLoss);
    expect(b.metrics).toEqual(a.metrics);
    const other = await runTaskJob(job({ task: 'parity', spec, seed: 4 }));
    expect(other.loss).not.toBe(a.loss);
  });

  it('refuses settings that cannot run, before training', async () => {
    const spec = tinySpec({ vocab: 16 });
    await expect(runTaskJob(job({ task: 'parity', spec, pairs: 2 }))).rejects.toThrow(/--pairs applies to the mqar task only/);
    await expect(runTaskJob(job({ task: 'parity', spec, overrides: { seqLen: 13 } }))).rejects.toThrow(/exceeds context 12/);
    await expect(runTaskJob(job({ task: 'mqar', spec, pairs: 3 }))).rejects.toThrow(/training length 5 is too short .* at least 8 tokens/);
    await expect(runTaskJob(job({ task: 'mqar', spec, pairs: 8 }))).rejects.toThrow(UserError);
  });
});
