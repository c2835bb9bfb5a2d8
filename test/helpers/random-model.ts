/**
 * Tiny models with random (not officially initialised) weights, for tests that need every weight to
 * matter: the official init sets many tensors to constants that hide layout and gradient mistakes.
 * Dims are far below the official 64-rounding (the config's rounding multiple is set to match), odd
 * where the official code allows it.
 */
import { specFromOfficialConfig } from '../../compiler/interop/from-official.js';
import { numElements, parameterSpecs } from '../../compiler/params.js';
import type { Activation, ModelSpec } from '../../compiler/spec.js';
import type { TestRng } from './random.js';

export interface TinyModelOptions {
  /** Block kinds in stack order; default m, s, m. */
  blocks?: ('m' | 's')[];
  tieWeights?: boolean;
  /** The top-level `bias` (mLSTM projections). */
  bias?: boolean;
  addPostBlocksNorm?: boolean;
  /** sLSTM conv kernel; 0 = no conv. */
  slstmConv?: number;
  act?: Activation;
  ffnBias?: boolean;
  vocab?: number;
}

/** A tiny model, imported from a sparse official config as a user's config would be. */
export function tinyModelSpec(o: TinyModelOptions = {}): ModelSpec {
  const kinds = o.blocks ?? ['m', 's', 'm'];
  const slstmAt = kinds.flatMap((k, i) => (k === 's' ? [i] : []));
  const config = {
    vocab_size: o.vocab ?? 7,
    embedding_dim: 6,
    num_blocks: kinds.length,
    context_length: 8,
    slstm_at: slstmAt,
    tie_weights: o.tieWeights ?? false,
    bias: o.bias ?? true,
    add_post_blocks_norm: o.addPostBlocksNorm ?? true,
    // I = 12 (2 heads of 6, q/k/v blocks of 3); sLSTM 2 heads of 3; FFN F = ceil(1.3·6) = 8.
    ...(kinds.includes('m') && {
      mlstm_block: { mlstm: { proj_factor: 2, round_proj_up_to_multiple_of: 4, num_heads: 2, qkv_proj_blocksize: 3, conv1d_kernel_size: 3 } },
    }),
    ...(kinds.includes('s') && {
      slstm_block: {
        slstm: { num_heads: 2, conv1d_kernel_size: o.slstmConv ?? 2, backend: 'vanilla' },
        feedforward: { proj_factor: 1.3, round_proj_up_to_multiple_of: 1, act_fn: o.act ?? 'gelu', bias: o.ffnBias ?? false },
      },
    }),
  };
  const imported = specFromOfficialConfig(config, 'Tiny');
  if (imported.spec === undefined) throw new Error(`tiny model config rejected: ${imported.errors.join('; ')}`);
  return imported.spec;
}

/** Mean and spread of the random values per kind of tensor: gates near their working range, the rest O(1) after fan-in. */
function distribution(name: string, fanIn: number): { mean: number; std: number } {
  if (name.endsWith('mlstm_cell.fgate.bias')) return { mean: 2, std: 1 };
  if (name.includes('norm')) return { mean: 0, std: 0.2 };
  if (name.endsWith('learnable_skip')) return { mean: 1, std: 0.3 };
  if (name.endsWith('_bias_') || name.endsWith('.bias')) return { mean: 0, std: 0.5 };
  return { mean: 0, std: 1 / Math.sqrt(fanIn) };
}

/** Random weights for every tensor of `parameterSpecs(spec)`; a tied `lm_head.weight` is the embedding array itself. */
export function randomWeights(spec: ModelSpec, rng: TestRng): Map<string, Float64Array> {
  const weights = new Map<string, Float64Array>();
  for (const p of parameterSpecs(spec)) {
    if (p.tiedTo !== undefined) {
      const tied = weights.get(p.tiedTo);
      if (tied === undefined) throw new Error(`${p.name} is tied to ${p.tiedTo}, which comes later`);
      weights.set(p.name, tied);
      continue;
    }
    const { mean, std } = distribution(p.name, p.shape[p.shape.length - 1]);
    weights.set(p.name, Float64Array.from({ length: numElements(p.shape) }, () => mean + std * rng.normal()));
  }
  return weights;
}
