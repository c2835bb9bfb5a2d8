import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../../compiler/spec.js';
import { initializeParameters } from '../../../runtime/init.js';
import { readSafetensorsFile } from '../../../runtime/io/safetensors-node.js';
import { tensorToFloat64 } from '../../../runtime/io/safetensors.js';
import type { FloatArray } from '../../../runtime/train/backend.js';
import { checkpointPaths, loadTrainCheckpoint, saveTrainCheckpoint, type TrainCheckpoint } from '../../../runtime/train/checkpoint-node.js';
import { modelConfigHash, type TrainState } from '../../../runtime/train/train-state.js';
import { goldenCase } from '../../compiler/ir/golden-spec.js';
import { loadGoldenCase } from '../../helpers/golden.js';
import { createRng, randomNormal } from '../../helpers/random.js';
import { tinySpec } from './tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'xlstm-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stateFor(spec: ModelSpec, step: number, runId = 'run'): TrainState {
  return {
    checkpointId: `${runId}-${step}`,
    runId,
    model: spec.name,
    configHash: modelConfigHash(spec),
    step,
    seed: 7,
    backend: 'reference',
    train: spec.train,
    sampler: { rng: [1, 2, 3, 4], drawn: step },
    data: { fingerprint: '10:abc', source: 'data.txt' },
    history: { train: [[1, 2.5]], val: [] },
    elapsedSeconds: 1.5,
  };
}

/** Trainable tensors only (a tied head dropped), with moments filled by `fill`. */
function checkpointOf(spec: ModelSpec, weights: ReadonlyMap<string, FloatArray>, step: number, fill: (n: number) => Float64Array): TrainCheckpoint {
  const trainable = new Map([...weights].filter(([name]) => !(spec.tieWeights && name === 'lm_head.weight')));
  const moments = () => new Map([...trainable].map(([name, w]) => [name, fill(w.length)]));
  return { weights: trainable, optimizer: { expAvg: moments(), expAvgSq: moments() }, state: stateFor(spec, step) };
}

describe('training checkpoints', () => {
  for (const name of ['mixed_1_1', 'm_only']) {
    it(`writes exactly the official state_dict of golden case ${name} (names, order, shapes, dtype, values; tied head repeated)`, async () => {
      const g = await loadGoldenCase(name);
      const path = join(dir, `${name}.safetensors`);
      await saveTrainCheckpoint(path, g.spec, 'F64', checkpointOf(g.spec, g.weights, 1, (n) => new Float64Array(n)));
      const ours = await readSafetensorsFile(path);
      const official = await readSafetensorsFile(join(goldenCase(name)!.dir, 'weights.safetensors'));
      expect([...ours.tensors.keys()]).toEqual([...official.tensors.keys()]);
      for (const [key, t] of official.tensors) {
        const mine = ours.tensors.get(key)!;
        expect(mine.shape, key).toEqual(t.shape);
        expect(mine.dtype, key).toBe(t.dtype);
        expect(Buffer.from(mine.data.buffer, mine.data.byteOffset, mine.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), key).toBe(true);
      }
      expect(ours.metadata.format).toBe('pt');
    });
  }

  it('round-trips weights, moments and state; F32 backends write F32', async () => {
    const rng = createRng();
    const spec = tinySpec({ tie: true });
    const saved = checkpointOf(spec, initializeParameters(spec, rng.int(1000), { dtype: 'f64' }), 3, (n) => randomNormal(rng, n));
    const path = join(dir, 'round.safetensors');
    await saveTrainCheckpoint(path, spec, 'F64', saved);
    const loaded = await loadTrainCheckpoint(path, spec);
    expect(loaded.note).toBeUndefined();
    expect(loaded.state).toEqual(saved.state);
    expect(loaded.weights).toEqual(saved.weights);
    expect(loaded.optimizer).toEqual(saved.optimizer);
    const companion = await readSafetensorsFile(checkpointPaths(path).companion);
    expect([...companion.tensors.keys()].filter((k) => k.startsWith('exp_avg.'))).toEqual([...saved.weights.keys()].map((k) => `exp_avg.${k}`));

    const path32 = join(dir, 'round32.safetensors');
    await saveTrainCheckpoint(path32, spec, 'F32', saved);
    const weights32 = await readSafetensorsFile(path32);
    expect([...weights32.tensors.values()].every((t) => t.dtype === 'F32')).toBe(true);
    const emb = saved.weights.get('token_embedding.weight')!;
    expect([...tensorToFloat64(weights32.tensors.get('lm_head.weight')!)]).toEqual([...Float32Array.from(emb)]);
  });

  it('refuses a weights file from another save, and takes pending weights an interrupted save left', async () => {
    const spec = tinySpec();
    const weights = initializeParameters(spec, 1, { dtype: 'f64' });
    const a = join(dir, 'a.safetensors');
    const b = join(dir, 'b.safetensors');
    await saveTrainCheckpoint(a, spec, 'F64', checkpointOf(spec, weights, 1, (n) => new Float64Array(n)));
    await saveTrainCheckpoint(b, spec, 'F64', checkpointOf(spec, weights, 2, (n) => new Float64Array(n).fill(2)));
    // the state a crash between the companion's and the weights' renames leaves: new companion, old weights, new pending weights
    copyFileSync(checkpointPaths(b).companion, checkpointPaths(a).companion);
    await expect(loadTrainCheckpoint(a, spec)).rejects.toThrow(
      `${a} is from another save (run-1), but ${checkpointPaths(a).companion} is from save run-2: the two files do not belong together`,
    );
    copyFileSync(b, checkpointPaths(a).pending);
    const loaded = await loadTrainCheckpoint(a, spec);
    expect(loaded.state.step).toBe(2);
    expect(loaded.note).toMatch(/interrupted/);
  });

  it('refuses another architecture and weights-only files', async () => {
    const spec = tinySpec();
    const path = join(dir, 'arch.safetensors');
    await saveTrainCheckpoint(path, spec, 'F64', checkpointOf(spec, initializeParameters(spec, 1, { dtype: 'f64' }), 1, (n) => new Float64Array(n)));
    await expect(loadTrainCheckpoint(path, tinySpec({ vocab: 20 }))).rejects.toThrow(/was trained for another architecture/);
    rmSync(checkpointPaths(path).companion);
    await expect(loadTrainCheckpoint(path, spec)).rejects.toThrow(/cannot resume: its training state .*arch\.train\.safetensors does not exist/);
  });
});
