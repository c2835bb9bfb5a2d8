import { afterAll, beforeAll, describe, it } from 'vitest';
import { gatedFfnActBackwardKernel } from '../../../compiler/kernels/gated-ffn-act-backward.js';
import { ACTIVATIONS, type Activation } from '../../../compiler/spec.js';
import { activationBackward, activationForward } from '../../../runtime/reference/ops/activations.js';
import { concatColumns, splitColumns } from '../../../runtime/reference/ops/columns.js';
import { openGpuKit, testRng, type GpuKit } from '../../runtime/gpu/gpu-test-kit.js';
import { expectClose, GradCheck } from './grad-check.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

async function check(rows: number, F: number, activation: Activation): Promise<void> {
  const { seed, rng } = testRng();
  const g = new GradCheck(kit, rng);
  const up = g.input('up', rows * 2 * F, 1.5);
  const dHidden = g.input('dHidden', rows * F);
  g.output('dUp', rows * 2 * F);
  const out = await g.run([gatedFfnActBackwardKernel({ rows, upDim: F, activation }, kit.target)], ['dUp']);
  const [gate, value] = splitColumns(up, rows, [F, F]);
  const dGate = activationBackward(activation, gate!, dHidden.map((d, i) => d * value![i]!));
  const dValue = activationForward(activation, gate!).map((a, i) => a * dHidden[i]!);
  expectClose(out['dUp']!, concatColumns([dGate, dValue], rows, [F, F]), 2e-5, `dUp (${activation})`, seed);
}

describe('gated FFN activation backward against the float64 reference', () => {
  it.each(ACTIVATIONS.map((a) => [a]))('%s, vec4 and scalar rows', async (activation) => {
    await check(7, 12, activation);
    await check(5, 3, activation);
  });

  it.each([
    [1, 1],
    [33, 20],
    [4, 172],
  ])('gelu over %i rows, F=%i', async (rows, F) => {
    await check(rows, F, 'gelu');
  });
});
