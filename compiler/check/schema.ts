/**
 * Every key the language knows, per scope: its type, default, official config field and a one-line
 * doc. This table is the single source of truth for the checker (unknown keys, types, ranges,
 * defaults), for "did you mean", and for config interop (which omits keys equal to their default).
 * Defaults are the official dataclass defaults unless the doc says otherwise.
 */

export type ScopeName = 'model' | 'mlstm' | 'slstm' | 'cuda' | 'ffn' | 'train' | 'block';

/** Bounds of a number; a bound is inclusive unless marked exclusive. */
export interface NumberRange {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

export type ValueType =
  | { kind: 'int'; range?: NumberRange }
  /** An int is accepted where a float is expected. */
  | { kind: 'float'; range?: NumberRange }
  | { kind: 'bool' }
  /**
   * Identifiers from `values`; a string equal to a value or an alias is accepted too. With
   * `callParams` the value may also be a call, `adamw(lr: 1e-3)`, whose arguments set those keys
   * of the same scope (positional arguments in that order).
   */
  | { kind: 'enum'; name: string; values: readonly string[]; aliases?: Readonly<Record<string, string>>; callParams?: readonly string[] }
  /** A list of ints; with `orAll` the identifier `all` too. */
  | { kind: 'int-list'; orAll?: boolean }
  /** Paper notation `a:b` of two ints. */
  | { kind: 'ratio' }
  /** A tuple or list of two floats, each within `range`. */
  | { kind: 'float-pair'; range?: NumberRange }
  | { kind: 'string' };

export type DefaultValue = number | boolean | string | null | readonly number[];

export interface KeySchema {
  type: ValueType;
  /** `null` is accepted (meaning "absent", e.g. `clip null`). */
  nullable?: boolean;
  required?: boolean;
  /** The default when the key is not written. Absent for required keys and for `defaultFrom` keys. */
  default?: DefaultValue;
  /** The default is the value of this model key (train `seq_len` defaults to `context`). */
  defaultFrom?: string;
  /** Keys of one group replace each other under `extends` and may not be combined in one body. */
  group?: string;
  /** False for keys that only make sense model-wide (not inside `block N { }`). */
  perBlock?: false;
  /** The official config field (`xLSTMLMModelConfig` and friends); absent for language-only keys. */
  official?: string;
  doc: string;
}

export interface SectionSchema {
  scope: ScopeName;
  /** `key null` is accepted (the official `feedforward: null`). */
  nullable?: boolean;
  /** `block N { }`: the argument is a block index (or a list of them). */
  arg?: 'block-index';
  perBlock?: false;
  official?: string;
  doc: string;
}

export interface ScopeSchema {
  keys: Readonly<Record<string, KeySchema>>;
  sections: Readonly<Record<string, SectionSchema>>;
  doc: string;
}

const INT = { kind: 'int' } as const;
const AT_LEAST_1 = { kind: 'int', range: { min: 1 } } as const;
const BOOL = { kind: 'bool' } as const;
const POSITIVE = { kind: 'float', range: { min: 0, minExclusive: true } } as const;
const FRACTION = { kind: 'float', range: { min: 0, max: 1, maxExclusive: true } } as const;
const DTYPE = { kind: 'enum', name: 'dtype', values: ['float32', 'float16', 'bfloat16'] } as const;
const PROJ_ROUNDING = {
  round_up: { type: BOOL, default: true, official: 'round_proj_up_dim_up', doc: 'round factor·embed up (else down) to a multiple of round_to' },
  round_to: { type: AT_LEAST_1, default: 64, official: 'round_proj_up_to_multiple_of', doc: 'the projection dim is a multiple of this' },
} as const;

export const ACTIVATION_TYPE = {
  kind: 'enum',
  name: 'activation',
  values: ['gelu', 'swish', 'relu', 'relu2', 'sigmoid', 'selu'],
  aliases: { 'relu^2': 'relu2' },
} as const;

export const SCHEMA: Readonly<Record<ScopeName, ScopeSchema>> = {
  model: {
    doc: 'a model: the official xLSTMLMModelConfig',
    keys: {
      vocab: { type: { kind: 'int', range: { min: 2 } }, required: true, official: 'vocab_size', doc: 'number of tokens V' },
      embed: { type: AT_LEAST_1, required: true, official: 'embedding_dim', doc: 'embedding dim E, the width of the residual stream' },
      context: { type: AT_LEAST_1, required: true, official: 'context_length', doc: 'longest parallel (training) sequence; sizes the mLSTM causal mask' },
      blocks: { type: AT_LEAST_1, required: true, official: 'num_blocks', doc: 'number of residual blocks' },
      ratio: { type: { kind: 'ratio' }, group: 'placement', doc: 'mLSTM:sLSTM ratio a:b (paper notation xLSTM[a:b]), placed by the documented rule' },
      slstm_at: { type: { kind: 'int-list', orAll: true }, default: [], group: 'placement', official: 'slstm_at', doc: '0-based sLSTM block positions, or `all`' },
      tie_weights: { type: BOOL, default: false, official: 'tie_weights', doc: 'the LM head reuses the token embedding' },
      post_blocks_norm: { type: BOOL, default: true, official: 'add_post_blocks_norm', doc: 'LayerNorm after the last block' },
      bias: { type: BOOL, default: false, official: 'bias', doc: 'biases in the mLSTM projections (proj_up, q/k/v, proj_down)' },
      dropout: { type: FRACTION, default: 0, official: 'dropout', doc: 'output dropout of every mLSTM/sLSTM layer (and of the embedding with embedding_dropout)' },
      weight_decay_on_embedding: { type: BOOL, default: false, official: 'weight_decay_on_embedding', doc: 'put the token embedding in the weight-decay group' },
      embedding_dropout: { type: BOOL, default: false, official: 'add_embedding_dropout', doc: 'dropout after the token embedding' },
      norm_eps: { type: POSITIVE, default: 1e-5, doc: 'LayerNorm eps (the official value is fixed at 1e-5)' },
      mlstm_eps: { type: { kind: 'float', range: { min: 0 } }, default: 1e-6, doc: 'added to the mLSTM normaliser after stabilisation (official 1e-6)' },
      precision: { type: { kind: 'enum', name: 'precision', values: ['f32', 'f16'] }, default: 'f32', doc: 'compute precision of the generated kernels' },
    },
    sections: {
      mlstm: { scope: 'mlstm', official: 'mlstm_block.mlstm', doc: 'the mLSTM layer of every mLSTM block' },
      slstm: { scope: 'slstm', official: 'slstm_block.slstm', doc: 'the sLSTM layer (and its FFN) of every sLSTM block' },
      train: { scope: 'train', doc: 'training defaults: optimizer, batch, schedule' },
      block: { scope: 'block', arg: 'block-index', doc: 'per-block override: `block 3 { slstm { heads 2 } }`' },
    },
  },
  mlstm: {
    doc: 'the mLSTM layer (official mLSTMLayerConfig)',
    keys: {
      heads: { type: AT_LEAST_1, default: 4, official: 'num_heads', doc: 'cell heads NH; must divide the inner dim I' },
      proj_factor: { type: POSITIVE, default: 2.0, official: 'proj_factor', doc: 'inner dim I = proj_factor·embed, rounded' },
      ...PROJ_ROUNDING,
      conv1d: { type: INT, default: 4, official: 'conv1d_kernel_size', doc: 'causal depthwise conv kernel, at least 2' },
      qkv_blocksize: { type: AT_LEAST_1, default: 4, official: 'qkv_proj_blocksize', doc: 'block size of the block-diagonal q/k/v projections; must divide I' },
    },
    sections: {},
  },
  slstm: {
    doc: 'the sLSTM layer (official sLSTMLayerConfig) and its feed-forward',
    keys: {
      heads: { type: AT_LEAST_1, default: 4, official: 'num_heads', doc: 'heads NH; must divide embed' },
      conv1d: { type: INT, default: 4, official: 'conv1d_kernel_size', doc: 'causal depthwise conv kernel: 0 (no conv) or at least 2' },
      backend: {
        type: { kind: 'enum', name: 'backend', values: ['vanilla', 'cuda'] },
        default: 'vanilla',
        perBlock: false,
        official: 'backend',
        doc: 'official backend; only selects the checkpoint parameter layout here (the official default is cuda)',
      },
      function: { type: { kind: 'enum', name: 'function', values: ['slstm', 'lstm'] }, default: 'slstm', official: 'function', doc: 'pointwise cell function' },
      bias_init: {
        type: { kind: 'enum', name: 'bias_init', values: ['powerlaw_blockdependent', 'small_init', 'standard'] },
        default: 'powerlaw_blockdependent',
        official: 'bias_init',
        doc: 'forget-gate bias init scheme',
      },
      recurrent_init: {
        type: { kind: 'enum', name: 'recurrent_init', values: ['zeros', 'standard'] },
        default: 'zeros',
        official: 'recurrent_weight_init',
        doc: 'recurrent kernel init',
      },
      group_norm_weight: { type: BOOL, default: true, official: 'group_norm_weight', doc: 'the output group norm has a weight' },
    },
    sections: {
      ffn: { scope: 'ffn', nullable: true, official: 'feedforward', doc: 'gated feed-forward after the sLSTM layer; `ffn null` for none' },
      cuda: { scope: 'cuda', perBlock: false, doc: 'fields only the official CUDA backend reads, kept for exact config round trips' },
    },
  },
  cuda: {
    doc: 'official sLSTM fields that only the CUDA backend reads',
    keys: {
      batch_size: { type: AT_LEAST_1, default: 8, official: 'batch_size', doc: 'CUDA kernel batch size' },
      dtype: { type: DTYPE, default: 'bfloat16', official: 'dtype', doc: 'CUDA compute dtype' },
      dtype_b: { type: DTYPE, default: 'float32', official: 'dtype_b', doc: 'CUDA bias dtype' },
      dtype_r: { type: DTYPE, default: 'bfloat16', official: 'dtype_r', doc: 'CUDA recurrent-kernel dtype' },
      dtype_w: { type: DTYPE, default: 'bfloat16', official: 'dtype_w', doc: 'CUDA input-weight dtype' },
      dtype_g: { type: DTYPE, default: 'bfloat16', official: 'dtype_g', doc: 'CUDA gate dtype' },
      dtype_s: { type: DTYPE, default: 'bfloat16', official: 'dtype_s', doc: 'CUDA state dtype' },
      dtype_a: { type: DTYPE, default: 'float32', official: 'dtype_a', doc: 'CUDA accumulator dtype' },
      amp: { type: BOOL, default: true, official: 'enable_automatic_mixed_precision', doc: 'CUDA automatic mixed precision' },
      gradient_recurrent_cut: { type: BOOL, default: false, official: 'gradient_recurrent_cut', doc: 'CUDA: cut gradients through the recurrence' },
      gradient_recurrent_clipval: { type: { kind: 'float' }, nullable: true, default: null, official: 'gradient_recurrent_clipval', doc: 'CUDA recurrent gradient clip' },
      forward_clipval: { type: { kind: 'float' }, nullable: true, default: null, official: 'forward_clipval', doc: 'CUDA forward clip' },
      input_shape: { type: { kind: 'string' }, default: 'BSGNH', official: 'input_shape', doc: 'CUDA layout bookkeeping' },
      internal_input_shape: { type: { kind: 'string' }, default: 'SBNGH', official: 'internal_input_shape', doc: 'CUDA layout bookkeeping' },
      output_shape: { type: { kind: 'string' }, default: 'BNSH', official: 'output_shape', doc: 'CUDA layout bookkeeping' },
      initial_val: { type: { kind: 'float' }, default: 0.0, official: 'initial_val', doc: 'unused by the official code' },
    },
    sections: {},
  },
  ffn: {
    doc: 'the gated feed-forward of sLSTM blocks (official FeedForwardConfig)',
    keys: {
      proj_factor: { type: POSITIVE, default: 1.3, official: 'proj_factor', doc: 'up-projection dim F = proj_factor·embed, rounded' },
      ...PROJ_ROUNDING,
      act: { type: ACTIVATION_TYPE, default: 'gelu', official: 'act_fn', doc: 'activation of the gate half' },
      bias: { type: BOOL, default: false, official: 'bias', doc: 'biases in proj_up and proj_down' },
      dropout: { type: FRACTION, default: 0, official: 'dropout', doc: 'dropout after proj_down' },
    },
    sections: {},
  },
  train: {
    doc: 'training defaults (not part of the official model config)',
    keys: {
      optimizer: {
        type: { kind: 'enum', name: 'optimizer', values: ['adamw'], callParams: ['lr', 'weight_decay', 'betas', 'eps'] },
        default: 'adamw',
        doc: 'optimizer; `adamw(lr: .., weight_decay: .., betas: (.., ..), eps: ..)` sets those keys',
      },
      lr: { type: POSITIVE, default: 1e-3, doc: 'peak learning rate' },
      weight_decay: { type: { kind: 'float', range: { min: 0 } }, default: 0.1, doc: 'AdamW decoupled weight decay (official decay group only)' },
      betas: { type: { kind: 'float-pair', range: { min: 0, max: 1, maxExclusive: true } }, default: [0.9, 0.95], doc: 'AdamW (beta1, beta2)' },
      eps: { type: POSITIVE, default: 1e-8, doc: 'AdamW eps' },
      batch: { type: AT_LEAST_1, default: 16, doc: 'sequences per step' },
      clip: { type: POSITIVE, nullable: true, default: 1.0, doc: 'global gradient-norm clip; null = none' },
      warmup: { type: { kind: 'int', range: { min: 0 } }, default: 100, doc: 'linear warmup steps' },
      schedule: { type: { kind: 'enum', name: 'schedule', values: ['cosine', 'linear', 'constant'] }, default: 'cosine', doc: 'decay after warmup' },
      min_lr_ratio: { type: { kind: 'float', range: { min: 0, max: 1 } }, default: 0.1, doc: 'final lr as a fraction of lr' },
      steps: { type: AT_LEAST_1, default: 1000, doc: 'optimizer steps' },
      grad_accum: { type: AT_LEAST_1, default: 1, doc: 'micro-batches per optimizer step' },
      seq_len: { type: AT_LEAST_1, defaultFrom: 'context', doc: 'training sequence length (default: context)' },
    },
    sections: {},
  },
  block: {
    doc: 'a per-block override; it changes only the block(s) named by its argument',
    keys: {},
    sections: {
      mlstm: { scope: 'mlstm', doc: "overrides this mLSTM block's layer settings" },
      slstm: { scope: 'slstm', doc: "overrides this sLSTM block's layer (and ffn) settings" },
    },
  },
};

/** The scopes (as `section.path`) in which `key` exists, for "did you mean" across scopes. */
export function scopesWithKey(key: string): string[] {
  const out: string[] = [];
  for (const [name, scope] of Object.entries(SCHEMA)) {
    if (name !== 'block' && (key in scope.keys || key in scope.sections)) out.push(name);
  }
  return out;
}

/** The language key for an official field name in a scope (`num_heads` → `heads`), if any. */
export function keyForOfficialName(scope: ScopeName, official: string): string | undefined {
  const s = SCHEMA[scope];
  for (const [key, k] of Object.entries(s.keys)) if (k.official === official) return key;
  for (const [key, k] of Object.entries(s.sections)) if (k.official?.split('.').pop() === official) return key;
  return undefined;
}
