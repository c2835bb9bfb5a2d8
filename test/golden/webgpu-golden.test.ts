/**
 * Golden parity on WebGPU (f32): every golden case's official PyTorch outputs reproduced by the
 * kernel plans through `WebGpuModel`, with the spec imported from the case's official config and the
 * weights read by the checkpoint loader, as a user's run would get them. `logits` and `loss` from the
 * parallel form, `logits_step` from the step API starting at the zero state. Two cases also go
 * through the CLI: `xlstm import-config`, then `xlstm eval` with and without `--backend webgpu`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { importGoldenConfig, requireBuilt, ROOT, runXlstmOk } from '../compiler/cli/spawn-xlstm.js';
import { relativeError } from '../runtime/gpu/gpu-test-kit.js';
import { SHARED_GOLDEN } from '../compiler/ir/golden-spec.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'golden');
const MIXED_7_1 = join(SHARED_GOLDEN, 'case_mixed_7_1');
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

      const stepped = await model.stepLogits(c.inputs, c.B, c.T);
      const stepError = relativeError(stepped, c.logitsStep);
      expect(stepError, 'logits_step').toBeLessThanOrEqual(LOGITS_TOLERANCE);
      const e = (x: number) => x.toExponential(1);
      measured.push(`  ${name}: logits ${e(logitsError)}, logits_step ${e(stepError)}, loss ${e(lossError)}`);
    } finally {
      model.dispose();
    }
  });
});

describe('xlstm eval on WebGPU', () => {
  it.each(['mixed_1_1'])('%s: F32 logits, loss and logits_step within the tolerances; webgpu is the default, the reference without a device', async (name) => {
    requireBuilt('eval');
    const caseDir = join(FIXTURES, `case_${name}`);
    const c = await loadCase(caseDir);
    const work = mkdtempSync(join(tmpdir(), `xlstm-webgpu-eval-${name}-`));
    try {
      importGoldenConfig(caseDir, work);
      const run = (...args: string[]) => runXlstmOk(work, ...args);
      const common = ['eval', 'model.xlstm', '--weights', join(caseDir, 'weights.safetensors'), '--inputs', join(caseDir, 'outputs.safetensors')];
      // Dawn may print its own warnings (no Vulkan loader, limits); no note or error of ours
      expect(run(...common, '--out', 'explicit.safetensors', '--backend', 'webgpu', '--step').stderr).not.toContain('xlstm:');
      expect(run(...common, '--out', 'default.safetensors').stderr).not.toContain('xlstm:');

      const explicit = await readSafetensorsFile(join(work, 'explicit.safetensors'));
      expect(explicit.metadata['backend']).toBe('webgpu');
      expect([...explicit.tensors].map(([n, t]) => `${n} ${t.dtype} [${t.shape}]`)).toEqual([
        `logits F32 [${c.B},${c.T},${c.spec.vocabSize}]`,
        `logits_step F32 [${c.B},${c.T},${c.spec.vocabSize}]`,
        'loss F32 []',
      ]);
      const value = (n: string) => tensorToFloat64(explicit.tensors.get(n)!, n);
      expect(relativeError(value('logits'), c.logits)).toBeLessThanOrEqual(LOGITS_TOLERANCE);
      expect(relativeError(value('logits_step'), c.logitsStep)).toBeLessThanOrEqual(LOGITS_TOLERANCE);
      expect(Math.abs(value('loss')[0]! - c.loss) / Math.abs(c.loss)).toBeLessThanOrEqual(LOSS_TOLERANCE);
      const byDefault = await readSafetensorsFile(join(work, 'default.safetensors'));
      expect(byDefault.metadata['backend']).toBe('webgpu');
      expect(tensorToFloat64(byDefault.tensors.get('logits')!, 'logits')).toEqual(value('logits'));

      // no adapter anywhere: no Vulkan driver, and an EGL platform the GL backend cannot open
      const noDevice = spawnSync(process.execPath, [join(ROOT, 'bin', 'xlstm.js'), ...common, '--out', 'fallback.safetensors'], {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, EGL_PLATFORM: 'unusable', VK_ICD_FILENAMES: '/dev/null', VK_DRIVER_FILES: '/dev/null' },
      });
      expect(noDevice.status).toBe(0);
      expect(noDevice.stderr).toContain('xlstm: note: evaluating with --backend reference instead');
      const fallback = await readSafetensorsFile(join(work, 'fallback.safetensors'));
      expect(fallback.metadata['backend']).toBe('reference');
      expect(fallback.tensors.get('logits')!.dtype).toBe('F64');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
