/**
 * Golden gradient parity on WebGPU (f32): for every golden case, ∂loss/∂p from the training plan's
 * forward and backward kernels against the official PyTorch float64 gradients, per tensor relative to
 * the tensor's largest gradient (with a floor for tensors whose gradient is ~0 everywhere). The
 * official float32 model itself lands 7e-7 – 5e-6 from these files (golden/README.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XlstmDevice } from '../../runtime/device.js';
import { acquireNodeDevice } from '../../runtime/device-node.js';
import { WebGpuTrainBackend } from '../../runtime/train/webgpu-backend.js';
import { loadGoldenCase, goldenCaseNames } from '../helpers/golden.js';
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
