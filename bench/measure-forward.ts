import type { ModelSpec } from '../compiler/spec.js';
import type { XlstmDevice } from '../runtime/device.js';
import { WebGpuModel } from '../runtime/model/webgpu-model.js';
import { runDeviceBytes } from './device-memory.js';
import type { Shape } from './models.js';
import { randomTokens } from './random-tokens.js';
import { countersPer, perSecond, timeInterleaved, type IterationCounts } from './timing.js';

export interface ForwardFigures {
  tokensPerS: number;
  medianMs: number;
  iterations: number;
  dispatches: number;
  submits: number;
  deviceBytes: number;
}

/**
 * Forward tokens/s of B × T tokens from the zero state (`WebGpuModel.evaluate`: the official
 * `model(inputs)`, logits read back), fused and with one kernel per IR op, their timed iterations
 * interleaved (see `timeInterleaved`).
 */
export async function measureForward(
  dev: XlstmDevice,
  spec: ModelSpec,
  weights: ReadonlyMap<string, Float32Array>,
  shape: Shape,
  counts: IterationCounts,
): Promise<{ fused: ForwardFigures; unfused: ForwardFigures }> {
  const { batch, seqLen } = shape;
  const tokens = randomTokens(spec.vocabSize, batch * seqLen);
  const models = [true, false].map((fuse) => new WebGpuModel(spec, dev, { fuse, pieceLength: seqLen }));
  try {
    for (const m of models) m.loadWeights(weights);
    const runs = models.map((m) => () => m.evaluate(tokens, batch, seqLen));
    const timings = await timeInterleaved(runs, counts);
    const figures: ForwardFigures[] = [];
    for (const [i, m] of models.entries()) {
      const per = await countersPer(() => m.stats, 1, async () => void (await runs[i]!()));
      figures.push({
        tokensPerS: perSecond(batch * seqLen, timings[i]!.medianMs),
        medianMs: timings[i]!.medianMs,
        iterations: timings[i]!.samplesMs.length,
        dispatches: per.dispatches,
        submits: per.submits,
        deviceBytes: runDeviceBytes(spec, m.plan({ mode: 'parallel', batch, seqLen })),
      });
    }
    return { fused: figures[0]!, unfused: figures[1]! };
  } finally {
    for (const m of models) m.dispose();
  }
}
