/**
 * Golden gradient parity on WebGPU (f32): for every golden case, ∂loss/∂p from the training plan's
 * forward and backward kernels against the official PyTorch float64 gradients, per tensor relative to
 * the tensor's largest gradient (with a floor for tensors whose gradient is ~0 everywhere). The
 * official float32 model itself lands 7e-7 – 5e-6 from these files (golden/README.md). One case also
 * goes through the CLI: `xlstm import-config`, then `xlstm eval --backend webgpu --grads`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XlstmDevice } from '../../runtime/device.js';
import { acquireNodeDevice } from '../../runtime/device-node.js';
import { tensorToFloat64 } from '../../runtime/io/safetensors.js';
import { readSafetensorsFile } from '../../runtime/io/safetensors-node.js';
import { WebGpuTrainBackend } from '../../runtime/train/webgpu-backend.js';
import { importGoldenConfig, requireBuilt, runXlstmOk } from '../compiler/cli/spawn-xlstm.js';
import { goldenCaseNames, loadGoldenCase } from '../helpers/golden.js';
import { failingTensors, gradientErrors } from '../helpers/gradient-compare.js';

const measured: string[] = [];
let dev: XlstmDevice;
beforeAll(async () => {
  dev = await acquireNodeDevice();
});
afterAll(() => {
  dev?.destroy();
  console.log(`WebGPU f32 gradients vs the official float64 ones (worst tensor):\n${measured.join('\n')}`);
});

describe('golden gradients on WebGPU (f32)', () => {
  it.each(goldenCaseNames())('%s', async (name) => {
    const g = await loadGoldenCase(name);
    const backend = new WebGpuTrainBackend(g.spec, dev, g.weights);
    try {
      const { loss, grads } = await backend.lossAndGradients([{ inputs: g.inputs, targets: g.targets, batch: g.batch, time: g.time }]);
      expect(Math.abs(loss - g.loss) / g.loss, 'loss').toBeLessThan(1e-5);
      expect([...grads.keys()]).toEqual([...g.grads.keys()]);
      const errors = gradientErrors(grads, g.grads);
      expect(failingTensors(errors)).toBe('');
      const worst = errors.reduce((a, b) => (b.error > a.error ? b : a));
      measured.push(`  ${name}: ${worst.error.toExponential(1)} (${worst.name})`);
    } finally {
      await backend.dispose();
    }
  });
});

describe('xlstm eval --backend webgpu --grads', () => {
  it('writes the golden gradients of mixed_1_1 (tied, biases) as F32 under the official names', async () => {
    requireBuilt('eval');
    const g = await loadGoldenCase('mixed_1_1');
    const caseDir = join(import.meta.dirname, '..', 'fixtures', 'golden', 'case_mixed_1_1');
    const work = mkdtempSync(join(tmpdir(), 'xlstm-grads-'));
    try {
      importGoldenConfig(caseDir, work);
      const run = (...args: string[]) => runXlstmOk(work, ...args);
      const inputs = join(caseDir, 'outputs.safetensors');
      const r = run('eval', 'model.xlstm', '--weights', join(caseDir, 'weights.safetensors'), '--inputs', inputs, '--out', 'out.safetensors', '--grads', 'grads.safetensors', '--backend', 'webgpu');
      expect(r.stdout).toContain(`wrote grads.safetensors: gradients of ${g.grads.size} parameter tensors`);
      const file = await readSafetensorsFile(join(work, 'grads.safetensors'));
      expect(file.metadata['backend']).toBe('webgpu');
      expect([...file.tensors.keys()]).toEqual([...g.grads.keys()]);
      expect([...file.tensors.values()].every((t) => t.dtype === 'F32')).toBe(true);
      const grads = new Map([...file.tensors].map(([name, t]) => [name, tensorToFloat64(t, name)]));
      expect(failingTensors(gradientErrors(grads, g.grads))).toBe('');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
