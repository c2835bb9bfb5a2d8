import { UserError } from '../errors.js';
import { checkSeed } from '../random.js';

/** How `generate` picks each next token (the rule is sample-token.ts's, run on the device). */
export interface SamplingOptions {
  /** Tokens to generate after the prompt. */
  maxTokens: number;
  /** Softmax temperature; 0 always picks the most likely token. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 (default) keeps all. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 (default) keeps all. */
  topP?: number;
  /** Seed of the uniform draws, one per token: the same seed gives the same tokens. Default 0. */
  seed?: number;
}

export interface CheckedSampling {
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

/** Defaults filled in; a value out of range is a UserError naming the option. */
export function checkSampling(o: SamplingOptions, vocab: number): CheckedSampling {
  const { maxTokens, temperature = 1, topK = 0, topP = 1, seed = 0 } = o;
  if (!Number.isSafeInteger(maxTokens) || maxTokens < 0) throw new UserError(`maxTokens must be a whole number ≥ 0, got ${maxTokens}`);
  if (!Number.isFinite(temperature) || temperature < 0) throw new UserError(`temperature must be a finite number ≥ 0, got ${temperature}`);
  if (!Number.isSafeInteger(topK) || topK < 0) throw new UserError(`topK must be a whole number ≥ 0 (0 keeps all ${vocab} tokens), got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new UserError(`topP must lie in (0, 1], got ${topP}`);
  checkSeed(seed);
  return { maxTokens, temperature, topK: Math.min(topK, vocab), topP, seed };
}
