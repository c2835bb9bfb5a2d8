/// <reference types="@webgpu/types" preserve="true" />
/**
 * The runtime's browser-safe entry (`xlstm-dsl/runtime`): what generated modules and their users
 * need, with no Node module anywhere in its import graph. Node adds device acquisition through npm
 * `webgpu` and checkpoint files by path in `xlstm-dsl/runtime/node` (node.ts), which re-exports
 * all of this.
 */
export { ConfiguredModel, XlstmModel, type CreateOptions, type DeviceOptions, type GenerateOptions, type LoadOptions, type Logits, type ModelParts } from './xlstm-model.js';
export { browserHost, type DeviceMode, type ModelHost } from './model-host.js';
export { specOfConfig, type DeepReadonly, type ModelConfig } from './model-config.js';
export { weightsFromBytes, weightsFromMap, type WeightsSource } from './weights-source.js';
export { toTokenBatch, type TokenInput } from './token-input.js';
export { checkSampling, type SamplingOptions } from './generate/sampling.js';
export { generateTokens } from './generate/generate-tokens.js';
export { WebGpuModel, type WebGpuModelOptions } from './model/webgpu-model.js';
export type { ModelState } from './model/model-state.js';
export { acquireDevice, kernelTargetOf, type AcquireOptions, type XlstmDevice } from './device.js';
export { initializeParameters } from './init.js';
export { Rng } from './random.js';
export { UserError } from './errors.js';
export { parseSafetensors, serializeSafetensors, type Tensor } from './io/safetensors.js';
export type { TokenBatch } from './io/token-batch.js';
export type { ModelSpec } from '../compiler/spec.js';
