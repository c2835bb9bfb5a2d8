import { numElements, parameterSpecs } from '../params.js';
import type { ModelSpec } from '../spec.js';

/**
 * Where each trainable parameter lives in the flat buffers a training step keeps on the device
 * (parameters, gradients, AdamW's two moments: one layout for all four). Kernels bind each parameter
 * as a view of the flat buffer and AdamW and the gradient norm bind the whole buffer, so one fused
 * update serves every tensor. A view must start on the device's storage-offset alignment (256 bytes
 * = 64 values on every WebGPU device), so slots are padded to it; padding holds zero gradients, which
 * leave the norm and the update of the padding untouched.
 */
export interface ParameterSlot {
  /** Official name (`named_parameters()` order; a tied `lm_head.weight` has no slot). */
  name: string;
  shape: number[];
  elements: number;
  /** First value in the flat buffers. */
  offset: number;
  /** In the official weight-decay group. */
  decay: boolean;
}

export interface ParameterLayout {
  slots: ParameterSlot[];
  /** Values in each flat buffer, padding included (a multiple of the alignment). */
  elements: number;
}

/** Values per storage-offset alignment unit (256 bytes of f32). */
export const SLOT_ALIGNMENT = 64;

export function parameterLayout(spec: ModelSpec): ParameterLayout {
  let offset = 0;
  const slots = parameterSpecs(spec)
    .filter((p) => p.tiedTo === undefined)
    .map((p) => {
      const elements = numElements(p.shape);
      const slot = { name: p.name, shape: p.shape, elements, offset, decay: p.decay };
      offset += Math.ceil(elements / SLOT_ALIGNMENT) * SLOT_ALIGNMENT;
      return slot;
    });
  return { slots, elements: offset };
}

/** The plan's buffer name of a parameter's gradient (a view of the flat gradient buffer). */
export function gradientBufferName(parameter: string): string {
  return `grad:${parameter}`;
}
