/**
 * The WebGPU training step (f32) against the float64 reference: whole-model gradients of tiny random
 * models, 20 AdamW steps side by side with the reference backend, device memory flat over 500 steps,
 * checkpoint state in and out, and a non-finite step that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../../compiler/spec.js';
import type { XlstmDevice } from '../../../runtime/device.js';
import { acquireNodeDevice } from '../../../runtime/device-node.js';
import { initializeParameters } from '../../../runtime/init.js';
import { referenceLossAndGrads } from '../../../runtime/reference/model.js';
import type { StepHyper, TrainBatch } from '../../../runtime/train/backend.js';
import { ReferenceTrainBackend } from '../../../runtime/train/reference-backend.js';
import { WebGpuTrainBackend } from '../../../runtime/train/webgpu-backend.js';
import { failingTensors, gradientErrors } from '../../helpers/gradient-compare.js';
import { createRng, randomTokens, type TestRng } from '../../helpers/random.js';
import { randomWeights, tinyModelSpec, type TinyModelOptions } from '../../helpers/random-model.js';

const VARIANTS: [string, TinyModelOptions][] = [
  ['mLSTM only', { blocks: ['m', 'm'] }],
  ['sLSTM only', { blocks: ['s', 's'], act: 'relu^2' }],
  ['mixed m s m with biases', {}],
  ['tied s m, sLSTM without conv, swish, FFN biases, no post-blocks norm', { blocks: ['s', 'm'], tieWeights: true, bias: false, slstmConv: 0, act: 'swish', ffnBias: true, addPostBlocksNorm: false }],
];

let dev: XlstmDevice;
beforeAll(async () => {
  dev = await acquireNodeDevice();
});
afterAll(() => dev?.destroy());

/** Random weights rounded to f32, so both backends start from the very same values. */
function f32Weights(spec: ModelSpec, rng: TestRng): Map<string, Float64Array> {
  return new Map([...randomWeights(spec, rng)].map(([name, w]) => [name, Float64Array.from(Float32Array.from(w))]));
}

function randomBatch(rng: TestRng, spec: ModelSpec, batch: number, time: number): TrainBatch {
  return { inputs: randomTokens(rng, batch * time, spec.vocabSize), targets: randomTokens(rng, batch * time, spec.vocabSize), batch, time };
}

describe.each(VARIANTS)('WebGPU gradients of a tiny random model: %s', (_, variant) => {
  it('loss and every parameter gradient match the float64 reference', async () => {
    const rng = createRng();
    const spec = tinyModelSpec(variant);
    const weights = f32Weights(spec, rng);
    const b = randomBatch(rng, spec, 2, 8);
    const ref = referenceLossAndGrads(spec, weights, b.inputs, b.targets, b.batch, b.time);
    const backend = new WebGpuTrainBackend(spec, dev, weights);
    try {
      const { loss, grads } = await backend.lossAndGradients([b]);
      expect(Math.abs(loss - ref.loss) / ref.loss, `loss, seed ${rng.seed}`).toBeLessThan(1e-5);
      expect([...grads.keys()]).toEqual([...ref.grads.keys()]);
      expect(failingTensors(gradientErrors(grads, ref.grads)), `seed ${rng.seed}`).toBe('');
      // the gradients were cleared: a second pass gives the same, not twice as much
      const again = await backend.lossAndGradients([b]);
      expect(failingTensors(gradientErrors(again.grads, ref.grads)), `second pass, seed ${rng.seed}`).toBe('');
    } finally {
      await backend.dispose();
    }
  });
});

describe('WebGPU training backend', () => {
  const hyper = (step: number, clip: number | null = 1): StepHyper => ({ lr: 1e-2, weightDecay: 0.1, betas: [0.9, 0.95], eps: 1e-8, clip, step });

  it('micro-batches give the gradient of their mean loss', async () => {
    const rng = createRng();
    const spec = tinyModelSpec();
    const weights = f32Weights(spec, rng);
    const micro = [randomBatch(rng, spec, 1, 6), randomBatch(rng, spec, 1, 6)];
    const concat = (key: 'inputs' | 'targets') => Int32Array.from(micro.flatMap((m) => [...m[key]]));
    const ref = referenceLossAndGrads(spec, weights, concat('inputs'), concat('targets'), 2, 6);
    const backend = new WebGpuTrainBackend(spec, dev, weights);
    try {
      const { loss, grads } = await backend.lossAndGradients(micro);
      expect(Math.abs(loss - ref.loss) / ref.loss, `seed ${rng.seed}`).toBeLessThan(1e-5);
      expect(failingTensors(gradientErrors(grads, ref.grads)), `seed ${rng.seed}`).toBe('');
    } finally {
      await backend.dispose();
    }
  });

  it('20 AdamW steps track the reference backend from the same weights and batches', async () => {
    const rng = createRng();
    const spec = tinyModelSpec();
    // the official init, as training starts (random weights put the cells' max and min kinks close
    // enough that f32 rounding flips them within a few steps)
    const weights = new Map([...initializeParameters(spec, rng.int(2 ** 31), { dtype: 'f32' })].map(([name, w]) => [name, Float64Array.from(w)]));
    const gpu = new WebGpuTrainBackend(spec, dev, weights);
    const ref = new ReferenceTrainBackend(spec, weights);
    try {
      for (let step = 1; step <= 20; step++) {
        const micro = step % 5 === 0 ? [randomBatch(rng, spec, 2, 8), randomBatch(rng, spec, 2, 8)] : [randomBatch(rng, spec, 2, 8)];
        const h = { ...hyper(step, step % 2 === 0 ? 0.5 : null), lr: 3e-3 };
        const [ours, theirs] = [await gpu.step(micro, h), await ref.step(micro, h)];
        expect(ours.nonFinite).toBeUndefined();
        expect(Math.abs(ours.loss - theirs.loss) / theirs.loss, `step ${step} loss, seed ${rng.seed}`).toBeLessThan(1e-3);
        // the norm is continuous but has kinks where a max or min in a cell switches sides
        expect(Math.abs(ours.gradNorm - theirs.gradNorm) / theirs.gradNorm, `step ${step} gradient norm, seed ${rng.seed}`).toBeLessThan(5e-2);
      }
      const [w, wRef] = [await gpu.getWeights(), await ref.getWeights()];
      expect(failingTensors(gradientErrors(w, wRef as Map<string, Float64Array>), 1e-2), `weights after 20 steps, seed ${rng.seed}`).toBe('');
    } finally {
      await gpu.dispose();
    }
  });

  it('allocates no device memory after the first step: 500 steps, one submit each', async () => {
    const rng = createRng();
    const spec = tinyModelSpec({ blocks: ['m', 's'] });
    const backend = new WebGpuTrainBackend(spec, dev, f32Weights(spec, rng));
    try {
      const batches = Array.from({ length: 8 }, () => randomBatch(rng, spec, 2, 8));
      await backend.step([batches[0]!], hyper(1));
      const snapshot = () => {
        const { arena, executor, pipelines } = backend.stats;
        return { created: arena.created, bytes: arena.bytes, live: arena.live, bindGroups: executor.bindGroupsCreated, pipelines: pipelines.created };
      };
      const before = snapshot();
      const submits = backend.stats.executor.submits;
      for (let step = 2; step <= 500; step++) {
        const r = await backend.step([batches[step % batches.length]!], hyper(step));
        expect(r.nonFinite).toBeUndefined();
      }
      expect(snapshot()).toEqual(before);
      expect(backend.stats.executor.submits - submits).toBe(499);
    } finally {
      await backend.dispose();
    }
  });

  it('hands out the weights it was given and takes optimizer state back, in named_parameters order', async () => {
    const rng = createRng();
    const spec = tinyModelSpec({ blocks: ['s', 'm'], tieWeights: true });
    const weights = f32Weights(spec, rng);
    const backend = new WebGpuTrainBackend(spec, dev, weights);
    try {
      const out = await backend.getWeights();
      const trainable = [...weights.keys()].filter((n) => n !== 'lm_head.weight');
      expect([...out.keys()]).toEqual(trainable);
      for (const name of trainable) expect(Float64Array.from(out.get(name)!)).toEqual(weights.get(name));
      const moments = (scale: number) => new Map(trainable.map((n) => [n, Float32Array.from(weights.get(n)!, (x) => x * scale)]));
      await backend.setOptimizerState({ expAvg: moments(0.5), expAvgSq: moments(0) });
      const state = await backend.getOptimizerState();
      for (const name of trainable) expect(state.expAvg.get(name)).toEqual(moments(0.5).get(name));
    } finally {
      await backend.dispose();
    }
  });

  it('a non-finite step reports the loss and leaves parameters and moments unchanged', async () => {
    const rng = createRng();
    const spec = tinyModelSpec({ blocks: ['m'] });
    const weights = f32Weights(spec, rng);
    const b = randomBatch(rng, spec, 2, 4);
    weights.get('token_embedding.weight')![b.inputs[0]! * spec.embeddingDim] = NaN;
    const backend = new WebGpuTrainBackend(spec, dev, weights);
    try {
      const result = await backend.step([b], hyper(1));
      expect(result.nonFinite).toEqual({ stage: 'forward', tensor: 'loss', value: NaN });
      const after = await backend.getWeights();
      for (const [name, w] of after) expect(Float64Array.from(w), name).toEqual(weights.get(name));
      for (const m of (await backend.getOptimizerState()).expAvg.values()) expect(m.every((x) => x === 0)).toBe(true);
    } finally {
      await backend.dispose();
    }
  });
});
