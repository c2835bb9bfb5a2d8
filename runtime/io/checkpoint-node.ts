/** Checkpoint files on disk (Node): names and shapes are checked from the header before any data is read. */
import type { ModelSpec } from '../../compiler/spec.js';
import { checkCheckpointFits, loadWeights, loadWeightsF32 } from './checkpoint.js';
import { readSafetensorsFile, readSafetensorsHeaderFile } from './safetensors-node.js';
import type { SafetensorsContents } from './safetensors.js';

/** Reads a checkpoint that the header says fits the model, so a wrong multi-gigabyte file fails fast. */
async function readFittingCheckpoint(spec: ModelSpec, path: string): Promise<SafetensorsContents> {
  const header = await readSafetensorsHeaderFile(path);
  checkCheckpointFits(spec, header.tensors, path);
  return readSafetensorsFile(path);
}

/** `loadWeights` from a file: float64 parameters under official names, vanilla layout; errors name `path`. */
export async function readWeightsFile(spec: ModelSpec, path: string): Promise<Map<string, Float64Array>> {
  return loadWeights(spec, await readFittingCheckpoint(spec, path), path);
}

/** `loadWeightsF32` from a file. */
export async function readWeightsFileF32(spec: ModelSpec, path: string): Promise<Map<string, Float32Array>> {
  return loadWeightsF32(spec, await readFittingCheckpoint(spec, path), path);
}
