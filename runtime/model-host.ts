import type { ModelSpec } from '../compiler/spec.js';
import { acquireDevice, type XlstmDevice } from './device.js';
import { UserError } from './errors.js';
import type { Tensor } from './io/safetensors.js';
import { weightsFromBytes } from './weights-source.js';

/** Which WebGPU backend a host asks for; a browser has one, Node has several (device-node.ts). */
export type DeviceMode = 'auto' | 'native' | 'cpu-gl';

/**
 * What a model needs from where it runs: a device, and checkpoints by location. Generated modules
 * pass `browserHost` (this file) or `nodeHost` (model-host-node.ts), so the model class itself
 * works in both.
 */
export interface ModelHost {
  acquireDevice(mode: DeviceMode): Promise<XlstmDevice>;
  /** float32 weights under official names from the checkpoint at `location`, checked against `spec`. */
  readWeights(spec: ModelSpec, location: string): Promise<Map<string, Float32Array>>;
  /** Writes a checkpoint (official names, the model's checkpoint layout) to `location`. */
  writeWeights(location: string, tensors: Map<string, Tensor>, metadata: Record<string, string>): Promise<void>;
}

/** `navigator.gpu`, checkpoints fetched by URL; saving to a location is not possible (use `toSafetensors`). */
export const browserHost: ModelHost = {
  async acquireDevice() {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (gpu === undefined) throw new UserError('this browser has no WebGPU (navigator.gpu is missing); pass a device, or use the Node module');
    return acquireDevice(gpu, { backend: 'browser' });
  },
  async readWeights(spec, location) {
    let response: Response;
    try {
      response = await fetch(location);
    } catch (e) {
      throw new UserError(`${location}: cannot fetch (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!response.ok) throw new UserError(`${location}: cannot fetch (HTTP ${response.status})`);
    return weightsFromBytes(spec, new Uint8Array(await response.arrayBuffer()), location);
  },
  async writeWeights(location) {
    throw new UserError(`${location}: a browser cannot save to a path; use model.toSafetensors() and save the bytes yourself`);
  },
};
