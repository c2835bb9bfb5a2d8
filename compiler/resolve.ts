import type { Span } from '../grammar/ast.js';
import type { LayerViews } from './check/model-views.js';
import { projRounding } from './check/rules/projection.js';
import type { Field, SectionView } from './check/section-view.js';
import type { ValidatedModel } from './check/validate.js';
import {
  roundProjUpDim,
  SLSTM_FUNCTION_STATES,
  type Activation,
  type BlockSpec,
  type FfnSpec,
  type MlstmSpec,
  type ModelSpec,
  type Precision,
  type Schedule,
  type SlstmBackend,
  type SlstmBiasInit,
  type SlstmCudaOptions,
  type SlstmFunction,
  type SlstmRecurrentInit,
  type SlstmSpec,
  type TrainSpec,
} from './spec.js';

/**
 * Builds the resolved ModelSpec of a model that checked without errors: every default filled in
 * and every derived dim computed as the official `__post_init__`s do. Only call it for a model
 * without errors; a value that is still missing here is a checker bug, not a user mistake.
 */
export function resolveModel(name: string, m: ValidatedModel, source?: Span): ModelSpec {
  const model = m.views.model;
  const E = need(model.num('embed'), 'embed');
  const numBlocks = need(model.num('blocks'), 'blocks');
  const bias = need(model.bool('bias'), 'bias');
  const dropout = need(model.num('dropout'), 'dropout');
  const positions = m.positions ?? fail('slstm positions');
  const mlstmOf = (l: LayerViews): MlstmSpec => mlstmSpec(l.layer, E, bias, dropout);
  const slstmOf = (l: LayerViews): SlstmSpec => slstmSpec(l, E, dropout);
  const blocks: BlockSpec[] = Array.from({ length: numBlocks }, (_, index) => {
    const layer = m.overrides.get(index);
    return positions.includes(index)
      ? { kind: 'slstm', index, ...slstmOf(layer ?? m.views.slstm) }
      : { kind: 'mlstm', index, ...mlstmOf(layer ?? m.views.mlstm) };
  });
  const spec: ModelSpec = {
    name,
    vocabSize: need(model.num('vocab'), 'vocab'),
    embeddingDim: E,
    numBlocks,
    contextLength: need(model.num('context'), 'context'),
    slstmAt: positions,
    tieWeights: need(model.bool('tie_weights'), 'tie_weights'),
    addPostBlocksNorm: need(model.bool('post_blocks_norm'), 'post_blocks_norm'),
    bias,
    dropout,
    weightDecayOnEmbedding: need(model.bool('weight_decay_on_embedding'), 'weight_decay_on_embedding'),
    addEmbeddingDropout: need(model.bool('embedding_dropout'), 'embedding_dropout'),
    layerNormEps: need(model.num('norm_eps'), 'norm_eps'),
    mlstmCellEps: need(model.num('mlstm_eps'), 'mlstm_eps'),
    precision: need(model.str('precision'), 'precision') as Precision,
    mlstm: m.views.written.mlstm || m.has.mlstm ? mlstmOf(m.views.mlstm) : null,
    slstm: m.views.written.slstm || m.has.slstm ? slstmOf(m.views.slstm) : null,
    blocks,
    train: trainSpec(m.views.train),
  };
  if (source !== undefined) spec.source = source;
  return spec;
}

function fail(what: string): never {
  throw new Error(`internal: resolving a model whose ${what} is invalid; the checker should have reported it`);
}

function need<T>(f: Field<T> | undefined, what: string): T {
  return f === undefined ? fail(what) : f.value;
}

function mlstmSpec(v: SectionView, E: number, bias: boolean, dropout: number): MlstmSpec {
  const rounding = projRounding(v) ?? fail('mlstm projection');
  const innerDim = roundProjUpDim(E, rounding);
  const numHeads = need(v.num('heads'), 'mlstm heads');
  const qkvProjBlocksize = need(v.num('qkv_blocksize'), 'qkv_blocksize');
  return {
    ...rounding,
    numHeads,
    headDim: innerDim / numHeads,
    innerDim,
    qkvProjBlocksize,
    numQkvBlocks: Math.floor(innerDim / qkvProjBlocksize),
    convKernel: need(v.num('conv1d'), 'mlstm conv1d'),
    bias,
    dropout,
  };
}

function ffnSpec(v: SectionView, E: number): FfnSpec {
  const rounding = projRounding(v) ?? fail('ffn projection');
  const act = need(v.str('act'), 'act');
  return {
    ...rounding,
    upDim: roundProjUpDim(E, rounding),
    act: (act === 'relu2' ? 'relu^2' : act) as Activation,
    bias: need(v.bool('bias'), 'ffn bias'),
    dropout: need(v.num('dropout'), 'ffn dropout'),
    ffType: 'ffn_gated',
  };
}

function cudaOptions(v: SectionView): SlstmCudaOptions {
  const s = (key: string): string => need(v.str(key), key);
  const clip = (key: string): number | null => need(v.numOrNull(key), key);
  return {
    batchSize: need(v.num('batch_size'), 'batch_size'),
    dtype: s('dtype'),
    dtypeB: s('dtype_b'),
    dtypeR: s('dtype_r'),
    dtypeW: s('dtype_w'),
    dtypeG: s('dtype_g'),
    dtypeS: s('dtype_s'),
    dtypeA: s('dtype_a'),
    enableAutomaticMixedPrecision: need(v.bool('amp'), 'amp'),
    gradientRecurrentCut: need(v.bool('gradient_recurrent_cut'), 'gradient_recurrent_cut'),
    gradientRecurrentClipval: clip('gradient_recurrent_clipval'),
    forwardClipval: clip('forward_clipval'),
    inputShape: s('input_shape'),
    internalInputShape: s('internal_input_shape'),
    outputShape: s('output_shape'),
    initialVal: need(v.num('initial_val'), 'initial_val'),
    constants: {},
  };
}

function slstmSpec(l: LayerViews, E: number, dropout: number): SlstmSpec {
  const v = l.layer;
  const numHeads = need(v.num('heads'), 'slstm heads');
  const fn = need(v.str('function'), 'function') as SlstmFunction;
  return {
    numHeads,
    headDim: E / numHeads,
    convKernel: need(v.num('conv1d'), 'slstm conv1d'),
    backend: need(v.str('backend'), 'backend') as SlstmBackend,
    function: fn,
    biasInit: need(v.str('bias_init'), 'bias_init') as SlstmBiasInit,
    recurrentWeightInit: need(v.str('recurrent_init'), 'recurrent_init') as SlstmRecurrentInit,
    groupNormWeight: need(v.bool('group_norm_weight'), 'group_norm_weight'),
    numGates: 4,
    // the official sLSTMCellConfig takes it from the pointwise function's registry entry
    numStates: SLSTM_FUNCTION_STATES[fn],
    dropout,
    cuda: cudaOptions(l.cuda),
    ffn: l.ffn === null ? null : ffnSpec(l.ffn, E),
  };
}

function trainSpec(v: SectionView): TrainSpec {
  const betas = need(v.get('betas'), 'betas') as readonly number[];
  return {
    optimizer: 'adamw',
    lr: need(v.num('lr'), 'lr'),
    weightDecay: need(v.num('weight_decay'), 'weight_decay'),
    betas: [betas[0]!, betas[1]!],
    eps: need(v.num('eps'), 'eps'),
    batch: need(v.num('batch'), 'batch'),
    clip: need(v.numOrNull('clip'), 'clip'),
    warmup: need(v.num('warmup'), 'warmup'),
    schedule: need(v.str('schedule'), 'schedule') as Schedule,
    minLrRatio: need(v.num('min_lr_ratio'), 'min_lr_ratio'),
    steps: need(v.num('steps'), 'steps'),
    gradAccum: need(v.num('grad_accum'), 'grad_accum'),
    seqLen: need(v.num('seq_len'), 'seq_len'),
  };
}
