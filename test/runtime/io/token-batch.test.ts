import { describe, expect, it } from 'vitest';
import { readInputsAndTargets, tokenBatchFromTensor } from '../../../runtime/io/token-batch.js';
import { float32Tensor, type Tensor } from '../../../runtime/io/safetensors.js';

function i64(shape: number[], values: number[]): Tensor {
  return { dtype: 'I64', shape, data: BigInt64Array.from(values, BigInt) };
}

function file(entries: [string, Tensor][]) {
  return { tensors: new Map(entries), metadata: {} };
}

describe('token batches', () => {
  it('reads I64, I32 and U8 ids with their [batch, time] shape', () => {
    expect(tokenBatchFromTensor(i64([2, 3], [0, 1, 2, 3, 4, 0]), 5, 'x')).toEqual({ ids: Int32Array.from([0, 1, 2, 3, 4, 0]), batch: 2, time: 3 });
    expect(tokenBatchFromTensor({ dtype: 'I32', shape: [1, 2], data: Int32Array.from([4, 1]) }, 5, 'x').ids).toEqual(Int32Array.from([4, 1]));
    expect(tokenBatchFromTensor({ dtype: 'U8', shape: [1, 1], data: Uint8Array.from([3]) }, 5, 'x').ids).toEqual(Int32Array.from([3]));
  });

  it('names the first id outside the vocabulary by its [b, t] position', () => {
    expect(() => tokenBatchFromTensor(i64([2, 3], [0, 1, 2, 3, 7, 9]), 5, 'in: tensor "inputs"')).toThrow(
      'in: tensor "inputs": token id 7 at [1,1] is not below the vocabulary size (vocab 5: ids 0..4)',
    );
    expect(() => tokenBatchFromTensor(i64([2, 2], [0, -3, 2, 3]), 5, 'x')).toThrow('x: token id -3 at [0,1] is negative (vocab 5: ids 0..4)');
    // beyond the int32 range is still just out of range
    expect(() => tokenBatchFromTensor(i64([1, 1], [2 ** 40]), 5, 'x')).toThrow(`x: token id ${2 ** 40} at [0,0] is not below`);
  });

  it('refuses float and bool ids, other ranks and empty batches', () => {
    expect(() => tokenBatchFromTensor(float32Tensor([1, 2]), 5, 'x')).toThrow('x: token ids must be integers (I64, I32, ...), got F32');
    expect(() => tokenBatchFromTensor({ dtype: 'BOOL', shape: [1, 1], data: new Uint8Array(1) }, 5, 'x')).toThrow('got BOOL');
    expect(() => tokenBatchFromTensor(i64([3], [0, 1, 2]), 5, 'x')).toThrow('x: expected shape [batch, time], got [3]');
    expect(() => tokenBatchFromTensor(i64([1, 1, 2], [0, 1]), 5, 'x')).toThrow('got [1,1,2]');
    expect(() => tokenBatchFromTensor(i64([2, 0], []), 5, 'x')).toThrow('x: holds no tokens (shape [2,0])');
  });

  it('takes inputs and optional same-shape targets, ignoring other tensors', () => {
    const inputs = i64([1, 2], [1, 2]);
    expect(readInputsAndTargets(file([['logits', float32Tensor([1])], ['inputs', inputs]]), 5, 'f').targets).toBeUndefined();
    const both = readInputsAndTargets(file([['inputs', inputs], ['targets', i64([1, 2], [2, 3])]]), 5, 'f');
    expect(both.targets?.ids).toEqual(Int32Array.from([2, 3]));
    expect(() => readInputsAndTargets(file([['inputs', inputs], ['targets', i64([2, 1], [2, 3])]]), 5, 'f')).toThrow(
      'f: tensor "targets": shape [2,1] does not match inputs [1,2]',
    );
    expect(() => readInputsAndTargets(file([['inputs', inputs], ['targets', i64([1, 2], [2, 5])]]), 5, 'f')).toThrow(
      'f: tensor "targets": token id 5 at [0,1]',
    );
    expect(() => readInputsAndTargets(file([['tokens', inputs]]), 5, 'f')).toThrow('f: no tensor "inputs" (token ids [batch, time]); it holds tokens');
    expect(() => readInputsAndTargets(file([]), 5, 'f')).toThrow('it holds no tensors');
  });
});
