import { bufferLines, dispatchLines, mib, pipelineCount } from './print-plan.js';
import type { TrainPlan } from './train-plan-types.js';

/**
 * A readable listing of a training step (`xlstm compile --emit plan`, training section): shape,
 * dispatches per phase, memory (parameters with gradients and moments, and the peak of what lives
 * within a step), which forward values are stored for the backward and which are recomputed, the
 * buffers, then every dispatch by phase.
 */
export function printTrainPlan(plan: TrainPlan): string {
  const { forward, backward, optimizer } = plan.phases;
  const o = plan.optimizer;
  const flatBytes = 4 * plan.parameters.elements;
  const storedBytes = plan.stored.reduce((n, s) => n + 4 * s.elements, 0);
  const lines = [
    `train plan ${plan.model}: batch ${plan.batch} × ${plan.seqLen} tokens${plan.microBatches > 1 ? `, ${plan.microBatches} micro-batches per step` : ''}; ` +
      `AdamW β (${o.beta1}, ${o.beta2}), eps ${o.eps}, weight decay ${o.weightDecay}, clip ${o.clip ?? 'none'}`,
    `  ${plan.steps.length} dispatches per step (forward ${forward}, backward ${backward}, optimizer ${optimizer}${plan.microBatches > 1 ? `; forward and backward run per micro-batch` : ''}), ${pipelineCount(plan)} pipelines`,
    `  memory: parameters, gradients and AdamW moments 4 × ${mib(flatBytes)} (${plan.parameters.slots.length} tensors, flat, 256-byte aligned); ` +
      `peak activations, their gradients and scratch ${mib(plan.peakActivationBytes)}, of which stored for the backward ${mib(storedBytes)}`,
    'stored (forward values the backward reads):',
    ...plan.stored.map((s) => `  ${s.buffer}  ${s.elements}  ← ${s.readBy.join(', ')}`),
    'recomputed:',
    ...plan.recomputed.map((r) => `  ${r}`),
    'parameters (offset in the flat buffers):',
    ...plan.parameters.slots.map((s) => `  ${String(s.offset).padStart(9)}  ${s.name} [${s.shape.join(', ')}]${s.decay ? '  decay' : ''}`),
    'buffers:',
    ...bufferLines(plan.buffers),
    'forward:',
    ...dispatchLines(plan.steps.slice(0, forward)),
    'backward:',
    ...dispatchLines(plan.steps.slice(forward, forward + backward), forward),
    'optimizer:',
    ...dispatchLines(plan.steps.slice(forward + backward), forward + backward),
  ];
  return lines.join('\n') + '\n';
}
