import type { ModelSpec } from '../../compiler/spec.js';
import { referenceForward } from '../reference/index.js';
import type { LogitsFunction } from './run-task.js';

/** Evaluation logits from the float64 reference forward, whatever precision the weights were trained in. */
export function referenceLogits(spec: ModelSpec): LogitsFunction {
  return async (weights, batch) => {
    const f64 = new Map([...weights].map(([name, w]) => [name, w instanceof Float64Array ? w : Float64Array.from(w)]));
    return referenceForward(spec, f64, batch.inputs, batch.batch, batch.time).logits;
  };
}
