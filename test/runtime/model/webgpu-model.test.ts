import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../../compiler/spec.js';
import type { XlstmDevice } from '../../../runtime/device.js';
import { acquireNodeDevice } from '../../../runtime/device-node.js';
import { UserError } from '../../../runtime/errors.js';
import { WebGpuModel } from '../../../runtime/model/webgpu-model.js';
import { referenceForward, referenceLoss } from '../../../runtime/reference/model.js';
import { createReferenceState, referenceStep, type ReferenceState } from '../../../runtime/reference/recurrent.js';
import { createRng, randomTokens } from '../../helpers/random.js';
import { tinyModelSpec, type TinyModelOptions } from '../../helpers/random-model.js';
import { relativeError } from '../gpu/gpu-test-kit.js';
import { loadedModel, logitSlice, tokenSlice } from './model-kit.js';

/** f32 kernels against the float64 reference: max |error| / max |reference|. */
const TOLERANCE = 1e-4;

const VARIANTS: [string, TinyModelOptions][] = [
  ['m s m: untied, biases, sLSTM conv, gelu', {}],
  ['s m s: tied, no biases, sLSTM without conv, swish, no post-blocks norm', { blocks: ['s', 'm', 's'], tieWeights: true, bias: false, slstmConv: 0, act: 'swish', addPostBlocksNorm: false }],
];

let dev: XlstmDevice;
beforeAll(async () => {
  dev = await acquireNodeDevice();
});
afterAll(() => dev?.destroy());

/** The reference's state as the runner's snapshot names it. */
function referenceStateTensors(spec: ModelSpec, state: ReferenceState): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  state.blocks.forEach((s, i) => {
    const block = spec.blocks[i]!.index;
    if (s.kind === 'mlstm') {
      out.set(`block.${block}.mlstm.C`, s.cell.c);
      out.set(`block.${block}.mlstm.n`, s.cell.n);
      out.set(`block.${block}.mlstm.m`, s.cell.m);
    } else {
      const { y, c, n, m } = s.cell;
      const packed = new Float64Array(4 * y.length);
      [y, c, n, m].forEach((part, j) => packed.set(part, j * y.length));
      out.set(`block.${block}.slstm`, packed);
    }
    if (s.conv !== null) out.set(`block.${block}.conv`, s.conv);
  });
  return out;
}

function referenceSteps(spec: ModelSpec, weights: Map<string, Float64Array>, tokens: Int32Array, batch: number, time: number, state: ReferenceState): void {
  for (let t = 0; t < time; t++) referenceStep(spec, weights, tokenSlice(tokens, batch, time, t, t + 1), state);
}

describe.each(VARIANTS)('WebGpuModel on a tiny random model: %s', (_, variant) => {
  const spec = tinyModelSpec(variant);
  const V = spec.vocabSize;

  it('logits and loss of the parallel forward match the float64 reference', async () => {
    const rng = createRng();
    const { model, weights } = loadedModel(spec, dev, rng);
    const [B, T] = [2, 12];
    const tokens = randomTokens(rng, B * T, V);
    const targets = randomTokens(rng, B * T, V);
    const expected = referenceForward(spec, weights, tokens, B, T).logits;
    const { logits, loss } = await model.evaluate(tokens, B, T, targets);
    expect(relativeError(logits, expected), `seed ${rng.seed}`).toBeLessThan(TOLERANCE);
    const expectedLoss = referenceLoss(expected, targets, B, T, V);
    expect(Math.abs(loss! - expectedLoss) / expectedLoss, `seed ${rng.seed}`).toBeLessThan(1e-5);
    expect(await model.loss(tokens, targets, B, T)).toBe(loss);
    model.dispose();
  });

  it('a sequence fed in pieces (12 + 12) gives the logits of feeding it whole, and the reference state', async () => {
    const rng = createRng();
    const { model, weights } = loadedModel(spec, dev, rng);
    const [B, T, cut] = [2, 24, 12];
    const tokens = randomTokens(rng, B * T, V);
    const whole = await model.forward(tokens, B, T);
    const first = await model.forward(tokenSlice(tokens, B, T, 0, cut), B, cut);
    const second = await model.forward(tokenSlice(tokens, B, T, cut, T), B, T - cut, first.state);
    expect(second.state).toBe(first.state);
    expect(relativeError(first.logits, logitSlice(whole.logits, B, T, V, 0, cut)), `seed ${rng.seed}`).toBeLessThan(TOLERANCE);
    expect(relativeError(second.logits, logitSlice(whole.logits, B, T, V, cut, T)), `seed ${rng.seed}`).toBeLessThan(TOLERANCE);
    expect(relativeError(whole.logits, referenceForward(spec, weights, tokens, B, T).logits), `seed ${rng.seed}`).toBeLessThan(TOLERANCE);

    const reference = createReferenceState(spec, B);
    referenceSteps(spec, weights, tokens, B, T, reference);
    const expected = referenceStateTensors(spec, reference);
    for (const state of [whole.state, second.state]) {
      const snapshot = await model.readState(state);
      expect(snapshot.map((s) => s.name).sort()).toEqual([...expected.keys()].sort());
      for (const s of snapshot) expect(relativeError(s.values, expected.get(s.name)!), `${s.name}, seed ${rng.seed}`).toBeLessThan(TOLERANCE);
    }
    model.dispose();
  });

  it('the step API from the zero state, then a forward piece continuing it, match the reference step by step', async () => {
    const rng = createRng();
    const { model, weights } = loadedModel(spec, dev, rng);
    const [B, steps, T] = [2, 3, 12];
    const tokens = randomTokens(rng, B * (steps + T), V);
    const reference = createReferenceState(spec, B);
    const state = model.createState(B);
    for (let t = 0; t < steps; t++) {
      const column = tokenSlice(tokens, B, steps + T, t, t + 1);
      const expected = referenceStep(spec, weights, column, reference);
      expect(relativeError(await model.step(column, state), expected), `step ${t}, seed ${rng.seed}`).toBeLessThan(TOLERANCE);
    }
    const rest = tokenSlice(tokens, B, steps + T, steps, steps + T);
    const { logits } = await model.forward(rest, B, T, state);
    const expected = new Float64Array(B * T * V);
    for (let t = 0; t < T; t++) {
      const out = referenceStep(spec, weights, tokenSlice(rest, B, T, t, t + 1), reference);
      for (let b = 0; b < B; b++) expected.set(out.subarray(b * V, (b + 1) * V), (b * T + t) * V);
    }
    expect(relativeError(logits, expected), `seed ${rng.seed}`).toBeLessThan(TOLERANCE);
    model.dispose();
  });
});

describe('WebGpuModel runs', () => {
  const spec = tinyModelSpec();
  const V = spec.vocabSize;

  it('inputs longer than a piece run in pieces; evaluate and loss agree with the reference', async () => {
    const rng = createRng();
    const { model, weights } = loadedModel(spec, dev, rng, { pieceLength: 12 });
    const [B, T] = [2, 30];
    const tokens = randomTokens(rng, B * T, V);
    const targets = randomTokens(rng, B * T, V);
    const expected = referenceForward(spec, weights, tokens, B, T).logits;
    const before = model.stats.submits;
    const { logits, loss } = await model.evaluate(tokens, B, T, targets);
    expect(model.stats.submits - before, 'one submit per piece: 12 + 12 + 6').toBe(3);
    expect(relativeError(logits, expected), `seed ${rng.seed}`).toBeLessThan(TOLERANCE);
    const expectedLoss = referenceLoss(expected, targets, B, T, V);
    expect(Math.abs(loss! - expectedLoss) / expectedLoss, `seed ${rng.seed}`).toBeLessThan(1e-5);
    expect(Math.abs((await model.loss(tokens, targets, B, T)) - expectedLoss) / expectedLoss).toBeLessThan(1e-5);
    model.dispose();
  });

  it('without fusion (one kernel per IR op where one exists) the logits are the same', async () => {
    const rng = createRng();
    const fused = loadedModel(spec, dev, rng);
    const unfused = new WebGpuModel(spec, dev, { fuse: false });
    unfused.loadWeights(new Map([...fused.weights].map(([n, w]) => [n, Float32Array.from(w)])));
    const [B, T] = [2, 12];
    const tokens = randomTokens(rng, B * T, V);
    const expected = referenceForward(spec, fused.weights, tokens, B, T).logits;
    expect(relativeError((await unfused.evaluate(tokens, B, T)).logits, expected), `seed ${rng.seed}`).toBeLessThan(TOLERANCE);
    const request = { mode: 'parallel' as const, batch: B, seqLen: T };
    expect(unfused.plan(request).steps.length).toBeGreaterThan(fused.model.plan(request).steps.length);
    fused.model.dispose();
    unfused.dispose();
  });

  it('greedy sampling on the device picks the arg-max of the step logits and reads back only the tokens', async () => {
    const rng = createRng();
    const { model } = loadedModel(spec, dev, rng);
    const B = 2;
    const a = model.createState(B);
    const b = model.createState(B);
    let tokens = randomTokens(rng, B, V);
    for (let t = 0; t < 3; t++) {
      const logits = await model.step(tokens, a);
      const picked = await model.sample(tokens, b, { temperature: 0 });
      const argmax = Array.from({ length: B }, (_, r) => {
        const row = logits.subarray(r * V, (r + 1) * V);
        return row.indexOf(Math.max(...row));
      });
      expect([...picked], `seed ${rng.seed}`).toEqual(argmax);
      const topOne = await model.sample(picked, model.createState(B), { temperature: 1, topK: 1, draws: [0.5, 0.9] });
      expect(topOne.every((id) => id >= 0 && id < V)).toBe(true);
      tokens = picked;
    }
    model.dispose();
  });

  it('runs calls in call order: calls not awaited in between give the results of awaited ones', async () => {
    const rng = createRng();
    const { model } = loadedModel(spec, dev, rng);
    const [B, T] = [2, 12];
    const tokens = randomTokens(rng, B * T, V);
    const next = randomTokens(rng, B, V);
    const awaited = model.createState(B);
    const first = await model.forward(tokens, B, T, awaited);
    const second = await model.step(next, awaited);
    const racing = model.createState(B);
    const [a, b, snapshot] = await Promise.all([model.forward(tokens, B, T, racing), model.step(next, racing), model.readState(racing)]);
    expect(a.logits).toEqual(first.logits);
    expect(b).toEqual(second);
    expect(snapshot).toEqual(await model.readState(awaited));
    model.dispose();
  });

  it('rejects bad tokens, foreign or mismatched states, missing weights and a model too large for the device', async () => {
    const rng = createRng();
    const { model } = loadedModel(spec, dev, rng);
    await expect(model.forward(Int32Array.of(0, V), 1, 2)).rejects.toThrow(UserError);
    await expect(model.forward(Int32Array.of(0, 1, 2), 1, 2)).rejects.toThrow(/expected 1×2/);
    const state = model.createState(2);
    await expect(model.step(Int32Array.of(0), state)).rejects.toThrow(/expected 2×1/);
    await expect(model.forward(Int32Array.of(0, 1), 1, 2, state)).rejects.toThrow(/holds 2 sequences/);
    state.dispose();
    await expect(model.step(Int32Array.of(0, 1), state)).rejects.toThrow(/disposed/);
    const other = new WebGpuModel(spec, dev);
    await expect(other.step(Int32Array.of(0, 1), model.createState(2))).rejects.toThrow(/another model/);
    await expect(other.step(Int32Array.of(0, 1), other.createState(2))).rejects.toThrow(/no weights loaded/);
    expect(() => other.loadWeights(new Map())).toThrow(/missing token_embedding\.weight/);
    other.dispose();
    const huge = { ...spec, vocabSize: Math.ceil((2 * dev.limits['maxStorageBufferBindingSize']!) / (4 * spec.embeddingDim)) };
    expect(() => new WebGpuModel(huge, dev)).toThrow(UserError);
    model.dispose();
  });
});
