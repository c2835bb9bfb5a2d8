import { blockFlopsPerToken, blockStateFloats, F32_BYTES, flopsPerToken, lmHeadFlopsPerToken, stateFloats } from './model-cost.js';
import { blockPrefix, numElements, parameterCount, parameterSpecs } from './params.js';
import type { BlockSpec, ModelSpec, ProjRounding, TrainSpec } from './spec.js';

export interface ExplainedBlock {
  index: number;
  kind: 'mlstm' | 'slstm';
  /** One line of derived dims, as printed. */
  dims: string;
  parameters: number;
  flopsPerToken: number;
  stateFloats: number;
}

/** What `xlstm check --explain --json` prints per model. */
export interface ModelExplanation {
  name: string;
  source?: { file: string; line: number; col: number };
  vocabSize: number;
  embeddingDim: number;
  contextLength: number;
  numBlocks: number;
  slstmAt: number[];
  parameters: number;
  /** Forward FLOPs per token at the context length (formula in model-cost.ts). */
  flopsPerToken: number;
  lmHeadFlopsPerToken: number;
  /** Recurrent state per sequence. */
  stateFloats: number;
  stateBytesF32: number;
  blocks: ExplainedBlock[];
  train: TrainSpec;
}

function rounding(r: ProjRounding, E: number): string {
  return `${r.projFactor}·${E} ${r.roundProjUpDimUp ? '↑' : '↓'}${r.roundProjUpToMultipleOf}`;
}

function blockDims(b: BlockSpec, E: number): string {
  if (b.kind === 'mlstm') {
    return `heads ${b.numHeads}×${b.headDim}, I ${b.innerDim} (${rounding(b, E)}), qkv ${b.numQkvBlocks} blocks of ${b.innerDim / b.numQkvBlocks}, conv ${b.convKernel}`;
  }
  const ffn = b.ffn === null ? 'no ffn' : `ffn ${b.ffn.act} F ${b.ffn.upDim} (${rounding(b.ffn, E)})`;
  const conv = b.convKernel === 0 ? 'no conv' : `conv ${b.convKernel}`;
  return `heads ${b.numHeads}×${b.headDim}, ${conv}, bias ${b.biasInit}, R ${b.recurrentWeightInit}, ${ffn}`;
}

export function explainModelJson(spec: ModelSpec): ModelExplanation {
  const params = parameterSpecs(spec).filter((p) => p.tiedTo === undefined);
  const blocks = spec.blocks.map((b) => ({
    index: b.index,
    kind: b.kind,
    dims: blockDims(b, spec.embeddingDim),
    parameters: params.filter((p) => p.name.startsWith(blockPrefix(b.index))).reduce((n, p) => n + numElements(p.shape), 0),
    flopsPerToken: blockFlopsPerToken(b, spec.embeddingDim, spec.contextLength),
    stateFloats: blockStateFloats(b, spec.embeddingDim),
  }));
  const floats = stateFloats(spec);
  const out: ModelExplanation = {
    name: spec.name,
    vocabSize: spec.vocabSize,
    embeddingDim: spec.embeddingDim,
    contextLength: spec.contextLength,
    numBlocks: spec.numBlocks,
    slstmAt: spec.slstmAt,
    parameters: parameterCount(spec),
    flopsPerToken: flopsPerToken(spec),
    lmHeadFlopsPerToken: lmHeadFlopsPerToken(spec),
    stateFloats: floats,
    stateBytesF32: floats * F32_BYTES,
    blocks,
    train: spec.train,
  };
  if (spec.source !== undefined) out.source = { file: spec.source.file, line: spec.source.line, col: spec.source.col };
  return out;
}

const thousands = (n: number): string => n.toLocaleString('en-US');

/** Small constants as written in configs: 1e-5, not 0.00001. */
const num = (x: number): string => (x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential() : String(x));

function si(n: number): string {
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  const [scale, unit] = units.find(([s]) => n >= s) ?? [1, ''];
  return `${Number((n / scale).toPrecision(4))} ${unit}`;
}

function bytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : n >= 1 << 10 ? `${(n / (1 << 10)).toFixed(1)} KiB` : `${n} B`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `  ${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}`.trimEnd());
}

function trainLine(t: TrainSpec): string {
  const clip = t.clip === null ? 'no clip' : `clip ${t.clip}`;
  return `adamw lr ${num(t.lr)} wd ${num(t.weightDecay)} betas (${t.betas.join(', ')}) eps ${num(t.eps)}; batch ${t.batch}×${t.seqLen} tokens, grad_accum ${t.gradAccum}, ${clip}; warmup ${t.warmup}, ${t.schedule} to ${t.minLrRatio}·lr over ${t.steps} steps`;
}

/** The resolved model as text: every block's kind and derived dims, parameters, FLOPs per token, state size. */
export function explainModel(spec: ModelSpec): string {
  const x = explainModelJson(spec);
  const where = x.source ? `  (${x.source.file}:${x.source.line}:${x.source.col})` : '';
  const kinds = spec.blocks.map((b) => (b.kind === 'mlstm' ? 'm' : 's')).join(' ');
  const flags = [
    `tie_weights ${spec.tieWeights}`,
    `post_blocks_norm ${spec.addPostBlocksNorm}`,
    `bias ${spec.bias}`,
    `dropout ${spec.dropout}`,
    `norm_eps ${num(spec.layerNormEps)}`,
    `mlstm_eps ${num(spec.mlstmCellEps)}`,
    `precision ${spec.precision}`,
  ].join(', ');
  const rows = [['block', 'kind', 'params', 'FLOPs/token', 'state', 'dims']];
  for (const b of x.blocks) {
    rows.push([String(b.index), b.kind === 'mlstm' ? 'mLSTM' : 'sLSTM', thousands(b.parameters), si(b.flopsPerToken), thousands(b.stateFloats), b.dims]);
  }
  return [
    `model ${x.name}${where}`,
    `  vocab ${x.vocabSize}, embed ${x.embeddingDim}, context ${x.contextLength}, ${x.numBlocks} blocks: ${kinds} (sLSTM at [${x.slstmAt.join(', ')}])`,
    `  ${flags}`,
    ...table(rows),
    `  parameters          ${thousands(x.parameters)}${spec.tieWeights ? ' (LM head tied to the embedding)' : ''}`,
    `  FLOPs per token     ${si(x.flopsPerToken)}FLOP forward at context ${x.contextLength} (LM head ${si(x.lmHeadFlopsPerToken)}FLOP; matmuls only, 2 per multiply-add)`,
    `  state per sequence  ${thousands(x.stateFloats)} floats = ${bytes(x.stateBytesF32)} in f32`,
    `  train               ${trainLine(spec.train)}`,
  ].join('\n');
}
