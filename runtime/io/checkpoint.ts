/**
 * Loading official checkpoints (`model.state_dict()` saved as safetensors) for a ModelSpec, without
 * Node APIs. Every name and shape is checked against `parameterSpecs(spec)` and all problems are
 * reported together in one line, with a hint when the file is plainly for another model.
 *
 * Conventions of the official code that a loader must follow:
 * - tied weights: `lm_head.weight` is in the state dict, equal to the embedding; it may also be
 *   absent (exporters that drop shared tensors). If present it must equal the embedding.
 * - sLSTM `_recurrent_kernel_` / `_bias_` are stored in the layout of the backend the model was
 *   built with; a model declared with `backend cuda` expects the CUDA layout, which is converted to
 *   the vanilla layout the runtime computes in (see slstm-cuda-layout.ts).
 */
import { EMBEDDING_NAME, LM_HEAD_NAME, parameterSpecs } from '../../compiler/params.js';
import type { BlockSpec, ModelSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';
import { describeArchitectureDifference } from './checkpoint-architecture.js';
import { float64Tensor, tensorToFloat64, type Dtype, type SafetensorsContents, type Tensor } from './safetensors.js';
import { shapeText } from './shape-text.js';
import {
  cudaBiasToVanilla,
  cudaKernelShape,
  cudaKernelToVanilla,
  vanillaBiasToCuda,
  vanillaKernelToCuda,
  type SlstmHeads,
} from './slstm-cuda-layout.js';

/** What a header says about one tensor; `TensorInfo` and `Tensor` both fit. */
export interface CheckpointEntry {
  name: string;
  dtype: Dtype;
  shape: readonly number[];
}

type Layout = 'plain' | 'cuda-kernel' | 'cuda-bias';

/** One tensor a checkpoint of the model holds, with its shape in the checkpoint's own layout. */
interface ExpectedTensor {
  name: string;
  shape: number[];
  tiedTo?: string;
  layout: Layout;
  heads?: SlstmHeads;
}

const FLOAT_DTYPES: ReadonlySet<Dtype> = new Set(['F64', 'F32', 'F16', 'BF16']);
const LISTED_PER_KIND = 3;

const KERNEL_SUFFIX = 'xlstm.slstm_cell._recurrent_kernel_';
const BIAS_SUFFIX = 'xlstm.slstm_cell._bias_';


function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** "2 missing (a, b)" with at most a few items listed. */
function countedList(kind: string, items: readonly string[]): string {
  const shown = items.slice(0, LISTED_PER_KIND).join(', ');
  const more = items.length > LISTED_PER_KIND ? `, … ${items.length - LISTED_PER_KIND} more` : '';
  return `${items.length} ${kind} (${shown}${more})`;
}

function blockOf(spec: ModelSpec, name: string): BlockSpec | undefined {
  const match = /^xlstm_block_stack\.blocks\.(\d+)\./.exec(name);
  return match === null ? undefined : spec.blocks[Number(match[1])];
}

/** Every tensor of the model's state dict in state_dict order, shaped as the checkpoint stores it. */
function expectedTensors(spec: ModelSpec): ExpectedTensor[] {
  return parameterSpecs(spec).map((p): ExpectedTensor => {
    const base = { name: p.name, shape: p.shape, ...(p.tiedTo === undefined ? {} : { tiedTo: p.tiedTo }) };
    const block = blockOf(spec, p.name);
    if (block?.kind !== 'slstm' || block.backend !== 'cuda') return { ...base, layout: 'plain' };
    const heads = { numHeads: block.numHeads, headDim: block.headDim };
    if (p.name.endsWith(KERNEL_SUFFIX)) return { ...base, shape: cudaKernelShape(heads), layout: 'cuda-kernel', heads };
    if (p.name.endsWith(BIAS_SUFFIX)) return { ...base, layout: 'cuda-bias', heads };
    return { ...base, layout: 'plain' };
  });
}

/** Why an sLSTM kernel has the other backend's shape, if that is what happened. */
function layoutMismatch(spec: ModelSpec, expected: ExpectedTensor, fileShape: readonly number[]): string | undefined {
  const block = blockOf(spec, expected.name);
  if (block?.kind !== 'slstm' || !expected.name.endsWith(KERNEL_SUFFIX)) return undefined;
  const heads = { numHeads: block.numHeads, headDim: block.headDim };
  const vanilla = [heads.numHeads, 4 * heads.headDim, heads.headDim];
  if (block.backend === 'vanilla' && sameShape(fileShape, cudaKernelShape(heads))) {
    return `its sLSTM tensors are in the CUDA-backend layout but ${spec.name} says backend vanilla (set \`backend cuda\` in its slstm section to load this file)`;
  }
  if (block.backend === 'cuda' && sameShape(fileShape, vanilla)) {
    return `its sLSTM tensors are in the vanilla-backend layout but ${spec.name} says backend cuda (set \`backend vanilla\` in its slstm section to load this file)`;
  }
  return undefined;
}

/** A common prefix such as `model.` or `_orig_mod.` in front of the official names, if the file has one. */
function namePrefix(missing: readonly string[], unexpected: readonly string[]): string | undefined {
  const first = missing[0];
  if (first === undefined) return undefined;
  const candidate = unexpected.find((u) => u.length > first.length && u.endsWith(`.${first}`));
  if (candidate === undefined) return undefined;
  const prefix = candidate.slice(0, candidate.length - first.length);
  const extra = new Set(unexpected);
  return missing.filter((m) => extra.has(prefix + m)).length * 2 >= missing.length ? prefix : undefined;
}

/**
 * Checks names, dtypes and shapes of a checkpoint's tensors against the model, before any data is
 * read. All problems go into one UserError: missing, unexpected, mis-shaped and non-float tensors,
 * plus what the file's shapes say about the model it came from when that differs.
 */
export function checkCheckpointFits(spec: ModelSpec, entries: Iterable<CheckpointEntry>, label: string): void {
  const file = new Map<string, CheckpointEntry>();
  for (const e of entries) file.set(e.name, e);
  const expected = expectedTensors(spec);
  const missing: string[] = [];
  const misShaped: string[] = [];
  const notFloat: string[] = [];
  const notes = new Set<string>();
  for (const x of expected) {
    const found = file.get(x.name);
    if (found === undefined) {
      if (x.tiedTo === undefined) missing.push(`${x.name} ${shapeText(x.shape)}`);
      continue;
    }
    if (!sameShape(found.shape, x.shape)) {
      misShaped.push(`${x.name}: file ${shapeText(found.shape)}, model ${shapeText(x.shape)}`);
      const why = layoutMismatch(spec, x, found.shape);
      if (why !== undefined) notes.add(why);
    }
    if (!FLOAT_DTYPES.has(found.dtype)) notFloat.push(`${x.name}: ${found.dtype}`);
  }
  const known = new Set(expected.map((x) => x.name));
  const unexpected = [...file.keys()].filter((name) => !known.has(name));
  if (missing.length + misShaped.length + notFloat.length + unexpected.length === 0) return;

  const parts = [
    missing.length > 0 ? countedList('missing', missing) : '',
    unexpected.length > 0 ? countedList('unexpected', unexpected) : '',
    misShaped.length > 0 ? countedList('mis-shaped', misShaped) : '',
    notFloat.length > 0 ? countedList('not floating-point', notFloat) : '',
  ].filter((p) => p !== '');
  const prefix = namePrefix(
    missing.map((m) => m.slice(0, m.lastIndexOf(' '))),
    unexpected,
  );
  if (prefix !== undefined) notes.add(`its names carry the prefix "${prefix}" (save the xLSTMLMModel's own state_dict(), or strip the prefix)`);
  else if (file.size > 0 && unexpected.length === file.size) notes.add('none of its names is an official xLSTMLMModel state_dict name');
  const fileShapes = new Map([...file.values()].map((e) => [e.name, e.shape]));
  const modelShapes = new Map(expected.map((x) => [x.name, x.shape]));
  const architecture = describeArchitectureDifference(fileShapes, modelShapes, spec.name);
  if (architecture !== undefined) notes.add(architecture);
  if (spec.tieWeights === false && missing.length === 1 && missing[0]!.startsWith(`${LM_HEAD_NAME} `) && file.has(EMBEDDING_NAME)) {
    notes.add(`a file without ${LM_HEAD_NAME} usually comes from a model with tied weights (tie_weights true)`);
  }
  const hint = notes.size > 0 ? `; ${[...notes].join('; ')}` : '';
  throw new UserError(`${label} does not fit model ${spec.name}: ${parts.join(', ')}${hint}`);
}

/** "NaN at element 3" for the first non-finite value, or undefined when all are finite. */
function firstNonFinite(values: Float64Array): string | undefined {
  const at = values.findIndex((v) => !Number.isFinite(v));
  return at < 0 ? undefined : `${values[at]} at element ${at}`;
}

function maxAbsDifference(a: Float64Array, b: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function toVanilla(x: ExpectedTensor, values: Float64Array): Float64Array {
  if (x.layout === 'cuda-kernel') return cudaKernelToVanilla(x.heads!, values);
  if (x.layout === 'cuda-bias') return cudaBiasToVanilla(x.heads!, values);
  return values;
}

function fromVanilla(x: ExpectedTensor, values: Float64Array): Float64Array {
  if (x.layout === 'cuda-kernel') return vanillaKernelToCuda(x.heads!, values);
  if (x.layout === 'cuda-bias') return vanillaBiasToCuda(x.heads!, values);
  return values;
}

/**
 * The model's parameters from a parsed checkpoint, as float64 under official names in state_dict
 * order, in the vanilla layout; a tied `lm_head.weight` is not repeated (the embedding serves both).
 * Any dtype of F64/F32/F16/BF16 is accepted. Wrong names or shapes, non-finite values and a tied
 * head that differs from the embedding are UserErrors naming `label` (the file).
 */
export function loadWeights(spec: ModelSpec, contents: SafetensorsContents, label: string): Map<string, Float64Array> {
  const tensors = contents.tensors;
  checkCheckpointFits(
    spec,
    [...tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })),
    label,
  );
  const weights = new Map<string, Float64Array>();
  const problems: string[] = [];
  const nonFinite: string[] = [];
  for (const x of expectedTensors(spec)) {
    const tensor = tensors.get(x.name);
    if (tensor === undefined) continue;
    const values = tensorToFloat64(tensor, `${label}: tensor ${JSON.stringify(x.name)}`);
    const bad = firstNonFinite(values);
    if (bad !== undefined) nonFinite.push(`${x.name}: ${bad}`);
    if (x.tiedTo === undefined) {
      weights.set(x.name, toVanilla(x, values));
      continue;
    }
    const embedding = weights.get(x.tiedTo)!;
    const difference = maxAbsDifference(values, embedding);
    if (difference > 0) {
      problems.push(
        `${x.name} differs from ${x.tiedTo} (max abs difference ${Number(difference.toPrecision(3))}), so the file is for a model with untied weights, ` +
          `but ${spec.name} ties them (tie_weights true)`,
      );
    }
  }
  if (nonFinite.length > 0) problems.unshift(countedList('tensors with NaN or infinite values', nonFinite));
  if (problems.length > 0) throw new UserError(`${label}: ${problems.join('; ')}`);
  return weights;
}

/** `loadWeights` rounded to float32, for the GPU runtime. */
export function loadWeightsF32(spec: ModelSpec, contents: SafetensorsContents, label: string): Map<string, Float32Array> {
  const weights = loadWeights(spec, contents, label);
  return new Map([...weights].map(([name, values]) => [name, Float32Array.from(values)]));
}

/**
 * Float64 tensors under official names in the model's checkpoint layout and shapes (the CUDA layout
 * for sLSTM blocks declared `backend cuda`), from values in the runtime's vanilla layout: what a
 * checkpoint or a gradient file written for this model holds, lined up with the official
 * `state_dict()` / `named_parameters()` of a model built the same way. Keeps the order given.
 */
export function toCheckpointTensors(spec: ModelSpec, values: ReadonlyMap<string, Float64Array>): Map<string, Tensor> {
  const layouts = new Map(expectedTensors(spec).map((x) => [x.name, x]));
  return new Map(
    [...values].map(([name, v]) => {
      const x = layouts.get(name);
      if (x === undefined) throw new Error(`internal: ${name} is not a tensor of model ${spec.name}`);
      return [name, float64Tensor(x.shape, fromVanilla(x, v))];
    }),
  );
}
