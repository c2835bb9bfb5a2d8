import type { LogicalBuffer } from './plan-builder.js';
import type { BufferSpec, PlanStep } from './plan-types.js';

/** Kinds whose buffers live only within a run and can be shared once their last reader is done. */
const POOLED = new Set<BufferSpec['kind']>(['activation', 'scratch']);

interface Slot {
  spec: BufferSpec;
  /** Index of the last step using what the slot holds now. */
  busyUntil: number;
}

/**
 * Gives the activations and scratch of a run physical buffers by interval allocation: each value
 * lives from the first to the last step binding it (inclusive, so no step ever binds two values of
 * one buffer), values are placed in order of first use, each into the smallest free buffer that
 * holds it, else the largest free one (grown), else a new one. Other buffers keep their names.
 * Returns the physical buffers and the steps rebound to them.
 */
export function allocateBuffers(logical: ReadonlyMap<string, LogicalBuffer>, steps: readonly PlanStep[]): { buffers: BufferSpec[]; steps: PlanStep[] } {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  steps.forEach((step, at) => {
    for (const name of Object.values(step.tensors)) {
      if (!logical.has(name)) throw new Error(`plan: step ${step.kernel.name} binds unknown buffer ${name}`);
      if (!first.has(name)) first.set(name, at);
      last.set(name, at);
    }
  });

  const physical = new Map<string, string>();
  const fixed: BufferSpec[] = [];
  const slots: Slot[] = [];
  const pooled = [...logical.values()].filter((b) => POOLED.has(b.kind) && first.has(b.name));
  pooled.sort((a, b) => first.get(a.name)! - first.get(b.name)! || a.name.localeCompare(b.name));
  for (const b of logical.values()) {
    if (POOLED.has(b.kind) || !first.has(b.name)) continue;
    fixed.push({ name: b.name, elements: b.elements, type: b.type, kind: b.kind, holds: [b.name] });
    physical.set(b.name, b.name);
  }
  for (const b of pooled) {
    const start = first.get(b.name)!;
    const free = slots.filter((s) => s.busyUntil < start && s.spec.type === b.type);
    const fits = free.filter((s) => s.spec.elements >= b.elements).sort((x, y) => x.spec.elements - y.spec.elements);
    const largest = [...free].sort((x, y) => y.spec.elements - x.spec.elements)[0];
    let slot = fits[0] ?? largest;
    if (slot === undefined) {
      slot = { spec: { name: `pool.${slots.length}`, elements: 0, type: b.type, kind: 'scratch', holds: [] }, busyUntil: -1 };
      slots.push(slot);
    }
    slot.spec.elements = Math.max(slot.spec.elements, b.elements);
    slot.spec.holds.push(b.name);
    if (b.kind === 'activation') slot.spec.kind = 'activation';
    slot.busyUntil = last.get(b.name)!;
    physical.set(b.name, slot.spec.name);
  }
  const rebound = steps.map((s) => ({ ...s, tensors: Object.fromEntries(Object.entries(s.tensors).map(([k, v]) => [k, physical.get(v)!])) }));
  return { buffers: [...fixed, ...slots.map((s) => s.spec)], steps: rebound };
}
