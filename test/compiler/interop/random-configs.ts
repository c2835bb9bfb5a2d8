import type { TestRng } from '../../helpers/random.js';

/**
 * Random official configs that the official code accepts and this project can run: each drawn so
 * every divisibility constraint holds, with every field the project carries exercised (backend,
 * function, inits, FFN on/off, CUDA-only fields, unused templates).
 */

type Json = Record<string, unknown>;

function pick<T>(rng: TestRng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}

function rounded(factor: number, e: number, up: boolean, to: number): number {
  const units = up ? Math.ceil((factor * e) / to) : Math.floor((factor * e) / to);
  return units * to;
}

function upProj(rng: TestRng, e: number, factors: readonly number[]): Json & { dim: number } {
  for (;;) {
    const proj_factor = pick(rng, factors);
    const round_proj_up_dim_up = rng.uniform() < 0.8;
    const round_proj_up_to_multiple_of = pick(rng, [8, 16, 32, 64]);
    const dim = rounded(proj_factor, e, round_proj_up_dim_up, round_proj_up_to_multiple_of);
    if (dim >= 1) return { proj_factor, round_proj_up_dim_up, round_proj_up_to_multiple_of, dim };
  }
}

function mlstmLayer(rng: TestRng, e: number): Json {
  const { dim, ...rounding } = upProj(rng, e, [1.0, 1.5, 2.0, 2.5]);
  return {
    ...rounding,
    num_heads: pick(rng, divisors(dim)),
    qkv_proj_blocksize: pick(rng, divisors(dim)),
    conv1d_kernel_size: pick(rng, [2, 3, 4, 5]),
  };
}

function feedforward(rng: TestRng, e: number): Json | null {
  if (rng.uniform() < 0.2) return null;
  const { dim: _, ...rounding } = upProj(rng, e, [1.0, 1.3, 2.0, 4.0]);
  return {
    ...rounding,
    act_fn: pick(rng, ['gelu', 'swish', 'relu', 'relu^2', 'sigmoid', 'selu']),
    bias: rng.uniform() < 0.5,
    dropout: pick(rng, [0, 0.1]),
  };
}

function slstmLayer(rng: TestRng, e: number): Json {
  const bias_init = pick(rng, ['powerlaw_blockdependent', 'small_init', 'standard']);
  const heads = divisors(e).filter((h) => bias_init !== 'powerlaw_blockdependent' || e / h > 1);
  const dtype = pick(rng, ['bfloat16', 'float16', 'float32']);
  const maybeDtype = (): string | null => (rng.uniform() < 0.5 ? null : pick(rng, ['bfloat16', 'float16', 'float32']));
  return {
    num_heads: pick(rng, heads),
    conv1d_kernel_size: pick(rng, [0, 2, 3, 4]),
    backend: pick(rng, ['vanilla', 'cuda']),
    function: pick(rng, ['slstm', 'lstm']),
    bias_init,
    recurrent_weight_init: pick(rng, ['zeros', 'standard']),
    group_norm_weight: rng.uniform() < 0.7,
    batch_size: 1 + rng.int(32),
    dtype,
    dtype_b: maybeDtype(),
    dtype_r: maybeDtype(),
    dtype_w: maybeDtype(),
    dtype_g: maybeDtype(),
    dtype_s: maybeDtype(),
    dtype_a: maybeDtype(),
    enable_automatic_mixed_precision: rng.uniform() < 0.5,
    gradient_recurrent_cut: rng.uniform() < 0.5,
    gradient_recurrent_clipval: rng.uniform() < 0.5 ? null : pick(rng, [0.5, 1.0, 10]),
    forward_clipval: rng.uniform() < 0.5 ? null : pick(rng, [0.25, 3.0]),
    internal_input_shape: pick(rng, ['SBNGH', 'SBGNH', 'SBNHG']),
    initial_val: pick(rng, [0, 0.5, -1.25]),
  };
}

export function randomOfficialConfig(rng: TestRng): Json {
  const e = pick(rng, [8, 16, 24, 32, 48, 64]);
  const numBlocks = 1 + rng.int(6);
  const placement = pick(rng, ['list', 'list', 'all', 'no-mlstm']);
  const slstmAt = Array.from({ length: numBlocks }, (_, i) => i).filter(() => rng.uniform() < 0.4);
  const needsSlstm = placement !== 'list' || slstmAt.length > 0;
  const config: Json = {
    vocab_size: 2 + rng.int(100),
    embedding_dim: e,
    num_blocks: numBlocks,
    context_length: 1 + rng.int(64),
    add_post_blocks_norm: rng.uniform() < 0.8,
    bias: rng.uniform() < 0.5,
    dropout: pick(rng, [0, 0.1, 0.25]),
    tie_weights: rng.uniform() < 0.5,
    weight_decay_on_embedding: rng.uniform() < 0.5,
    add_embedding_dropout: rng.uniform() < 0.5,
  };
  if (placement !== 'no-mlstm') config.mlstm_block = { mlstm: mlstmLayer(rng, e) };
  if (placement === 'list') config.slstm_at = slstmAt;
  if (placement === 'all') config.slstm_at = 'all';
  if (needsSlstm) config.slstm_block = { slstm: slstmLayer(rng, e), feedforward: feedforward(rng, e) };
  return config;
}
