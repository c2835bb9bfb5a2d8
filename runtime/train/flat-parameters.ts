import type { ParameterLayout } from '../../compiler/plan/parameter-slots.js';
import type { FloatArray } from './backend.js';

/**
 * Tensors by official name ↔ one flat f32 array in a `ParameterLayout` (parameters, gradients and
 * AdamW moments share the layout). Padding between slots is zero.
 */
export function flattenTensors(layout: ParameterLayout, tensors: ReadonlyMap<string, FloatArray>, what: string): Float32Array {
  const flat = new Float32Array(layout.elements);
  for (const s of layout.slots) {
    const t = tensors.get(s.name);
    if (t === undefined || t.length !== s.elements) throw new Error(`internal: ${what} of ${s.name} is missing or mis-sized`);
    flat.set(t, s.offset);
  }
  return flat;
}

/** The slots of a flat array as tensors (copies), in the layout's (`named_parameters()`) order. */
export function unflattenTensors(layout: ParameterLayout, flat: Float32Array): Map<string, Float32Array> {
  return new Map(layout.slots.map((s) => [s.name, flat.slice(s.offset, s.offset + s.elements)]));
}
