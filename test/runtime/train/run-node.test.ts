import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../runtime/errors.js';
import { checkpointPaths, loadTrainCheckpoint } from '../../../runtime/train/checkpoint-node.js';
import { acquireNodeDevice } from '../../../runtime/device-node.js';
import { createReferenceTrainBackend } from '../../../runtime/train/reference-backend.js';
import { runTrainJob, type TrainJob } from '../../../runtime/train/run-node.js';
import { webGpuTrainBackendFactory } from '../../../runtime/train/webgpu-backend.js';
import { createRng } from '../../helpers/random.js';
import { tinySpec } from './tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'xlstm-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A non-terminal stream collecting what is written. */
function collector(): NodeJS.WriteStream & { text: string } {
  const stream = { isTTY: false, text: '', write: (s: string) => ((stream.text += s), true) };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

const rng = createRng();
const spec = tinySpec();
const data = join(dir, 'data.bin');
// uint16 ids below the vocabulary, fresh each run
writeFileSync(data, new Uint8Array(Uint16Array.from({ length: 300 }, () => rng.int(16)).buffer));

function job(out: string, extra: Partial<TrainJob> = {}): TrainJob {
  return {
    spec,
    data,
    out,
    seed: rng.int(1000),
    overrides: { gradAccum: 2, clip: 0.5 },
    evalEvery: 2,
    backendName: 'reference',
    backend: createReferenceTrainBackend,
    progress: collector(),
    ...extra,
  };
}

/** Trains 6 steps straight and 3 + resume + 3 with the same backend; both must agree to 1e-6. */
async function expectResumeEquivalence(tag: string, backend: Partial<TrainJob> = {}): Promise<void> {
  const seed = rng.int(1000);
  const straightPath = join(dir, `${tag}-straight.safetensors`);
  await runTrainJob(job(straightPath, { seed, ...backend }));
  const splitPath = join(dir, `${tag}-split.safetensors`);
  const first = await runTrainJob(job(splitPath, { seed, until: 3, ...backend }));
  expect(first.outcome.step).toBe(3);
  const resumed = await runTrainJob(job(splitPath, { seed: seed + 1, resume: splitPath, ...backend }));
  expect(resumed.startStep).toBe(3);
  const straight = await loadTrainCheckpoint(straightPath, spec);
  const split = await loadTrainCheckpoint(splitPath, spec);
  expect(split.state.step).toBe(6);
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.abs(b);
  expect(split.state.history.train.length).toBe(6);
  for (const [i, [step, loss]] of straight.state.history.train.entries()) {
    expect(split.state.history.train[i]![0]).toBe(step);
    expect(close(split.state.history.train[i]![1], loss), `step ${step}, seed ${rng.seed}`).toBe(true);
  }
  expect(split.state.history.val.map(([s]) => s)).toEqual([2, 3, 4, 6]); // every 2nd step and at each session's end
  for (const [step, loss] of straight.state.history.val) {
    expect(close(split.state.history.val.find(([s]) => s === step)![1], loss)).toBe(true);
  }
  for (const [name, w] of straight.weights) {
    const other = split.weights.get(name)!;
    for (let i = 0; i < w.length; i++) expect(close(other[i]!, w[i]!) || Math.abs(other[i]! - w[i]!) < 1e-12, name).toBe(true);
  }
}

describe('a training run', () => {
  it('resumed after N steps reproduces N + M steps straight: losses, validation losses and weights', async () => {
    await expectResumeEquivalence('reference');
  });

  it('does the same on WebGPU, where every kernel is deterministic', async () => {
    const dev = await acquireNodeDevice();
    try {
      await expectResumeEquivalence('webgpu', { backendName: 'webgpu', backend: webGpuTrainBackendFactory(dev) });
    } finally {
      dev.destroy();
    }
  });

  it('stops at the first non-finite step, naming it and a tensor, and keeps the last good checkpoint', async () => {
    const out = join(dir, 'nan.safetensors');
    const progress = collector();
    const failing = job(out, { overrides: { lr: 1e30, warmup: 0, steps: 20 }, saveEvery: 1, progress });
    const error = await runTrainJob(failing).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    const m = /^step (\d+): (the loss|activation \S+|the gradient of \S+|the gradient norm|the AdamW update of \S+) became (NaN|-?Infinity); training stopped \(lower --lr\); the last good checkpoint \S+ \(step (\d+)\) is kept/.exec(message);
    expect(m, message).not.toBeNull();
    expect(Number(m![4])).toBe(Number(m![1]) - 1);
    const kept = await loadTrainCheckpoint(out, spec);
    expect(kept.state.step).toBe(Number(m![4]));
    expect([...kept.weights.values()].every((w) => w.every(Number.isFinite))).toBe(true);
    expect(readFileSync(checkpointPaths(out).lossCurve, 'utf8')).toMatch(/^<svg/);
  });

  it('writes one JSON line per step, validates on --val or a held-out tail, and refuses data shorter than a window', async () => {
    const log = join(dir, 'run.jsonl');
    await runTrainJob(job(join(dir, 'logged.safetensors'), { log, overrides: { steps: 3 } }));
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.map((l) => l.step)).toEqual([1, 2, 3]);
    for (const l of lines) expect(Object.keys(l)).toEqual(expect.arrayContaining(['loss', 'lr', 'gradNorm', 'tokensPerSecond', 'elapsedSeconds']));
    expect(lines[0]!.lr).toBe(0); // warmup 2 starts from 0
    expect(lines.map((l) => 'valLoss' in l)).toEqual([false, true, true]);

    writeFileSync(join(dir, 'short.txt'), Uint8Array.of(1, 2, 3));
    const val = join(dir, 'val.bin');
    writeFileSync(val, new Uint8Array(Uint16Array.from({ length: 40 }, () => rng.int(16)).buffer));
    const withVal = await runTrainJob(job(join(dir, 'val.safetensors'), { val, overrides: { steps: 2 }, saveEvery: 0 }));
    expect(withVal.outcome.valLoss).toBeGreaterThan(0);
    const progress = collector();
    const twelve = join(dir, 'twelve.bin');
    writeFileSync(twelve, new Uint8Array(Uint16Array.from({ length: 12 }, () => rng.int(16)).buffer));
    await runTrainJob(job(join(dir, 'noval.safetensors'), { data: twelve, overrides: { steps: 1 }, progress }));
    expect(progress.text).toMatch(/twelve\.bin is too short to hold out validation data; training without validation/);
    await expect(runTrainJob(job(join(dir, 'x.safetensors'), { val: join(dir, 'short.txt') }))).rejects.toThrow(/short\.txt: 3 tokens is shorter/);

    const short = join(dir, 'short.txt');
    await expect(runTrainJob(job(join(dir, 'x.safetensors'), { data: short }))).rejects.toThrow(/short\.txt: 3 tokens is shorter than one training window of 9/);
  });
});
