import { tensorToFloat64 } from '../../runtime/io/safetensors.js';
import { readSafetensorsFile } from '../../runtime/io/safetensors-node.js';

/** Every tensor of a safetensors file as float64 values with its shape. */
export async function readFloatTensors(path: string): Promise<Map<string, { shape: number[]; values: Float64Array }>> {
  const { tensors } = await readSafetensorsFile(path);
  return new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, values: tensorToFloat64(t, name) }]));
}
