import { describe, expect, it } from 'vitest';
import { parameterSpecs } from '../../../compiler/params.js';
import { UserError } from '../../../runtime/errors.js';
import { referenceForward, referenceLoss, referenceLossAndGrads } from '../../../runtime/reference/model.js';
import { createReferenceState, referenceForwardRecurrent, referenceStep } from '../../../runtime/reference/recurrent.js';
import { checkGradients, expectGradientsMatch } from '../../helpers/finite-diff.js';
import { createRng, randomTokens } from '../../helpers/random.js';
import { randomWeights, tinyModelSpec, type TinyModelOptions } from '../../helpers/random-model.js';

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = a.length === b.length ? 0 : NaN;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const VARIANTS: [string, TinyModelOptions][] = [
  ['m s m, untied, biases, sLSTM conv, gelu', {}],
  ['s m, tied, no biases, sLSTM without conv, swish, FFN biases', { blocks: ['s', 'm'], tieWeights: true, bias: false, slstmConv: 0, act: 'swish', ffnBias: true }],
  ['m m, no post-blocks norm', { blocks: ['m', 'm'], addPostBlocksNorm: false }],
  ['s s, relu^2', { blocks: ['s', 's'], act: 'relu^2' }],
];

describe('reference model', () => {
  it.each(VARIANTS)('gradients of the loss match finite differences: %s', (_label, options) => {
    const rng = createRng();
    const spec = tinyModelSpec(options);
    const weights = randomWeights(spec, rng);
    const [B, T] = [2, 5];
    const inputs = randomTokens(rng, B * T, spec.vocabSize);
    const targets = randomTokens(rng, B * T, spec.vocabSize);
    const { loss, logits, grads } = referenceLossAndGrads(spec, weights, inputs, targets, B, T);
    const lossOf = () => referenceLoss(referenceForward(spec, weights, inputs, B, T).logits, targets, B, T, spec.vocabSize);
    expect(loss).toBe(lossOf());
    expect(maxAbsDiff(logits, referenceForward(spec, weights, inputs, B, T).logits)).toBe(0);
    const expectedNames = parameterSpecs(spec).filter((p) => p.tiedTo === undefined).map((p) => p.name);
    expect([...grads.keys()]).toEqual(expectedNames);
    const tensors = expectedNames.map((name) => ({ name, values: weights.get(name)!, grad: grads.get(name)! }));
    expectGradientsMatch(checkGradients(lossOf, tensors, rng, { samples: 4 }), rng.seed);
  });

  it('collects the golden activation names', () => {
    const spec = tinyModelSpec();
    const rng = createRng();
    const { activations } = referenceForward(spec, randomWeights(spec, rng), randomTokens(rng, 6, spec.vocabSize), 2, 3, { collectActivations: true });
    expect([...(activations?.keys() ?? [])]).toEqual([
      'embedding',
      'blocks.0.xlstm',
      'blocks.0',
      'blocks.1.xlstm',
      'blocks.1',
      'blocks.2.xlstm',
      'blocks.2',
      'post_blocks_norm',
    ]);
    expect(referenceForward(spec, randomWeights(spec, rng), Int32Array.of(1), 1, 1).activations).toBeUndefined();
  });

  it('is causal: changing a later token leaves earlier logits unchanged', () => {
    const rng = createRng();
    const spec = tinyModelSpec();
    const weights = randomWeights(spec, rng);
    const T = 6;
    const inputs = randomTokens(rng, T, spec.vocabSize);
    const changed = inputs.slice();
    changed[4] = (changed[4] + 1) % spec.vocabSize;
    const V = spec.vocabSize;
    const a = referenceForward(spec, weights, inputs, 1, T).logits;
    const b = referenceForward(spec, weights, changed, 1, T).logits;
    expect(maxAbsDiff(a.subarray(0, 4 * V), b.subarray(0, 4 * V))).toBe(0);
    expect(maxAbsDiff(a.subarray(4 * V), b.subarray(4 * V))).toBeGreaterThan(0);
  });

  it('treats batch rows independently', () => {
    const rng = createRng();
    const spec = tinyModelSpec();
    const weights = randomWeights(spec, rng);
    const inputs = randomTokens(rng, 2 * 4, spec.vocabSize);
    const both = referenceForward(spec, weights, inputs, 2, 4).logits;
    const second = referenceForward(spec, weights, inputs.slice(4), 1, 4).logits;
    expect(maxAbsDiff(both.subarray(4 * spec.vocabSize), second)).toBeLessThan(1e-14);
  });

  it('recurrent inference equals the parallel forward to rounding when the mLSTM eps is 0, and nearly with the official eps', () => {
    const rng = createRng();
    const spec = tinyModelSpec();
    const weights = randomWeights(spec, rng);
    const [B, T] = [2, 7];
    const inputs = randomTokens(rng, B * T, spec.vocabSize);
    const noEps = { ...spec, mlstmCellEps: 0 };
    expect(maxAbsDiff(referenceForwardRecurrent(noEps, weights, inputs, B, T), referenceForward(noEps, weights, inputs, B, T).logits), `seed ${rng.seed}`).toBeLessThan(1e-12);
    // The eps enters at different stabiliser scales in the two forms (golden/README.md); ~1e-8 in the golden cases.
    expect(maxAbsDiff(referenceForwardRecurrent(spec, weights, inputs, B, T), referenceForward(spec, weights, inputs, B, T).logits), `seed ${rng.seed}`).toBeLessThan(1e-4);
  });

  it('referenceStep streams a sequence through an explicit state, also past the context length', () => {
    const rng = createRng();
    const spec = tinyModelSpec();
    const weights = randomWeights(spec, rng);
    const [B, T] = [2, spec.contextLength + 3];
    const inputs = randomTokens(rng, B * T, spec.vocabSize);
    const expected = referenceForwardRecurrent(spec, weights, inputs, B, T);
    const state = createReferenceState(spec, B);
    const V = spec.vocabSize;
    for (let t = 0; t < T; t++) {
      const logits = referenceStep(spec, weights, Int32Array.from({ length: B }, (_, b) => inputs[b * T + t]), state);
      for (let b = 0; b < B; b++) expect(maxAbsDiff(logits.subarray(b * V, (b + 1) * V), expected.subarray((b * T + t) * V, (b * T + t + 1) * V))).toBe(0);
    }
    // The parallel form has no length limit either.
    expect(referenceForward(spec, weights, inputs, B, T).logits.every(Number.isFinite)).toBe(true);
  });

  it('rejects bad inputs and weights with one-line user errors', () => {
    const spec = tinyModelSpec();
    const weights = randomWeights(spec, createRng());
    const ok = Int32Array.of(0, 1, 2, 3);
    expect(() => referenceForward(spec, weights, Int32Array.of(0, 7), 1, 2)).toThrow(/token 7 at position 1 is outside the vocabulary \[0, 7\)/);
    expect(() => referenceForward(spec, weights, ok, 2, 3)).toThrow(/expected 2×3 = 6 token ids, got 4/);
    expect(() => referenceForward(spec, weights, new Int32Array(0), 0, 0)).toThrow(/batch size must be a positive integer/);
    expect(() => referenceLossAndGrads(spec, weights, ok, Int32Array.of(0, 0, 0, -1), 2, 2)).toThrow(/targets: token -1/);
    const missing = new Map(weights);
    missing.delete('xlstm_block_stack.blocks.1.xlstm.slstm_cell._bias_');
    expect(() => referenceForward(spec, missing, ok, 2, 2)).toThrow(UserError);
    expect(() => referenceForward(spec, missing, ok, 2, 2)).toThrow(/missing tensor xlstm_block_stack\.blocks\.1\.xlstm\.slstm_cell\._bias_ \[24\]/);
    const wrong = new Map(weights).set('token_embedding.weight', new Float64Array(3));
    expect(() => referenceForward(spec, wrong, ok, 2, 2)).toThrow(/token_embedding\.weight has 3 elements, expected \[7, 6\] = 42/);
    expect(() => referenceStep(spec, weights, Int32Array.of(1), createReferenceState(spec, 2))).toThrow(/expected 2×1 = 2 token ids, got 1/);
  });

  it('with tied weights the embedding gradient sums the embedding and LM-head contributions', () => {
    const rng = createRng();
    const tied = tinyModelSpec({ tieWeights: true });
    const untied = tinyModelSpec({ tieWeights: false });
    const weights = randomWeights(untied, rng);
    weights.set('lm_head.weight', weights.get('token_embedding.weight')!.slice());
    const [B, T] = [2, 3];
    const inputs = randomTokens(rng, B * T, 7);
    const targets = randomTokens(rng, B * T, 7);
    const separate = referenceLossAndGrads(untied, weights, inputs, targets, B, T).grads;
    const shared = referenceLossAndGrads(tied, weights, inputs, targets, B, T).grads;
    expect(shared.has('lm_head.weight')).toBe(false);
    const sum = separate.get('token_embedding.weight')!.map((v, i) => v + separate.get('lm_head.weight')![i]);
    expect(maxAbsDiff(shared.get('token_embedding.weight')!, sum)).toBeLessThan(1e-15);
  });
});
