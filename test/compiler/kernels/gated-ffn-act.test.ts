import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatedFfnActKernel } from '../../../compiler/kernels/gated-ffn-act.js';
import { linearKernels } from '../../../compiler/kernels/linear.js';
import { ACTIVATIONS } from '../../../compiler/spec.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { activationForward } from '../../../runtime/reference/ops/activations.js';
import { splitColumns } from '../../../runtime/reference/ops/columns.js';
import { gatedFfnForward } from '../../../runtime/reference/ops/gated-ffn.js';
import { layerNormForward } from '../../../runtime/reference/ops/layer-norm.js';
import { openGpuKit, randomF32, relativeError, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { DeviceTensors } from './device-tensors.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

describe('gated FFN activation kernel against the float64 reference', () => {
  it.each(ACTIVATIONS.flatMap((a) => [[a, 3, 8] as const, [a, 5, 7] as const]))('%s, rows=%i F=%i', async (activation, rows, F) => {
    const { seed, rng } = testRng();
    const io = new DeviceTensors(kit.exec);
    const u = randomF32(rng, rows * 2 * F, 2);
    io.input('up', u.f32);
    io.output('hidden', rows * F);
    const kernel = gatedFfnActKernel({ rows, upDim: F, activation }, kit.target);
    const [hidden] = await kit.exec.run([{ kernel, tensors: io.map }], { read: [io.map.hidden!] });
    const [gate, value] = splitColumns(u.f64, rows, [F, F]);
    const expected = activationForward(activation, gate!).map((a, i) => a * value![i]!);
    expect(relativeError(hidden!, expected), `seed ${seed}`).toBeLessThan(1e-5);
  });

  it.each([['gelu' as const], ['relu^2' as const]])(
    'a whole FFN sub-block: x + FFN(LN(x)) with %s from linear (LN prologue) → activation → linear (residual epilogue)',
    async (activation) => {
      const { seed, rng } = testRng();
      const [rows, E, F] = [6, 12, 20];
      const io = new DeviceTensors(kit.exec);
      const x = randomF32(rng, rows * E, 1, 0.5);
      const norm = randomF32(rng, E, 0.2);
      const upW = randomF32(rng, 2 * F * E, 1 / Math.sqrt(E));
      const downW = randomF32(rng, E * F, 1 / Math.sqrt(F));
      io.input('x', x.f32);
      io.input('norm', norm.f32);
      io.input('upW', upW.f32);
      io.input('downW', downW.f32);
      io.output('stats', 2 * rows);
      io.output('up', rows * 2 * F);
      io.output('hidden', rows * F);
      io.output('y', rows * E);
      const up = linearKernels({ m: rows, n: 2 * F, k: E, layerNorm: { eps: 1e-5 } }, kit.target);
      const act = gatedFfnActKernel({ rows, upDim: F, activation }, kit.target);
      const down = linearKernels({ m: rows, n: E, k: F, residual: 'buffer' }, kit.target);
      const t = io.map;
      const dispatches = [
        ...bindAll(up, { x: t.x!, w: t.upW!, lnWeight: t.norm!, stats: t.stats!, y: t.up! }),
        { kernel: act, tensors: io.pick('up', 'hidden') },
        ...bindAll(down, { x: t.hidden!, w: t.downW!, residual: t.x!, y: t.y! }),
      ];
      const [y] = await kit.exec.run(dispatches, { read: [t.y!] });

      const normed = layerNormForward(x.f64, norm.f64, rows, E, 1e-5).y;
      const ffn = gatedFfnForward(normed, { upWeight: upW.f64, upBias: null, downWeight: downW.f64, downBias: null }, activation, {
        rows,
        dim: E,
        upDim: F,
      });
      expect(relativeError(y!, ffn.map((v, i) => v + x.f64[i]!)), `seed ${seed}`).toBeLessThan(2e-5);
    },
  );
});
