import type { BlockSpec, ModelSpec } from './spec.js';

/** How the official `reset_parameters` initialises a tensor (see golden/README.md, "Initialisation"). */
export type InitSpec =
  | { kind: 'normal'; std: number }
  | { kind: 'uniform'; bound: number }
  | { kind: 'constant'; value: number }
  /** `torch.linspace(start, end, n)` over the whole tensor (mLSTM forget-gate bias over heads). */
  | { kind: 'linspace'; start: number; end: number }
  /** sLSTM `_bias_` [4·E], gates (i, f, z, o), by `bias_init`; `blockIdx` is the position in the whole stack. */
  | {
      kind: 'slstm_bias';
      scheme: 'powerlaw_blockdependent' | 'small_init' | 'standard';
      numHeads: number;
      headDim: number;
      blockIdx: number;
      numBlocks: number;
    };

export interface ParamSpec {
  /** The official state_dict key. */
  name: string;
  shape: number[];
  init: InitSpec;
  /** In the weight-decay group of the official optimizer grouping (`xlstm/utils.py`). */
  decay: boolean;
  /** Set on `lm_head.weight` when weights are tied: present in the state dict, not a separate parameter. */
  tiedTo?: string;
}

export const EMBEDDING_NAME = 'token_embedding.weight';
export const LM_HEAD_NAME = 'lm_head.weight';
export const POST_NORM_NAME = 'xlstm_block_stack.post_blocks_norm.weight';

export function blockPrefix(index: number): string {
  return `xlstm_block_stack.blocks.${index}.`;
}

/** Official std of "small init": sqrt(2 / (5·dim)). */
export function smallInitStd(dim: number): number {
  return Math.sqrt(2 / (5 * dim));
}

/** Official std of "wang init": 2 / num_blocks / sqrt(dim). */
export function wangInitStd(dim: number, numBlocks: number): number {
  return 2 / numBlocks / Math.sqrt(dim);
}

/** The official grouping: decay iff the name contains "weight" and not "norm"; the embedding only on request. */
function decays(name: string, spec: ModelSpec): boolean {
  if (name === EMBEDDING_NAME) return spec.weightDecayOnEmbedding;
  return name.includes('weight') && !name.includes('norm');
}

type Entry = Omit<ParamSpec, 'decay'>;

function mlstmBlockParams(spec: ModelSpec, b: Extract<BlockSpec, { kind: 'mlstm' }>): Entry[] {
  const p = blockPrefix(b.index);
  const E = spec.embeddingDim;
  const I = b.innerDim;
  const P = b.numQkvBlocks;
  const bs = I / P;
  const small = { kind: 'normal', std: smallInitStd(E) } as const;
  const zero = { kind: 'constant', value: 0 } as const;
  const convBound = { kind: 'uniform', bound: 1 / Math.sqrt(b.convKernel) } as const;
  const out: Entry[] = [
    { name: `${p}xlstm_norm.weight`, shape: [E], init: zero },
    { name: `${p}xlstm.learnable_skip`, shape: [I], init: { kind: 'constant', value: 1 } },
    { name: `${p}xlstm.proj_up.weight`, shape: [2 * I, E], init: small },
  ];
  if (b.bias) out.push({ name: `${p}xlstm.proj_up.bias`, shape: [2 * I], init: zero });
  for (const qkv of ['q', 'k', 'v']) {
    out.push({ name: `${p}xlstm.${qkv}_proj.weight`, shape: [P, bs, bs], init: small });
    if (b.bias) out.push({ name: `${p}xlstm.${qkv}_proj.bias`, shape: [I], init: zero });
  }
  out.push(
    { name: `${p}xlstm.conv1d.conv.weight`, shape: [I, 1, b.convKernel], init: convBound },
    { name: `${p}xlstm.conv1d.conv.bias`, shape: [I], init: convBound },
    { name: `${p}xlstm.mlstm_cell.igate.weight`, shape: [b.numHeads, 3 * I], init: zero },
    { name: `${p}xlstm.mlstm_cell.igate.bias`, shape: [b.numHeads], init: { kind: 'normal', std: 0.1 } },
    { name: `${p}xlstm.mlstm_cell.fgate.weight`, shape: [b.numHeads, 3 * I], init: zero },
    { name: `${p}xlstm.mlstm_cell.fgate.bias`, shape: [b.numHeads], init: { kind: 'linspace', start: 3, end: 6 } },
    { name: `${p}xlstm.mlstm_cell.outnorm.weight`, shape: [I], init: zero },
    { name: `${p}xlstm.proj_down.weight`, shape: [E, I], init: { kind: 'normal', std: wangInitStd(E, spec.numBlocks) } },
  );
  if (b.bias) out.push({ name: `${p}xlstm.proj_down.bias`, shape: [E], init: zero });
  return out;
}

function slstmBlockParams(spec: ModelSpec, b: Extract<BlockSpec, { kind: 'slstm' }>): Entry[] {
  const p = blockPrefix(b.index);
  const E = spec.embeddingDim;
  const NH = b.numHeads;
  const DH = b.headDim;
  const zero = { kind: 'constant', value: 0 } as const;
  const small = { kind: 'normal', std: smallInitStd(E) } as const;
  const out: Entry[] = [{ name: `${p}xlstm_norm.weight`, shape: [E], init: zero }];
  if (b.convKernel > 0) {
    const convBound = { kind: 'uniform', bound: 1 / Math.sqrt(b.convKernel) } as const;
    out.push(
      { name: `${p}xlstm.conv1d.conv.weight`, shape: [E, 1, b.convKernel], init: convBound },
      { name: `${p}xlstm.conv1d.conv.bias`, shape: [E], init: convBound },
    );
  }
  for (const gate of ['fgate', 'igate', 'zgate', 'ogate']) {
    out.push({ name: `${p}xlstm.${gate}.weight`, shape: [NH, DH, DH], init: small });
  }
  out.push(
    {
      name: `${p}xlstm.slstm_cell._recurrent_kernel_`,
      shape: [NH, 4 * DH, DH],
      init: b.recurrentWeightInit === 'zeros' ? zero : { kind: 'uniform', bound: 1 / Math.sqrt(E) },
    },
    {
      name: `${p}xlstm.slstm_cell._bias_`,
      shape: [4 * E],
      init: { kind: 'slstm_bias', scheme: b.biasInit, numHeads: NH, headDim: DH, blockIdx: b.index, numBlocks: spec.numBlocks },
    },
  );
  if (b.groupNormWeight) out.push({ name: `${p}xlstm.group_norm.weight`, shape: [E], init: zero });
  if (b.ffn !== null) {
    const F = b.ffn.upDim;
    out.push({ name: `${p}ffn_norm.weight`, shape: [E], init: zero });
    out.push({ name: `${p}ffn.proj_up.weight`, shape: [2 * F, E], init: small });
    if (b.ffn.bias) out.push({ name: `${p}ffn.proj_up.bias`, shape: [2 * F], init: zero });
    out.push({ name: `${p}ffn.proj_down.weight`, shape: [E, F], init: { kind: 'normal', std: wangInitStd(E, spec.numBlocks) } });
    if (b.ffn.bias) out.push({ name: `${p}ffn.proj_down.bias`, shape: [E], init: zero });
  }
  return out;
}

/**
 * Every tensor of the official `model.state_dict()`, in state_dict order, with its shape, init and
 * weight-decay group. With tied weights `lm_head.weight` is listed (it is in the state dict) but
 * marked `tiedTo` the embedding; it is not a separate parameter and has no gradient of its own.
 */
export function parameterSpecs(spec: ModelSpec): ParamSpec[] {
  const entries: Entry[] = [];
  for (const b of spec.blocks) {
    entries.push(...(b.kind === 'mlstm' ? mlstmBlockParams(spec, b) : slstmBlockParams(spec, b)));
  }
  const E = spec.embeddingDim;
  const V = spec.vocabSize;
  if (spec.addPostBlocksNorm) entries.push({ name: POST_NORM_NAME, shape: [E], init: { kind: 'constant', value: 0 } });
  entries.push({ name: EMBEDDING_NAME, shape: [V, E], init: { kind: 'normal', std: smallInitStd(E) } });
  entries.push(
    spec.tieWeights
      ? { name: LM_HEAD_NAME, shape: [V, E], init: { kind: 'normal', std: smallInitStd(E) }, tiedTo: EMBEDDING_NAME }
      : { name: LM_HEAD_NAME, shape: [V, E], init: { kind: 'normal', std: smallInitStd(E) } },
  );
  return entries.map((e) => ({ ...e, decay: e.tiedTo === undefined && decays(e.name, spec) }));
}

export function numElements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Trainable parameter count, as `sum(p.numel() for p in model.parameters())` counts it. */
export function parameterCount(spec: ModelSpec): number {
  return parameterSpecs(spec)
    .filter((p) => p.tiedTo === undefined)
    .reduce((n, p) => n + numElements(p.shape), 0);
}
