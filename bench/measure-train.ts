import type { ModelSpec } from '../compiler/spec.js';
import type { XlstmDevice } from '../runtime/device.js';
import type { StepHyper, TrainBatch } from '../runtime/train/backend.js';
import { WebGpuTrainBackend } from '../runtime/train/webgpu-backend.js';
import type { Shape } from './models.js';
import { randomTokens } from './random-tokens.js';
import { countersPer, perSecond, timeIterations, type IterationCounts } from './timing.js';

export interface TrainFigures {
  tokensPerS: number;
  msPerStep: number;
  iterations: number;
  dispatchesPerStep: number;
  submitsPerStep: number;
  deviceBytes: number;
}

/** The official-style step: AdamW (betas 0.9/0.95, decay 0.1 on the official group), clip 1. */
function hyper(step: number): StepHyper {
  return { lr: 1e-3, weightDecay: 0.1, betas: [0.9, 0.95], eps: 1e-8, clip: 1, step };
}

/**
 * Training tokens/s on the WebGPU backend: one optimizer step (forward, backward, gradient norm and
 * clip, AdamW) over one B × T batch, timed until its loss and gradient norm are read back.
 */
export async function measureTrain(
  dev: XlstmDevice,
  spec: ModelSpec,
  weights: ReadonlyMap<string, Float32Array>,
  shape: Shape,
  counts: IterationCounts,
): Promise<TrainFigures> {
  const backend = new WebGpuTrainBackend(spec, dev, weights);
  try {
    const { batch, seqLen } = shape;
    const tokens = randomTokens(spec.vocabSize, batch * (seqLen + 1));
    const inputs = new Int32Array(batch * seqLen);
    const targets = new Int32Array(batch * seqLen);
    for (let b = 0; b < batch; b++) {
      inputs.set(tokens.subarray(b * (seqLen + 1), b * (seqLen + 1) + seqLen), b * seqLen);
      targets.set(tokens.subarray(b * (seqLen + 1) + 1, (b + 1) * (seqLen + 1)), b * seqLen);
    }
    const micro: TrainBatch = { inputs, targets, batch, time: seqLen };
    let step = 0;
    const run = async () => {
      const result = await backend.step([micro], hyper(++step));
      if (result.nonFinite !== undefined) throw new Error(`training step ${step} went non-finite (${result.nonFinite.stage} ${result.nonFinite.tensor})`);
    };
    const timing = await timeIterations(run, counts);
    const per = await countersPer(() => backend.stats.executor, 1, run);
    return {
      tokensPerS: perSecond(batch * seqLen, timing.medianMs),
      msPerStep: timing.medianMs,
      iterations: timing.samplesMs.length,
      dispatchesPerStep: per.dispatches,
      submitsPerStep: per.submits,
      deviceBytes: backend.stats.arena.bytes,
    };
  } finally {
    await backend.dispose();
  }
}
