/**
 * The official config dataclasses of NX-AI/xlstm 2.0.5 (`xLSTMLMModelConfig` and the configs nested in it):
 * every field in declaration order (which is the key order of `dataclasses.asdict`, base-class fields
 * first), its type as dacite checks it, and its dataclass default. Reading (defaults, type checks,
 * unknown keys) and writing (key order) both walk these tables, so the two cannot drift apart.
 */

import { ACTIVATIONS, SLSTM_BIAS_INITS, SLSTM_FUNCTION_STATES, SLSTM_RECURRENT_INITS } from '../spec.js';

export type OfficialType =
  | { kind: 'int' }
  | { kind: 'float' }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'enum'; values: readonly string[] }
  /** A free-form mapping (sLSTM `constants`: CUDA compiler defines). */
  | { kind: 'mapping' }
  /** `initial_val`: a float or a list of floats. */
  | { kind: 'float_or_floats' }
  /** `slstm_at`: a list of block indices or the string "all". */
  | { kind: 'slstm_at' }
  | { kind: 'config'; fields: readonly OfficialField[] }
  | { kind: 'optional'; of: OfficialType };

export interface OfficialField {
  name: string;
  type: OfficialType;
  /**
   * The dataclass default. For a nested config built by `default_factory` it is `{}` (all defaults);
   * for `Optional[...] = None` it is null.
   */
  default: unknown;
  /**
   * Overwritten by the official `__post_init__` (copied from the top level or computed), so a value in
   * the input has no effect; the reader only type-checks it and says so when it disagrees.
   */
  derived?: true;
}

const int: OfficialType = { kind: 'int' };
const float: OfficialType = { kind: 'float' };
const bool: OfficialType = { kind: 'bool' };
const optional = (of: OfficialType): OfficialType => ({ kind: 'optional', of });
const oneOf = (values: readonly string[]): OfficialType => ({ kind: 'enum', values });

export const SLSTM_DTYPES = ['bfloat16', 'float16', 'float32'] as const;
export const SLSTM_INPUT_SHAPES = ['BSGNH', 'SBGNH'] as const;
export const SLSTM_INTERNAL_INPUT_SHAPES = ['SBNGH', 'SBGNH', 'SBNHG'] as const;
export const SLSTM_OUTPUT_SHAPES = ['BNSH', 'SBH', 'BSH', 'SBNH'] as const;

/** `xlstm/utils.py` `UpProjConfigMixin`: the rounding fields shared by the mLSTM layer and the FFN. */
function upProjFields(projFactorDefault: number): OfficialField[] {
  return [
    { name: 'proj_factor', type: float, default: projFactorDefault },
    { name: 'round_proj_up_dim_up', type: bool, default: true },
    { name: 'round_proj_up_to_multiple_of', type: int, default: 64 },
    { name: '_proj_up_dim', type: optional(int), default: null, derived: true },
  ];
}

/** `xlstm/blocks/mlstm/layer.py` `mLSTMLayerConfig`. */
export const MLSTM_LAYER_FIELDS: readonly OfficialField[] = [
  ...upProjFields(2.0),
  { name: 'conv1d_kernel_size', type: int, default: 4 },
  { name: 'qkv_proj_blocksize', type: int, default: 4 },
  { name: 'num_heads', type: int, default: 4 },
  { name: 'embedding_dim', type: int, default: -1, derived: true },
  { name: 'bias', type: bool, default: false, derived: true },
  { name: 'dropout', type: float, default: 0.0, derived: true },
  { name: 'context_length', type: int, default: -1, derived: true },
  { name: '_num_blocks', type: optional(int), default: 1, derived: true },
  { name: '_inner_embedding_dim', type: optional(int), default: null, derived: true },
];

/** `xlstm/blocks/mlstm/block.py` `mLSTMBlockConfig`. */
export const MLSTM_BLOCK_FIELDS: readonly OfficialField[] = [
  { name: 'mlstm', type: { kind: 'config', fields: MLSTM_LAYER_FIELDS }, default: {} },
  { name: '_num_blocks', type: optional(int), default: null, derived: true },
  { name: '_block_idx', type: optional(int), default: null, derived: true },
];

/** `xlstm/blocks/slstm/layer.py` `sLSTMLayerConfig` (fields of its base `sLSTMCellConfig` first). */
export const SLSTM_LAYER_FIELDS: readonly OfficialField[] = [
  { name: 'hidden_size', type: int, default: -1, derived: true },
  { name: 'num_heads', type: int, default: 4 },
  { name: 'num_states', type: int, default: 4, derived: true },
  { name: 'backend', type: oneOf(['vanilla', 'cuda']), default: 'cuda' },
  { name: 'function', type: oneOf(Object.keys(SLSTM_FUNCTION_STATES)), default: 'slstm' },
  { name: 'bias_init', type: oneOf(SLSTM_BIAS_INITS), default: 'powerlaw_blockdependent' },
  { name: 'recurrent_weight_init', type: oneOf(SLSTM_RECURRENT_INITS), default: 'zeros' },
  { name: '_block_idx', type: optional(int), default: 0, derived: true },
  { name: '_num_blocks', type: optional(int), default: 1, derived: true },
  { name: 'num_gates', type: int, default: 4 },
  { name: 'gradient_recurrent_cut', type: bool, default: false },
  { name: 'gradient_recurrent_clipval', type: optional(float), default: null },
  { name: 'forward_clipval', type: optional(float), default: null },
  { name: 'batch_size', type: int, default: 8 },
  { name: 'input_shape', type: oneOf(SLSTM_INPUT_SHAPES), default: 'BSGNH' },
  { name: 'internal_input_shape', type: oneOf(SLSTM_INTERNAL_INPUT_SHAPES), default: 'SBNGH' },
  { name: 'output_shape', type: oneOf(SLSTM_OUTPUT_SHAPES), default: 'BNSH' },
  { name: 'constants', type: { kind: 'mapping' }, default: {} },
  { name: 'dtype', type: oneOf(SLSTM_DTYPES), default: 'bfloat16' },
  // null means "derive from another dtype" (see __post_init__), so the defaults here are not the values
  { name: 'dtype_b', type: optional(oneOf(SLSTM_DTYPES)), default: 'float32' },
  { name: 'dtype_r', type: optional(oneOf(SLSTM_DTYPES)), default: null },
  { name: 'dtype_w', type: optional(oneOf(SLSTM_DTYPES)), default: null },
  { name: 'dtype_g', type: optional(oneOf(SLSTM_DTYPES)), default: null },
  { name: 'dtype_s', type: optional(oneOf(SLSTM_DTYPES)), default: null },
  { name: 'dtype_a', type: optional(oneOf(SLSTM_DTYPES)), default: null },
  { name: 'enable_automatic_mixed_precision', type: bool, default: true },
  { name: 'initial_val', type: { kind: 'float_or_floats' }, default: 0.0 },
  { name: 'embedding_dim', type: int, default: -1, derived: true },
  { name: 'conv1d_kernel_size', type: int, default: 4 },
  { name: 'group_norm_weight', type: bool, default: true },
  { name: 'dropout', type: float, default: 0.0, derived: true },
];

/** `xlstm/components/feedforward.py` `FeedForwardConfig`. */
export const FEEDFORWARD_FIELDS: readonly OfficialField[] = [
  ...upProjFields(1.3),
  { name: 'act_fn', type: oneOf(ACTIVATIONS), default: 'gelu' },
  { name: 'embedding_dim', type: int, default: -1, derived: true },
  { name: 'dropout', type: float, default: 0.0 },
  { name: 'bias', type: bool, default: false },
  { name: 'ff_type', type: oneOf(['ffn_gated']), default: 'ffn_gated' },
  { name: '_num_blocks', type: optional(int), default: 1, derived: true },
];

/** `xlstm/blocks/slstm/block.py` `sLSTMBlockConfig`. */
export const SLSTM_BLOCK_FIELDS: readonly OfficialField[] = [
  { name: 'slstm', type: { kind: 'config', fields: SLSTM_LAYER_FIELDS }, default: {} },
  { name: 'feedforward', type: optional({ kind: 'config', fields: FEEDFORWARD_FIELDS }), default: {} },
  { name: '_num_blocks', type: optional(int), default: null, derived: true },
  { name: '_block_idx', type: optional(int), default: null, derived: true },
];

/** `xlstm/xlstm_lm_model.py` `xLSTMLMModelConfig` (fields of its base `xLSTMBlockStackConfig` first). */
export const LM_MODEL_FIELDS: readonly OfficialField[] = [
  { name: 'mlstm_block', type: optional({ kind: 'config', fields: MLSTM_BLOCK_FIELDS }), default: null },
  { name: 'slstm_block', type: optional({ kind: 'config', fields: SLSTM_BLOCK_FIELDS }), default: null },
  { name: 'context_length', type: int, default: -1 },
  { name: 'num_blocks', type: int, default: 1 },
  { name: 'embedding_dim', type: int, default: 128 },
  { name: 'add_post_blocks_norm', type: bool, default: true },
  { name: 'bias', type: bool, default: false },
  { name: 'dropout', type: float, default: 0.0 },
  { name: 'slstm_at', type: { kind: 'slstm_at' }, default: [] },
  { name: '_block_map', type: optional({ kind: 'string' }), default: null, derived: true },
  { name: 'vocab_size', type: int, default: -1 },
  { name: 'tie_weights', type: bool, default: false },
  { name: 'weight_decay_on_embedding', type: bool, default: false },
  { name: 'add_embedding_dropout', type: bool, default: false },
];

/**
 * `xlstm/blocks/xlstm_block.py` `xLSTMBlockConfig`: what each built block holds (one of mlstm/slstm set).
 * Only written (the golden `official_block_configs`), never read.
 */
export const XLSTM_BLOCK_FIELDS: readonly OfficialField[] = [
  { name: 'mlstm', type: optional({ kind: 'config', fields: MLSTM_LAYER_FIELDS }), default: null },
  { name: 'slstm', type: optional({ kind: 'config', fields: SLSTM_LAYER_FIELDS }), default: null },
  { name: 'feedforward', type: optional({ kind: 'config', fields: FEEDFORWARD_FIELDS }), default: null },
  { name: '_num_blocks', type: optional(int), default: null, derived: true },
  { name: '_block_idx', type: optional(int), default: null, derived: true },
];
