import { afterAll, beforeAll, describe, it } from 'vitest';
import { gatedFfnActBackwardKernel } from '../../../compiler/kernels/gated-ffn-act-backward.js';
import { linearBackwardKernels } from '../../../compiler/kernels/linear-backward.js';
import type { Activation } from '../../../compiler/spec.js';
import type { DeviceTensor } from '../../../runtime/exec/arena.js';
import { bindAll } from '../../../runtime/exec/executor.js';
import { activationForward } from '../../../runtime/reference/ops/activations.js';
import { splitColumns } from '../../../runtime/reference/ops/columns.js';
import { gatedFfnBackward } from '../../../runtime/reference/ops/gated-ffn.js';
import { layerNormBackward, layerNormForward } from '../../../runtime/reference/ops/layer-norm.js';
import { linearForward } from '../../../runtime/reference/ops/linear.js';
import { openGpuKit, poison, randomF32, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { expectClose } from './grad-check.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

/**
 * The sLSTM block's feed-forward sub-block, y = x + proj_down(act(u_gate) ⊙ u_value), u = proj_up(LN(x)),
 * backward through the kernels as a training step would chain them: proj_down's linear backward,
 * the gated activation's backward, proj_up's backward with the fused LayerNorm prologue adding into
 * dx, which already holds the residual's gradient dy. Checked against the float64 reference block.
 */
describe('feed-forward sub-block backward chained from the kernels against the float64 reference block', () => {
  it.each([
    [12, 16, 24, 'gelu'],
    [9, 12, 20, 'swish'],
    [7, 10, 6, 'relu^2'],
  ] as const)('rows=%i E=%i F=%i %s', async (rows, E, F, act: Activation) => {
    const { seed, rng } = testRng();
    const { exec } = kit;
    const data = {
      x: randomF32(rng, rows * E, 1, 2),
      dy: randomF32(rng, rows * E),
      lnWeight: randomF32(rng, E, 0.3),
      up: randomF32(rng, 2 * F * E, 1 / Math.sqrt(E)),
      upBias: randomF32(rng, 2 * F, 0.1),
      down: randomF32(rng, E * F, 1 / Math.sqrt(F)),
      downBias: randomF32(rng, E, 0.1),
    };
    const weights = { upWeight: data.up.f64, upBias: data.upBias.f64, downWeight: data.down.f64, downBias: data.downBias.f64 };
    // the forward's kept activations, as f32 like the forward kernels would have left them
    const norm = layerNormForward(data.x.f64, data.lnWeight.f64, rows, E, 1e-5);
    const u = Float32Array.from(linearForward(norm.y, data.up.f64, data.upBias.f64, rows, E, 2 * F));
    const [gate, value] = splitColumns(Float64Array.from(u), rows, [F, F]);
    const hidden = Float32Array.from(activationForward(act, gate!).map((a, i) => a * value![i]!));

    const t: Record<string, DeviceTensor> = {};
    const input = (name: string, v: Float32Array): void => {
      t[name] = exec.tensor(name, v.length);
      exec.uploadF32(t[name]!, v);
    };
    for (const [name, v] of Object.entries(data)) input(name, v.f32);
    input('u', u);
    input('hidden', hidden);
    input('dx', data.dy.f32); // the residual's gradient, which proj_up's backward adds to
    for (const [name, n] of Object.entries({ dHidden: rows * F, dUp: rows * 2 * F, dDown: E * F, dDownBias: E, dUpW: 2 * F * E, dUpBias: 2 * F, dLn: E })) {
      t[name] = exec.tensor(name, n);
      poison(exec, t[name]!);
    }
    const scratch = (name: string, n: number): DeviceTensor => {
      t[name] = exec.tensor(name, n);
      poison(exec, t[name]!);
      return t[name]!;
    };
    const down = linearBackwardKernels({ m: rows, n: E, k: F, bias: true, name: 'ffn_down_backward' }, kit.target);
    const gated = gatedFfnActBackwardKernel({ rows, upDim: F, activation: act }, kit.target);
    const up = linearBackwardKernels({ m: rows, n: 2 * F, k: E, bias: true, layerNorm: { eps: 1e-5 }, accumulate: { dx: true }, name: 'ffn_up_backward' }, kit.target);
    const partial = up.flatMap((k) => k.bindings).find((b) => b.name === 'partial');
    const out = await exec.run(
      [
        ...bindAll(down, { dy: t['dy']!, x: t['hidden']!, w: t['down']!, dx: t['dHidden']!, dw: t['dDown']!, db: t['dDownBias']! }),
        ...bindAll([gated], { up: t['u']!, dHidden: t['dHidden']!, dUp: t['dUp']! }),
        ...bindAll(up, {
          dy: t['dUp']!,
          x: t['x']!,
          w: t['up']!,
          lnWeight: t['lnWeight']!,
          stats: scratch('stats', 2 * rows),
          dA: scratch('dA', rows * E),
          sums: scratch('sums', 2 * rows),
          ...(partial ? { partial: scratch('partial', partial.elements) } : {}),
          dx: t['dx']!,
          dw: t['dUpW']!,
          db: t['dUpBias']!,
          dLnWeight: t['dLn']!,
        }),
      ],
      { read: ['dx', 'dDown', 'dDownBias', 'dUpW', 'dUpBias', 'dLn'].map((n) => t[n]!) },
    );

    const ffn = gatedFfnBackward(data.dy.f64, norm.y, weights, act, { rows, dim: E, upDim: F });
    const ln = layerNormBackward(ffn.dx, data.lnWeight.f64, norm.cache, rows, E);
    const expected = [ln.dx.map((v, i) => v + data.dy.f64[i]!), ffn.dDownWeight, ffn.dDownBias!, ffn.dUpWeight, ffn.dUpBias!, ln.dWeight];
    expected.forEach((e, i) => expectClose(out[i]!, e, 2e-5, ['dx', 'd proj_down.weight', 'd proj_down.bias', 'd proj_up.weight', 'd proj_up.bias', 'd ffn_norm.weight'][i]!, seed));
  });
});
