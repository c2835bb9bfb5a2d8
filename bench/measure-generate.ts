import type { ModelSpec } from '../compiler/spec.js';
import type { XlstmDevice } from '../runtime/device.js';
import { WebGpuModel } from '../runtime/model/webgpu-model.js';
import { runDeviceBytes } from './device-memory.js';
import { countersPer, perSecond, timeIterations, type IterationCounts } from './timing.js';

export interface GenerateFigures {
  tokensPerS: number;
  msPerToken: number;
  tokensTimed: number;
  dispatchesPerToken: number;
  submitsPerToken: number;
  deviceBytes: number;
}

/**
 * Generation at batch 1: one step per token through the step API with the next token sampled on the
 * device (temperature 1) and fed back; each timed iteration is one token, its id read back.
 */
export async function measureGenerate(
  dev: XlstmDevice,
  spec: ModelSpec,
  weights: ReadonlyMap<string, Float32Array>,
  counts: IterationCounts,
): Promise<GenerateFigures> {
  const model = new WebGpuModel(spec, dev);
  const state = model.createState(1);
  try {
    model.loadWeights(weights);
    let token: Int32Array = Int32Array.of(0);
    const step = async () => {
      token = await model.sample(token, state, { temperature: 1 });
    };
    const timing = await timeIterations(step, counts);
    const per = await countersPer(() => model.stats, 1, step);
    return {
      tokensPerS: perSecond(1, timing.medianMs),
      msPerToken: timing.medianMs,
      tokensTimed: timing.samplesMs.length,
      dispatchesPerToken: per.dispatches,
      submitsPerToken: per.submits,
      deviceBytes: runDeviceBytes(spec, model.plan({ mode: 'recurrent', batch: 1, seqLen: 1, sample: true })),
    };
  } finally {
    state.dispose();
    model.dispose();
  }
}
