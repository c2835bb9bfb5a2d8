/**
 * ModelSpec → official `xLSTMLMModelConfig` dict after its `__post_init__`, exactly as the official code
 * holds it (and as the golden `official_config` records it): same keys, values and key order.
 */

import { roundProjUpDim, type BlockSpec, type FfnSpec, type MlstmSpec, type ModelSpec, type SlstmSpec } from '../spec.js';
import { deepEqual } from './deep-equal.js';
import {
  FEEDFORWARD_FIELDS,
  LM_MODEL_FIELDS,
  MLSTM_BLOCK_FIELDS,
  MLSTM_LAYER_FIELDS,
  SLSTM_BLOCK_FIELDS,
  SLSTM_LAYER_FIELDS,
  XLSTM_BLOCK_FIELDS,
  type OfficialField,
} from './official-schema.js';

type Dict = Record<string, unknown>;

/** Lays the values out in dataclass field order; a missing or unknown name is a bug here, not user input. */
function inFieldOrder(fields: readonly OfficialField[], values: Dict, what: string): Dict {
  const out: Dict = {};
  for (const field of fields) {
    if (!Object.hasOwn(values, field.name)) throw new Error(`officialConfigFromSpec: no value for ${what}.${field.name}`);
    out[field.name] = values[field.name];
  }
  const extra = Object.keys(values).filter((name) => !fields.some((f) => f.name === name));
  if (extra.length > 0) throw new Error(`officialConfigFromSpec: ${what} has no field(s) ${extra.join(', ')}`);
  return out;
}

function mlstmLayer(spec: ModelSpec, m: MlstmSpec): Dict {
  return inFieldOrder(
    MLSTM_LAYER_FIELDS,
    {
      proj_factor: m.projFactor,
      round_proj_up_dim_up: m.roundProjUpDimUp,
      round_proj_up_to_multiple_of: m.roundProjUpToMultipleOf,
      _proj_up_dim: m.innerDim,
      conv1d_kernel_size: m.convKernel,
      qkv_proj_blocksize: m.qkvProjBlocksize,
      num_heads: m.numHeads,
      // the official stack config copies these four from the top level
      embedding_dim: spec.embeddingDim,
      bias: spec.bias,
      dropout: spec.dropout,
      context_length: spec.contextLength,
      _num_blocks: spec.numBlocks,
      _inner_embedding_dim: m.innerDim,
    },
    'mlstm',
  );
}

/**
 * `blockIdx` null is the stack's template; a number is that block's own deep copy, whose
 * `internal_input_shape` the official vanilla cell overwrites with "SBGNH" when it is built.
 */
function slstmLayer(spec: ModelSpec, s: SlstmSpec, blockIdx: number | null): Dict {
  const c = s.cuda;
  return inFieldOrder(
    SLSTM_LAYER_FIELDS,
    {
      hidden_size: spec.embeddingDim,
      num_heads: s.numHeads,
      num_states: s.numStates,
      backend: s.backend,
      function: s.function,
      bias_init: s.biasInit,
      recurrent_weight_init: s.recurrentWeightInit,
      _block_idx: blockIdx,
      _num_blocks: spec.numBlocks,
      num_gates: s.numGates,
      gradient_recurrent_cut: c.gradientRecurrentCut,
      gradient_recurrent_clipval: c.gradientRecurrentClipval,
      forward_clipval: c.forwardClipval,
      batch_size: c.batchSize,
      input_shape: c.inputShape,
      internal_input_shape: blockIdx !== null && s.backend === 'vanilla' ? 'SBGNH' : c.internalInputShape,
      output_shape: c.outputShape,
      constants: { ...c.constants },
      dtype: c.dtype,
      dtype_b: c.dtypeB,
      dtype_r: c.dtypeR,
      dtype_w: c.dtypeW,
      dtype_g: c.dtypeG,
      dtype_s: c.dtypeS,
      dtype_a: c.dtypeA,
      enable_automatic_mixed_precision: c.enableAutomaticMixedPrecision,
      initial_val: c.initialVal,
      embedding_dim: spec.embeddingDim,
      conv1d_kernel_size: s.convKernel,
      group_norm_weight: s.groupNormWeight,
      dropout: spec.dropout,
    },
    'slstm',
  );
}

/**
 * The stack's template keeps the dataclass defaults embedding_dim -1 and _num_blocks 1 (only the
 * per-block copies are filled in), so its `_proj_up_dim` is the rounding of -proj_factor.
 */
function feedforward(f: FfnSpec, embeddingDim: number, numBlocks: number): Dict {
  return inFieldOrder(
    FEEDFORWARD_FIELDS,
    {
      proj_factor: f.projFactor,
      round_proj_up_dim_up: f.roundProjUpDimUp,
      round_proj_up_to_multiple_of: f.roundProjUpToMultipleOf,
      // + 0 turns the -0 that rounding -1.3 up produces into the 0 Python's int() gives
      _proj_up_dim: roundProjUpDim(embeddingDim, f) + 0,
      act_fn: f.act,
      embedding_dim: embeddingDim,
      dropout: f.dropout,
      bias: f.bias,
      ff_type: f.ffType,
      _num_blocks: numBlocks,
    },
    'feedforward',
  );
}

/** The post-init `xLSTMLMModelConfig` as a plain dict in dataclass field order. */
export function officialConfigFromSpec(spec: ModelSpec): Record<string, unknown> {
  const mlstmBlock =
    spec.mlstm === null
      ? null
      : inFieldOrder(MLSTM_BLOCK_FIELDS, { mlstm: mlstmLayer(spec, spec.mlstm), _num_blocks: spec.numBlocks, _block_idx: null }, 'mlstm_block');
  const slstmBlock =
    spec.slstm === null
      ? null
      : inFieldOrder(
          SLSTM_BLOCK_FIELDS,
          {
            slstm: slstmLayer(spec, spec.slstm, null),
            feedforward: spec.slstm.ffn === null ? null : feedforward(spec.slstm.ffn, -1, 1),
            _num_blocks: spec.numBlocks,
            _block_idx: null,
          },
          'slstm_block',
        );
  const blockMap = Array.from({ length: spec.numBlocks }, (_, i) => (spec.slstmAt.includes(i) ? 1 : 0));
  return inFieldOrder(
    LM_MODEL_FIELDS,
    {
      mlstm_block: mlstmBlock,
      slstm_block: slstmBlock,
      context_length: spec.contextLength,
      num_blocks: spec.numBlocks,
      embedding_dim: spec.embeddingDim,
      add_post_blocks_norm: spec.addPostBlocksNorm,
      bias: spec.bias,
      dropout: spec.dropout,
      slstm_at: [...spec.slstmAt],
      _block_map: blockMap.join(','),
      vocab_size: spec.vocabSize,
      tie_weights: spec.tieWeights,
      weight_decay_on_embedding: spec.weightDecayOnEmbedding,
      add_embedding_dropout: spec.addEmbeddingDropout,
    },
    'xLSTMLMModelConfig',
  );
}

function blockConfig(spec: ModelSpec, b: BlockSpec): Dict {
  const common = { _num_blocks: spec.numBlocks, _block_idx: b.index };
  if (b.kind === 'mlstm') {
    return inFieldOrder(XLSTM_BLOCK_FIELDS, { mlstm: mlstmLayer(spec, b), slstm: null, feedforward: null, ...common }, 'block');
  }
  const ffn = b.ffn === null ? null : feedforward(b.ffn, spec.embeddingDim, spec.numBlocks);
  return inFieldOrder(XLSTM_BLOCK_FIELDS, { mlstm: null, slstm: slstmLayer(spec, b, b.index), feedforward: ffn, ...common }, 'block');
}

/** Each built block's `xLSTMBlockConfig` after its own `__post_init__` (the golden `official_block_configs`). */
export function officialBlockConfigsFromSpec(spec: ModelSpec): Record<string, unknown>[] {
  return spec.blocks.map((b) => blockConfig(spec, b));
}

/** The official LayerNorm eps and mLSTM normaliser eps: constants in the official code. */
export const OFFICIAL_LAYER_NORM_EPS = 1e-5;
export const OFFICIAL_MLSTM_CELL_EPS = 1e-6;

/**
 * What the official config cannot say about `spec`: per-block overrides (errors: the exported model
 * would differ) and eps values the official code fixes (warnings: it runs with its own).
 */
export function officialConfigLimits(spec: ModelSpec): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  for (const { kind, index, ...layer } of spec.blocks) {
    const template = kind === 'mlstm' ? spec.mlstm : spec.slstm;
    if (!deepEqual(layer, template)) {
      errors.push(`block ${index} overrides the ${kind} settings; the official config has one ${kind} layer config for every ${kind} block`);
    }
  }
  const warnings: string[] = [];
  if (spec.layerNormEps !== OFFICIAL_LAYER_NORM_EPS) {
    warnings.push(`norm_eps ${spec.layerNormEps} is not exported: the official LayerNorm eps is fixed at ${OFFICIAL_LAYER_NORM_EPS}`);
  }
  if (spec.mlstmCellEps !== OFFICIAL_MLSTM_CELL_EPS) {
    warnings.push(`mlstm_eps ${spec.mlstmCellEps} is not exported: the official mLSTM cell eps is fixed at ${OFFICIAL_MLSTM_CELL_EPS}`);
  }
  return { errors, warnings };
}
