/**
 * Test helper: runs an IR module's forward pass in float64 with the reference ops, one IR op at a
 * time, so the IR can be compared with the golden logits, loss and activations. Dropout is the
 * identity (inference).
 */
import type { IrModule, IrOp, ActivationKind } from '../../../compiler/ir/types.js';
import { gelu, relu, reluSquared, selu, sigmoid, silu } from '../../../runtime/reference/ops/activations.js';
import { causalConv1dForward } from '../../../runtime/reference/ops/causal-conv1d.js';
import { concatColumns, splitColumns } from '../../../runtime/reference/ops/columns.js';
import { crossEntropyForward } from '../../../runtime/reference/ops/cross-entropy.js';
import { embeddingForward } from '../../../runtime/reference/ops/embedding.js';
import { headwiseForward } from '../../../runtime/reference/ops/headwise.js';
import { linearForward } from '../../../runtime/reference/ops/linear.js';
import { mlstmChunkwiseForward } from '../../../runtime/reference/ops/mlstm-chunkwise.js';
import { mlstmParallelForward } from '../../../runtime/reference/ops/mlstm-parallel.js';
import { mlstmRecurrentForward } from '../../../runtime/reference/ops/mlstm-recurrent.js';
import { multiHeadLayerNormForward } from '../../../runtime/reference/ops/multi-head-layer-norm.js';
import { slstmForward } from '../../../runtime/reference/ops/slstm.js';

const SCALAR: Record<ActivationKind, (x: number) => number> = { silu, gelu, relu, relu2: reluSquared, sigmoid, selu };

type Data = Float64Array | Int32Array;

/** Elementwise with suffix broadcasting: in row-major order the shorter operand simply repeats. */
function elementwise(a: Float64Array, b: Float64Array, f: (x: number, y: number) => number): Float64Array {
  const out = new Float64Array(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = f(a[i % a.length] as number, b[i % b.length] as number);
  return out;
}

export interface Interpreted {
  values: Map<number, Data>;
  loss: number;
}

export function interpretIr(m: IrModule, params: ReadonlyMap<string, Float64Array>, tokens: Int32Array, targets: Int32Array): Interpreted {
  const values = new Map<number, Data>([
    [m.inputs.tokens, tokens],
    [m.inputs.targets, targets],
  ]);
  const B = m.batch;
  const T = m.seqLen;
  const rows = B * T;
  const f64 = (op: IrOp, i: number): Float64Array => {
    const o = op.inputs[i];
    const v = o === undefined ? undefined : o.kind === 'param' ? params.get(o.name) : values.get(o.id);
    if (!(v instanceof Float64Array)) throw new Error(`${op.source}: operand ${i} has no float64 data`);
    return v;
  };
  const optional = (op: IrOp, i: number): Float64Array | null => (op.inputs.length > i ? f64(op, i) : null);
  let loss = Number.NaN;
  for (const op of m.ops) {
    let out: Data[];
    switch (op.op) {
      case 'embedding':
        out = [embeddingForward(f64(op, 1), values.get(m.inputs.tokens) as Int32Array, op.attrs.vocabSize, op.attrs.dim)];
        break;
      case 'layer_norm':
        out = [multiHeadLayerNormForward(f64(op, 0), f64(op, 1), { rows, heads: 1, headDim: op.attrs.dim }, op.attrs.eps).y];
        break;
      case 'multihead_layer_norm': {
        const { numHeads: heads, headDim } = op.attrs;
        const weight = optional(op, 1) ?? new Float64Array(heads * headDim);
        out = [multiHeadLayerNormForward(f64(op, 0), weight, { rows, heads, headDim }, op.attrs.eps).y];
        break;
      }
      case 'linear':
        out = [linearForward(f64(op, 0), f64(op, 1), optional(op, 2), rows, op.attrs.inFeatures, op.attrs.outFeatures)];
        break;
      case 'lm_head':
        out = [linearForward(f64(op, 0), f64(op, 1), null, rows, op.attrs.dim, op.attrs.vocabSize)];
        break;
      case 'split':
        out = splitColumns(f64(op, 0), rows, op.attrs.sizes);
        break;
      case 'concat':
        out = [concatColumns(op.inputs.map((_, i) => f64(op, i)), rows, op.attrs.sizes)];
        break;
      case 'causal_conv1d':
        out = [causalConv1dForward(f64(op, 0), f64(op, 1), f64(op, 2), { batch: B, time: T, features: op.attrs.channels, kernel: op.attrs.kernelSize })];
        break;
      case 'activation':
        out = [f64(op, 0).map(SCALAR[op.attrs.kind])];
        break;
      case 'headwise_linear':
        out = [headwiseForward(f64(op, 0), f64(op, 1), optional(op, 2), { rows, blocks: op.attrs.numBlocks, blockSize: op.attrs.blockSize })];
        break;
      case 'mlstm_gates': {
        const x = f64(op, 0);
        const { inFeatures, numHeads } = op.attrs;
        out = [linearForward(x, f64(op, 1), f64(op, 2), rows, inFeatures, numHeads), linearForward(x, f64(op, 3), f64(op, 4), rows, inFeatures, numHeads)];
        break;
      }
      case 'mlstm_cell': {
        const inputs = { q: f64(op, 0), k: f64(op, 1), v: f64(op, 2), igate: f64(op, 3), fgate: f64(op, 4) };
        const dims = { batch: B, time: T, heads: op.attrs.numHeads, headDim: op.attrs.headDim };
        const { form, eps, chunkSize } = op.attrs;
        out = [
          form === 'parallel'
            ? mlstmParallelForward(inputs, dims, eps)
            : form === 'recurrent'
              ? mlstmRecurrentForward(inputs, dims, eps)
              : mlstmChunkwiseForward(inputs, dims, chunkSize as number, eps),
        ];
        break;
      }
      case 'slstm_cell': {
        const E = op.attrs.numHeads * op.attrs.headDim;
        const gates = concatColumns([0, 1, 2, 3].map((i) => f64(op, i)), rows, [E, E, E, E]);
        out = [slstmForward(gates, f64(op, 4), f64(op, 5), { batch: B, time: T, heads: op.attrs.numHeads, headDim: op.attrs.headDim })];
        break;
      }
      case 'mul':
        out = [elementwise(f64(op, 0), f64(op, 1), (x, y) => x * y)];
        break;
      case 'add':
        out = [elementwise(f64(op, 0), f64(op, 1), (x, y) => x + y)];
        break;
      case 'dropout':
        out = [f64(op, 0)];
        break;
      case 'cross_entropy':
        loss = crossEntropyForward(f64(op, 0), values.get(m.inputs.targets) as Int32Array, rows, op.attrs.vocabSize);
        out = [Float64Array.of(loss)];
        break;
    }
    op.outputs.forEach((id, i) => values.set(id, out[i] as Data));
  }
  return { values, loss };
}
