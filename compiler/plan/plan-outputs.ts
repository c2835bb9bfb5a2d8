import type { IrOpOf } from '../ir/types.js';
import { crossEntropyKernels } from '../kernels/cross-entropy.js';
import { sampleTokenKernel } from '../kernels/sample-token.js';
import type { PlanBuilder } from './plan-builder.js';

/** The mean cross-entropy into the `loss` output, when the plan computes the loss; else nothing. */
export function planCrossEntropy(p: PlanBuilder, op: IrOpOf<'cross_entropy'>): void {
  if (!p.options.loss) return;
  const rows = op.attrs.count;
  const kernels = crossEntropyKernels({ rows, vocab: op.attrs.vocabSize, name: 'cross_entropy' }, p.options.target);
  const tensors = {
    logits: p.contiguous(p.value(op, 0), op.source),
    targets: p.declare('targets', rows, 'i32', 'input'),
    loss: p.declare('loss', 1, 'f32', 'output'),
  };
  p.emit(kernels, tensors, op.source);
}

/** One token per sequence drawn from the logits on the device (temperature, top-k, top-p set per run). */
export function planSampling(p: PlanBuilder): void {
  if (p.time !== 1) throw new Error(`plan: sampling needs one position per sequence, not ${p.time}`);
  const V = p.ir.values[p.ir.outputs.logits]!.type.shape[2]!;
  const kernel = sampleTokenKernel({ batch: p.batch, vocab: V, name: 'sample_token' }, p.options.target);
  const tensors = {
    logits: p.contiguous(p.ir.outputs.logits, 'sampling'),
    draws: p.declare('draws', p.batch, 'f32', 'input'),
    token: p.declare('token', p.batch, 'i32', 'output'),
  };
  p.emit([kernel], tensors, 'next token sampled from the logits', { runUniforms: kernel.uniforms!.map((u) => u.name) });
}
