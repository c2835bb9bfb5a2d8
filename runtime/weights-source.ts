import { numElements, parameterSpecs } from '../compiler/params.js';
import type { ModelSpec } from '../compiler/spec.js';
import { UserError } from './errors.js';
import { loadWeightsF32 } from './io/checkpoint.js';
import { parseSafetensors } from './io/safetensors.js';
import { shapeText } from './io/shape-text.js';

/**
 * Weights to load: a checkpoint's location (a path in Node, a URL in a browser; read by the model's
 * host), the bytes of a .safetensors checkpoint, or values by official parameter name (row-major,
 * vanilla sLSTM layout, as `initializeParameters` and the reference executor use).
 */
export type WeightsSource = string | Uint8Array | ReadonlyMap<string, Float32Array | Float64Array>;

/** float32 weights under official names from checkpoint bytes: every name and shape checked (see checkpoint.ts). */
export function weightsFromBytes(spec: ModelSpec, bytes: Uint8Array, label: string): Map<string, Float32Array> {
  return loadWeightsF32(spec, parseSafetensors(bytes, label), label);
}

/**
 * float32 weights from values by name: every parameter present with its element count, no unknown
 * names (a misspelt name would otherwise be ignored silently), all values finite. A tied
 * `lm_head.weight` may be left out. All problems in one UserError.
 */
export function weightsFromMap(spec: ModelSpec, values: ReadonlyMap<string, Float32Array | Float64Array>): Map<string, Float32Array> {
  const problems: string[] = [];
  const out = new Map<string, Float32Array>();
  const specs = parameterSpecs(spec);
  for (const p of specs) {
    const v = values.get(p.name);
    if (p.tiedTo !== undefined) continue;
    if (v === undefined) {
      problems.push(`missing ${p.name} ${shapeText(p.shape)}`);
    } else if (v.length !== numElements(p.shape)) {
      problems.push(`${p.name} has ${v.length} values, its shape ${shapeText(p.shape)} needs ${numElements(p.shape)}`);
    } else if (!v.every(Number.isFinite)) {
      problems.push(`${p.name} holds NaN or infinite values`);
    } else {
      out.set(p.name, v instanceof Float32Array ? v : Float32Array.from(v));
    }
  }
  const known = new Set(specs.map((p) => p.name));
  const unknown = [...values.keys()].filter((name) => !known.has(name));
  if (unknown.length > 0) problems.push(`not a parameter of ${spec.name}: ${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''}`);
  if (problems.length > 0) throw new UserError(`weights: ${problems.join('; ')}`);
  return out;
}
