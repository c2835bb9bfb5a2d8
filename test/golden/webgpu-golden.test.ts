/**
 * Golden parity on WebGPU (f32): every golden case's official PyTorch outputs reproduced by the
 * kernel plans through `WebGpuModel`, with the spec imported from the case's official config and the
 * weights read by the checkpoint loader, as a user's run would get them. `logits` and `loss` from the
 * parallel form, `logits_step` from the step API starting at the zero state.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specFromOfficialConfig } from '../../compiler/interop/from-official.js';
import type { ModelSpec } from '../../compiler/spec.js';
import type { XlstmDevice } from '../../runtime/device.js';
import { acquireNodeDevice } from '../../runtime/device-node.js';
import { readWeightsFileF32 } from '../../runtime/io/checkpoint-node.js';
import { tensorToFloat64, tensorToInt32 } from '../../runtime/io/safetensors.js';
import { readSafetensorsFile } from '../../runtime/io/safetensors-node.js';
import { WebGpuModel } from '../../runtime/model/webgpu-model.js';
import { relativeError } from '../runtime/gpu/gpu-test-kit.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'golden');
const MIXED_7_1 = '/work/shared/golden/case_mixed_7_1';
const CASES = ['m_only', 'm_only_perturbed', 's_only', 's_only_perturbed', 'mixed_1_1'].map((name) => join(FIXTURES, `case_${name}`));
if (existsSync(MIXED_7_1)) CASES.push(MIXED_7_1);

/** f32 against float64: max |ours − golden| / max |golden|. */
const LOGITS_TOLERANCE = 1e-4;
const LOSS_TOLERANCE = 1e-5;

const measured: string[] = [];
let dev: XlstmDevice;
beforeAll(async () => {
  dev = await acquireNodeDevice();
});
afterAll(() => {
  dev?.destroy();
  console.log(`WebGPU f32 vs the official float64 outputs (max error / max |golden|):\n${measured.join('\n')}`);
});

async function loadCase(dir: string) {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { official_config: unknown };
  const imported = specFromOfficialConfig(config.official_config, 'Golden');
  if (imported.spec === undefined) throw new Error(`${dir}: ${imported.errors.join('; ')}`);
  const spec: ModelSpec = imported.spec;
  const outputs = (await readSafetensorsFile(join(dir, 'outputs.safetensors'))).tensors;
  const get = (name: string) => outputs.get(name)!;
  const [B, T] = get('inputs').shape as [number, number];
  return {
    spec,
    weights: await readWeightsFileF32(spec, join(dir, 'weights.safetensors')),
    B,
    T,
    inputs: tensorToInt32(get('inputs'), 'inputs'),
    targets: tensorToInt32(get('targets'), 'targets'),
    logits: tensorToFloat64(get('logits'), 'logits'),
    logitsStep: tensorToFloat64(get('logits_step'), 'logits_step'),
    loss: tensorToFloat64(get('loss'), 'loss')[0]!,
  };
}

describe('golden cases on WebGPU (f32)', () => {
  it.each(CASES.map((dir) => [dir.slice(dir.lastIndexOf('case_') + 5), dir]))('%s', async (name, dir) => {
    const c = await loadCase(dir);
    const model = new WebGpuModel(c.spec, dev);
    try {
      model.loadWeights(c.weights);
      const { logits, loss } = await model.evaluate(c.inputs, c.B, c.T, c.targets);
      const logitsError = relativeError(logits, c.logits);
      const lossError = Math.abs(loss! - c.loss) / Math.abs(c.loss);
      expect(logitsError, 'logits').toBeLessThanOrEqual(LOGITS_TOLERANCE);
      expect(lossError, 'loss').toBeLessThanOrEqual(LOSS_TOLERANCE);

      const state = model.createState(c.B);
      const V = c.spec.vocabSize;
      const stepped = new Float32Array(c.B * c.T * V);
      for (let t = 0; t < c.T; t++) {
        const column = Int32Array.from({ length: c.B }, (_, b) => c.inputs[b * c.T + t]!);
        const out = await model.step(column, state);
        for (let b = 0; b < c.B; b++) stepped.set(out.subarray(b * V, (b + 1) * V), (b * c.T + t) * V);
      }
      const stepError = relativeError(stepped, c.logitsStep);
      expect(stepError, 'logits_step').toBeLessThanOrEqual(LOGITS_TOLERANCE);
      const e = (x: number) => x.toExponential(1);
      measured.push(`  ${name}: logits ${e(logitsError)}, logits_step ${e(stepError)}, loss ${e(lossError)}`);
    } finally {
      model.dispose();
    }
  });
});
