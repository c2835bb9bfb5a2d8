import type { WebGpuModel } from '../model/webgpu-model.js';
import type { ModelState } from '../model/model-state.js';
import { Rng } from '../random.js';
import type { CheckedSampling } from './sampling.js';

/** The largest float32 below 1: a draw rounded to float32 must stay in [0, 1). */
const BELOW_ONE = 1 - 2 ** -24;

/**
 * Tokens generated after `prompt` (one sequence, ≥ 1 token), continuing `state` (batch 1), which
 * advances in place. All of the prompt but its last token goes through one forward pass; then each
 * step feeds the latest token and samples the next one on the device, so a token costs one dispatch
 * sequence and a 4-byte readback. The draws come from `sampling.seed`: the same seed, prompt and
 * weights give the same tokens.
 */
export async function* generateTokens(runner: WebGpuModel, prompt: Int32Array, state: ModelState, sampling: CheckedSampling): AsyncGenerator<number> {
  if (sampling.maxTokens === 0) return;
  const draws = Rng.fromSeed(sampling.seed, 'generate');
  if (prompt.length > 1) await runner.forward(prompt.subarray(0, prompt.length - 1), 1, prompt.length - 1, state);
  let last = prompt[prompt.length - 1]!;
  for (let i = 0; i < sampling.maxTokens; i++) {
    const [next] = await runner.sample(Int32Array.of(last), state, {
      temperature: sampling.temperature,
      topK: sampling.topK,
      topP: sampling.topP,
      draws: [Math.min(draws.nextFloat(), BELOW_ONE)],
    });
    last = next!;
    yield last;
  }
}
