import type { ModelSpec } from '../compiler/spec.js';

/** `T` with every property and array read-only, all the way down (what `as const` produces). */
export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * A resolved model as a generated module holds it: the checker's `ModelSpec` without its source
 * span, written as an `as const` literal so every value has its literal type (`vocabSize: 256`).
 */
export type ModelConfig = DeepReadonly<Omit<ModelSpec, 'source'>>;

/** A mutable ModelSpec of its own for the runtime's planners (the config stays untouched). */
export function specOfConfig(config: ModelConfig): ModelSpec {
  return structuredClone(config) as ModelSpec;
}
