/**
 * A process killed (SIGKILL) while it saves checkpoints leaves a checkpoint that resumes: the pair
 * (weights + training state) of one save, never a mix. The child saves over and over, each save
 * with every value equal to its step, so a mix of two saves shows.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSource } from '../../../compiler/check/index.js';
import { loadTrainCheckpoint } from '../../../runtime/train/checkpoint-node.js';
import { ROOT } from '../../compiler/cli/spawn-xlstm.js';
import { createRng } from '../../helpers/random.js';

const SOURCE = `model Big {
  vocab 256
  embed 256
  context 16
  blocks 2 slstm_at [1]
  mlstm { heads 4 }
  slstm { heads 4 }
}`;

const dist = (path: string) => JSON.stringify(join(ROOT, 'dist', path));

const CHILD = `
import { checkSource } from ${dist('compiler/check/index.js')};
import { numElements, parameterSpecs } from ${dist('compiler/params.js')};
import { saveTrainCheckpoint } from ${dist('runtime/train/checkpoint-node.js')};
import { modelConfigHash } from ${dist('runtime/train/train-state.js')};
const spec = checkSource(process.env.MODEL, 'big.xlstm').models[0];
const filled = (value) => new Map(parameterSpecs(spec).filter((p) => p.tiedTo === undefined).map((p) => [p.name, new Float64Array(numElements(p.shape)).fill(value)]));
for (let step = 1; ; step++) {
  const state = {
    checkpointId: 'crash-' + step, runId: 'crash', model: spec.name, configHash: modelConfigHash(spec), step, seed: 0, backend: 'reference',
    train: spec.train, sampler: { rng: [1, 2, 3, step], drawn: step }, data: { fingerprint: 'x', source: 'x' },
    history: { train: [[step, step]], val: [] }, elapsedSeconds: step,
  };
  await saveTrainCheckpoint(process.argv[1], spec, 'F64', { weights: filled(step), optimizer: { expAvg: filled(step), expAvgSq: filled(step) }, state });
  process.stdout.write('saved ' + step + '\\n');
}
`;

const dir = mkdtempSync(join(tmpdir(), 'xlstm-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the saving child, kills it `delayMs` after its first complete save; resolves when it is gone. */
function saveAndKill(path: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, path], { env: { ...process.env, MODEL: SOURCE }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited with ${code}: ${stderr}`))));
  });
}

describe('checkpoint crash safety', () => {
  it('keeps a complete, consistent checkpoint when the saving process is SIGKILLed mid-write', async () => {
    if (!existsSync(join(ROOT, 'dist', 'runtime', 'train', 'checkpoint-node.js'))) throw new Error('build first: npx tsc -p tsconfig.build.json');
    const rng = createRng();
    const spec = checkSource(SOURCE, 'big.xlstm').models[0]!;
    const path = join(dir, 'ckpt.safetensors');
    let killedMidWrite = 0;
    for (let attempt = 0; attempt < 5 && killedMidWrite === 0; attempt++) {
      await saveAndKill(path, 20 + rng.int(250));
      // a temporary file left behind shows the kill interrupted a write
      if (readdirSync(dir).some((f) => f.endsWith('.tmp'))) killedMidWrite++;
      const loaded = await loadTrainCheckpoint(path, spec);
      const step = loaded.state.step;
      expect(step, `seed ${rng.seed}`).toBeGreaterThanOrEqual(1);
      for (const group of [loaded.weights, loaded.optimizer.expAvg, loaded.optimizer.expAvgSq]) {
        for (const [name, values] of group) expect(values.every((v) => v === step), `${name} of save ${step}`).toBe(true);
      }
      for (const f of readdirSync(dir).filter((f) => f.endsWith('.tmp'))) rmSync(join(dir, f));
    }
    expect(killedMidWrite, `seed ${rng.seed}`).toBeGreaterThan(0);
  });
});
