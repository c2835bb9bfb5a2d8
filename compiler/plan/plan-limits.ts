import { BYTES_PER_ELEMENT } from '../kernels/kernel.js';
import type { ForwardPlan } from './plan-types.js';

/** A WebGPU limit a plan needs at least, and what needs it most. */
export interface LimitNeed {
  limit: string;
  need: number;
  why: string;
}

/**
 * The device limits a plan depends on (kernel generators already kept within the target's; these
 * are what its buffers and launches add): the largest buffer, the largest single binding, the most
 * storage bindings of one kernel, the largest workgroup and the widest dispatch.
 */
export function planLimitNeeds(plan: Pick<ForwardPlan, 'buffers' | 'steps'>): LimitNeed[] {
  const needs = new Map<string, LimitNeed>();
  const note = (limit: string, need: number, why: string) => {
    if (need > (needs.get(limit)?.need ?? -Infinity)) needs.set(limit, { limit, need, why });
  };
  for (const b of plan.buffers) note('maxBufferSize', b.elements * BYTES_PER_ELEMENT[b.type], `buffer ${b.name}`);
  for (const s of plan.steps) {
    const k = s.kernel;
    for (const b of k.bindings) note('maxStorageBufferBindingSize', b.elements * BYTES_PER_ELEMENT[b.type], `${k.name} binding ${b.name}`);
    note('maxStorageBuffersPerShaderStage', k.bindings.length, k.name);
    note('maxComputeInvocationsPerWorkgroup', k.workgroupSize[0] * k.workgroupSize[1] * k.workgroupSize[2], k.name);
    note('maxComputeWorkgroupsPerDimension', Math.max(...k.dispatch), k.name);
  }
  return [...needs.values()];
}

/** The needs a device with these limits does not meet. */
export function unmetLimitNeeds(plan: Pick<ForwardPlan, 'buffers' | 'steps'>, limits: Readonly<Record<string, number>>): LimitNeed[] {
  return planLimitNeeds(plan).filter((n) => n.need > (limits[n.limit] ?? 0));
}
