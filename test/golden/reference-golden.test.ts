import { beforeAll, describe, expect, it } from 'vitest';
import { referenceForward, referenceLoss, referenceLossAndGrads } from '../../runtime/reference/model.js';
import { referenceForwardRecurrent } from '../../runtime/reference/recurrent.js';
import { goldenCaseNames, loadGoldenCase, type GoldenData } from '../helpers/golden.js';

/**
 * The float64 reference against the official PyTorch model (golden/README.md, "Suggested
 * tolerances"): logits and logits_step 1e-10 absolute, loss 1e-12, every gradient 1e-9 relative to its
 * tensor's max |value|. Measured errors are printed for the record.
 */

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN;
    m = Math.max(m, d);
  }
  return m;
}

function maxAbs(a: Float64Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

describe.each(goldenCaseNames())('golden case %s: float64 reference', (name) => {
  let g: GoldenData;
  beforeAll(async () => {
    g = await loadGoldenCase(name);
  });

  it('parallel forward reproduces logits and every recorded activation', () => {
    const { logits, activations } = referenceForward(g.spec, g.weights, g.inputs, g.batch, g.time, { collectActivations: true });
    const logitsError = maxAbsDiff(logits, g.logits);
    const activationErrors = [...g.activations].map(([key, expected]) => {
      const actual = activations?.get(key);
      return [key, actual === undefined ? NaN : maxAbsDiff(actual, expected)] as const;
    });
    console.log(`${name}: logits max abs error ${logitsError.toExponential(2)}; worst activation ${Math.max(...activationErrors.map((e) => e[1])).toExponential(2)}`);
    for (const [key, err] of activationErrors) expect(err, `activation ${key}`).toBeLessThan(1e-10);
    expect(logitsError).toBeLessThan(1e-10);
    expect([...(activations?.keys() ?? [])].sort()).toEqual([...g.activations.keys()].sort());
  });

  it('recurrent (step) forward reproduces logits_step', () => {
    const err = maxAbsDiff(referenceForwardRecurrent(g.spec, g.weights, g.inputs, g.batch, g.time), g.logitsStep);
    console.log(`${name}: logits_step max abs error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-10);
  });

  it('loss and gradients of every parameter match, in named_parameters order', () => {
    const { loss, logits, grads } = referenceLossAndGrads(g.spec, g.weights, g.inputs, g.targets, g.batch, g.time);
    const lossError = Math.abs(loss - g.loss);
    const gradErrors = [...g.grads].map(([key, expected]) => {
      const actual = grads.get(key);
      return [key, actual === undefined ? NaN : maxAbsDiff(actual, expected) / maxAbs(expected)] as const;
    });
    const worst = gradErrors.reduce((a, b) => (Number.isNaN(b[1]) || b[1] > a[1] ? b : a));
    console.log(`${name}: loss error ${lossError.toExponential(2)}; worst gradient ${worst[0]} ${worst[1].toExponential(2)} (relative to tensor max)`);
    expect(lossError).toBeLessThan(1e-12);
    expect(Math.abs(referenceLoss(logits, g.targets, g.batch, g.time, g.spec.vocabSize) - g.loss)).toBeLessThan(1e-12);
    for (const [key, err] of gradErrors) expect(err, `gradient ${key}`).toBeLessThan(1e-9);
    expect([...grads.keys()]).toEqual([...g.grads.keys()]);
  });
});
