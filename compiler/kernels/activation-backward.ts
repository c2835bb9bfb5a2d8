import type { Activation } from '../spec.js';
import { activationGradWgsl } from './activation-grad.js';
import type { KernelSpec, KernelTarget } from './kernel.js';
import { assignOp } from './loop-chunks.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * `dx (+)= dy ⊙ act'(pre)`, elementwise over `elements` values, from the activation's input `pre`
 * (which the forward must keep). One invocation per element.
 *
 * Bindings (names overridable): dy, pre, dx [elements].
 */
export interface ActivationBackwardOptions {
  elements: number;
  activation: Activation;
  accumulate?: boolean;
  names?: { dy?: string; pre?: string; dx?: string };
  name?: string;
  source?: string;
}

export function activationBackwardKernel(o: ActivationBackwardOptions, target: KernelTarget): KernelSpec {
  if (!Number.isInteger(o.elements) || o.elements < 1) throw new Error(`activation backward: elements must be a positive integer, got ${o.elements}`);
  const dy = o.names?.dy ?? 'dy';
  const pre = o.names?.pre ?? 'pre';
  const dx = o.names?.dx ?? 'dx';
  const grad = activationGradWgsl(o.activation);
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  return buildKernel(
    {
      name: o.name ?? `activation_backward_${o.activation.replace('^', '')}_${o.elements}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `${dx} ${assignOp(o.accumulate === true)} ${dy} ⊙ ${o.activation}'(${pre}) over ${o.elements} elements`,
      bindings: [
        { name: dy, access: 'read', type: 'f32', elements: o.elements },
        { name: pre, access: 'read', type: 'f32', elements: o.elements },
        { name: dx, access: 'read_write', type: 'f32', elements: o.elements },
      ],
      constants: { TOTAL: u32(o.elements) },
      helpers: grad.helpers,
      workgroupSize: size,
      workgroups: Math.ceil(o.elements / size),
      loopIterations: 0,
      body: ['if (gid >= TOTAL) { return; }', `let p = ${pre}[gid];`, `${dx}[gid] ${assignOp(o.accumulate === true)} ${dy}[gid] * ${grad.apply('p')};`],
    },
    target,
  );
}
