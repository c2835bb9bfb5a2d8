/**
 * Tiny models with random (not officially initialised) weights, for tests that need every weight to
 * matter: the official init sets many tensors to constants that hide layout and gradient mistakes.
 * Dims are far below the official 64-rounding (the spec's rounding multiple is set to match), odd
 * where the official code allows it.
 */
import { numElements, parameterSpecs } from '../../compiler/params.js';
import type { Activation, BlockSpec, MlstmSpec, ModelSpec, SlstmSpec } from '../../compiler/spec.js';
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

export function tinyModelSpec(o: TinyModelOptions = {}): ModelSpec {
  const kinds = o.blocks ?? ['m', 's', 'm'];
  const E = 6;
  const mlstm: MlstmSpec = {
    projFactor: 2,
    roundProjUpDimUp: true,
    roundProjUpToMultipleOf: 4,
    numHeads: 2,
    headDim: 6,
    innerDim: 12,
    qkvProjBlocksize: 3,
    numQkvBlocks: 4,
    convKernel: 3,
    bias: o.bias ?? true,
    dropout: 0,
  };
  const slstm: SlstmSpec = {
    numHeads: 2,
    headDim: 3,
    convKernel: o.slstmConv ?? 2,
    backend: 'vanilla',
    function: 'slstm',
    biasInit: 'powerlaw_blockdependent',
    recurrentWeightInit: 'standard',
    groupNormWeight: true,
    numGates: 4,
    numStates: 4,
    dropout: 0,
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
    ffn: {
      projFactor: 1.3,
      roundProjUpDimUp: true,
      roundProjUpToMultipleOf: 1,
      upDim: 7,
      act: o.act ?? 'gelu',
      bias: o.ffnBias ?? false,
      dropout: 0,
      ffType: 'ffn_gated',
    },
  };
  const blocks: BlockSpec[] = kinds.map((k, index) => (k === 'm' ? { kind: 'mlstm', index, ...mlstm } : { kind: 'slstm', index, ...slstm }));
  return {
    name: 'Tiny',
    vocabSize: o.vocab ?? 7,
    embeddingDim: E,
    numBlocks: kinds.length,
    contextLength: 8,
    slstmAt: kinds.flatMap((k, i) => (k === 's' ? [i] : [])),
    tieWeights: o.tieWeights ?? false,
    addPostBlocksNorm: o.addPostBlocksNorm ?? true,
    bias: o.bias ?? true,
    dropout: 0,
    weightDecayOnEmbedding: false,
    addEmbeddingDropout: false,
    layerNormEps: 1e-5,
    mlstmCellEps: 1e-6,
    precision: 'f32',
    mlstm: kinds.includes('m') ? mlstm : null,
    slstm: kinds.includes('s') ? slstm : null,
    blocks,
    train: {
      optimizer: 'adamw',
      lr: 1e-3,
      weightDecay: 0.1,
      betas: [0.9, 0.95],
      eps: 1e-8,
      batch: 2,
      clip: 1,
      warmup: 0,
      schedule: 'constant',
      minLrRatio: 1,
      steps: 1,
      gradAccum: 1,
      seqLen: 8,
    },
  };
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
