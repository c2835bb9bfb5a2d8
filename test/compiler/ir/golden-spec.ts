/**
 * Test helper: ModelSpecs written directly from the golden cases' config.json (`model` summary and
 * the per-block official configs), independent of the front end and of the interop importer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Activation, BlockSpec, FfnSpec, MlstmSpec, ModelSpec, SlstmBiasInit, SlstmRecurrentInit, SlstmSpec } from '../../../compiler/spec.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'golden');
/** The project's shared golden set beside the checkout (`../shared/golden`), where the larger cases live. */
export const SHARED_GOLDEN = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'golden');
const SHARED = SHARED_GOLDEN;

export interface GoldenCase {
  name: string;
  dir: string;
  config: GoldenConfig;
}

interface MlstmSummary {
  index: number;
  type: 'mlstm';
  proj_factor: number;
  round_proj_up_dim_up: boolean;
  round_proj_up_to_multiple_of: number;
  inner_embedding_dim: number;
  num_heads: number;
  head_dim: number;
  qkv_proj_blocksize: number;
  num_proj_heads: number;
  conv1d_kernel_size: number;
  bias: boolean;
}

interface SlstmSummary {
  index: number;
  type: 'slstm';
  num_heads: number;
  head_dim: number;
  conv1d_kernel_size: number;
  bias_init: SlstmBiasInit;
  recurrent_weight_init: SlstmRecurrentInit;
  ffn: {
    proj_factor: number;
    round_proj_up_dim_up: boolean;
    round_proj_up_to_multiple_of: number;
    proj_up_dim: number;
    act_fn: Activation;
    bias: boolean;
  } | null;
}

export interface GoldenConfig {
  model: {
    vocab_size: number;
    embedding_dim: number;
    num_blocks: number;
    context_length: number;
    slstm_at: number[];
    tie_weights: boolean;
    weight_decay_on_embedding: boolean;
    add_embedding_dropout: boolean;
    add_post_blocks_norm: boolean;
    bias: boolean;
    dropout: number;
    layer_norm_eps: number;
    mlstm_cell_eps: number;
    blocks: (MlstmSummary | SlstmSummary)[];
  };
  golden: { batch_size: number; seq_len: number; num_parameters: number; weight_decay_param_names: string[] };
}

/** The golden cases available here: the repository copies, plus mixed_7_1 from the shared folder when present. */
export function goldenCases(): GoldenCase[] {
  const names = ['m_only', 'm_only_perturbed', 's_only', 's_only_perturbed', 'mixed_1_1'];
  const cases = names.map((n) => ({ name: n, dir: join(FIXTURES, `case_${n}`) }));
  const mixed71 = join(SHARED, 'case_mixed_7_1');
  if (existsSync(join(mixed71, 'config.json'))) cases.push({ name: 'mixed_7_1', dir: mixed71 });
  return cases.map((c) => ({ ...c, config: JSON.parse(readFileSync(join(c.dir, 'config.json'), 'utf8')) as GoldenConfig }));
}

export function goldenCase(name: string): GoldenCase | undefined {
  return goldenCases().find((c) => c.name === name);
}

function mlstmOf(b: MlstmSummary, m: GoldenConfig['model']): MlstmSpec {
  return {
    projFactor: b.proj_factor,
    roundProjUpDimUp: b.round_proj_up_dim_up,
    roundProjUpToMultipleOf: b.round_proj_up_to_multiple_of,
    numHeads: b.num_heads,
    headDim: b.head_dim,
    innerDim: b.inner_embedding_dim,
    qkvProjBlocksize: b.qkv_proj_blocksize,
    numQkvBlocks: b.num_proj_heads,
    convKernel: b.conv1d_kernel_size,
    bias: b.bias,
    dropout: m.dropout,
  };
}

function slstmOf(b: SlstmSummary, m: GoldenConfig['model']): SlstmSpec {
  const ffn: FfnSpec | null =
    b.ffn === null
      ? null
      : {
          projFactor: b.ffn.proj_factor,
          roundProjUpDimUp: b.ffn.round_proj_up_dim_up,
          roundProjUpToMultipleOf: b.ffn.round_proj_up_to_multiple_of,
          upDim: b.ffn.proj_up_dim,
          act: b.ffn.act_fn,
          bias: b.ffn.bias,
          dropout: 0,
          ffType: 'ffn_gated',
        };
  return {
    numHeads: b.num_heads,
    headDim: b.head_dim,
    convKernel: b.conv1d_kernel_size,
    backend: 'vanilla',
    function: 'slstm',
    biasInit: b.bias_init,
    recurrentWeightInit: b.recurrent_weight_init,
    groupNormWeight: true,
    numGates: 4,
    numStates: 4,
    dropout: m.dropout,
    cuda: {
      batchSize: 8,
      dtype: 'bfloat16',
      dtypeB: 'float32',
      dtypeR: 'bfloat16',
      dtypeW: 'bfloat16',
      dtypeG: 'bfloat16',
      dtypeS: 'bfloat16',
      dtypeA: 'float32',
      enableAutomaticMixedPrecision: true,
      gradientRecurrentCut: false,
      gradientRecurrentClipval: null,
      forwardClipval: null,
      inputShape: 'BSGNH',
      internalInputShape: 'SBGNH',
      outputShape: 'BNSH',
      initialVal: 0,
      constants: {},
    },
    ffn,
  };
}

export function goldenSpec(c: GoldenCase): ModelSpec {
  const m = c.config.model;
  const blocks: BlockSpec[] = m.blocks.map((b) =>
    b.type === 'mlstm' ? { kind: 'mlstm', index: b.index, ...mlstmOf(b, m) } : { kind: 'slstm', index: b.index, ...slstmOf(b, m) },
  );
  const firstM = m.blocks.find((b): b is MlstmSummary => b.type === 'mlstm');
  const firstS = m.blocks.find((b): b is SlstmSummary => b.type === 'slstm');
  return {
    name: c.name,
    vocabSize: m.vocab_size,
    embeddingDim: m.embedding_dim,
    numBlocks: m.num_blocks,
    contextLength: m.context_length,
    slstmAt: m.slstm_at,
    tieWeights: m.tie_weights,
    addPostBlocksNorm: m.add_post_blocks_norm,
    bias: m.bias,
    dropout: m.dropout,
    weightDecayOnEmbedding: m.weight_decay_on_embedding,
    addEmbeddingDropout: m.add_embedding_dropout,
    layerNormEps: m.layer_norm_eps,
    mlstmCellEps: m.mlstm_cell_eps,
    precision: 'f32',
    mlstm: firstM === undefined ? null : mlstmOf(firstM, m),
    slstm: firstS === undefined ? null : slstmOf(firstS, m),
    blocks,
    train: {
      optimizer: 'adamw',
      lr: 1e-3,
      weightDecay: 0.1,
      betas: [0.9, 0.95],
      eps: 1e-8,
      batch: c.config.golden.batch_size,
      clip: 1,
      warmup: 0,
      schedule: 'constant',
      minLrRatio: 1,
      steps: 1,
      gradAccum: 1,
      seqLen: c.config.golden.seq_len,
    },
  };
}
