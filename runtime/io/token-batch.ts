/**
 * Token-id matrices ([batch, time] integer tensors, e.g. `inputs` and `targets` saved from PyTorch)
 * read from safetensors contents, with errors that point at the offending position.
 */
import { UserError } from '../errors.js';
import { shapeText } from './shape-text.js';
import { describeTensor, type SafetensorsContents, type Tensor } from './safetensors.js';

export interface TokenBatch {
  /** Row-major [batch, time]. */
  ids: Int32Array;
  batch: number;
  time: number;
}

const INTEGER_DTYPES = new Set(['I64', 'U64', 'I32', 'U32', 'I16', 'U16', 'I8', 'U8']);


/** The ids of an integer [B, T] tensor, each checked to lie in [0, vocabSize). */
export function tokenBatchFromTensor(tensor: Tensor, vocabSize: number, where: string): TokenBatch {
  if (!INTEGER_DTYPES.has(tensor.dtype)) throw new UserError(`${where}: token ids must be integers (I64, I32, ...), got ${tensor.dtype}`);
  if (tensor.shape.length !== 2) throw new UserError(`${where}: expected shape [batch, time], got ${shapeText(tensor.shape)}`);
  const [batch, time] = tensor.shape as [number, number];
  if (batch === 0 || time === 0) throw new UserError(`${where}: holds no tokens (shape ${shapeText(tensor.shape)})`);
  const raw = tensor.data as ArrayLike<number | bigint>;
  const ids = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const id = raw[i]!;
    if (id < 0 || id >= vocabSize) {
      const why = id < 0 ? 'is negative' : 'is not below the vocabulary size';
      throw new UserError(`${where}: token id ${id} at [${Math.floor(i / time)},${i % time}] ${why} (vocab ${vocabSize}: ids 0..${vocabSize - 1})`);
    }
    ids[i] = Number(id);
  }
  return { ids, batch, time };
}

/** `inputs` (required) and `targets` (optional, same shape) from a file's tensors; other tensors are ignored. */
export function readInputsAndTargets(
  contents: SafetensorsContents,
  vocabSize: number,
  label: string,
): { inputs: TokenBatch; targets?: TokenBatch } {
  const inputsTensor = contents.tensors.get('inputs');
  if (inputsTensor === undefined) {
    const names = [...contents.tensors.keys()];
    const held = names.length === 0 ? 'it holds no tensors' : `it holds ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}`;
    throw new UserError(`${label}: no tensor "inputs" (token ids [batch, time]); ${held}`);
  }
  const inputs = tokenBatchFromTensor(inputsTensor, vocabSize, describeTensor(label, 'inputs'));
  const targetsTensor = contents.tensors.get('targets');
  if (targetsTensor === undefined) return { inputs };
  const where = describeTensor(label, 'targets');
  if (targetsTensor.shape.length !== 2 || targetsTensor.shape[0] !== inputs.batch || targetsTensor.shape[1] !== inputs.time) {
    throw new UserError(`${where}: shape ${shapeText(targetsTensor.shape)} does not match inputs ${shapeText([inputs.batch, inputs.time])}`);
  }
  return { inputs, targets: tokenBatchFromTensor(targetsTensor, vocabSize, where) };
}
