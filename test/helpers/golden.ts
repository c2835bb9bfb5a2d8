/**
 * The golden cases (official PyTorch model in float64, see test/fixtures/golden/README.md) loaded as
 * float64 arrays under official names, with the ModelSpec of each case.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { specFromOfficialConfig } from '../../compiler/interop/from-official.js';
import type { ModelSpec } from '../../compiler/spec.js';
import { tensorToFloat64, tensorToInt32, type Tensor } from '../../runtime/io/safetensors.js';
import { readSafetensorsFile } from '../../runtime/io/safetensors-node.js';
import { goldenCases } from '../compiler/ir/golden-spec.js';

export interface GoldenData {
  name: string;
  spec: ModelSpec;
  batch: number;
  time: number;
  /** `model.state_dict()`, in state_dict order. */
  weights: Map<string, Float64Array>;
  inputs: Int32Array;
  targets: Int32Array;
  /** Parallel forward [B, T, V]. */
  logits: Float64Array;
  /** Official step API [B, T, V]. */
  logitsStep: Float64Array;
  loss: number;
  /** ∂loss/∂p in `model.named_parameters()` order. */
  grads: Map<string, Float64Array>;
  /** `embedding`, `blocks.{i}.xlstm`, `blocks.{i}`, `post_blocks_norm`, each [B, T, E]. */
  activations: Map<string, Float64Array>;
}

/** Case names: the repository copies, plus mixed_7_1 when ../shared/golden has it. */
export function goldenCaseNames(): string[] {
  return goldenCases().map((c) => c.name);
}

async function readFloat64File(path: string): Promise<Map<string, Float64Array>> {
  const { tensors } = await readSafetensorsFile(path);
  return new Map([...tensors].map(([name, t]) => [name, tensorToFloat64(t, name)]));
}

function required(tensors: Map<string, Tensor>, name: string): Tensor {
  const t = tensors.get(name);
  if (t === undefined) throw new Error(`golden outputs: missing ${name}`);
  return t;
}

/** The case's ModelSpec, imported from its official post-init config as a user's config would be. */
function specOf(name: string, dir: string): ModelSpec {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { official_config: unknown };
  const imported = specFromOfficialConfig(config.official_config, name);
  if (imported.spec === undefined) throw new Error(`golden case ${name}: ${imported.errors.join('; ')}`);
  return imported.spec;
}

export async function loadGoldenCase(name: string): Promise<GoldenData> {
  const c = goldenCases().find((g) => g.name === name);
  if (c === undefined) throw new Error(`no golden case ${name}`);
  const outputs = (await readSafetensorsFile(join(c.dir, 'outputs.safetensors'))).tensors;
  const inputs = required(outputs, 'inputs');
  const [batch, time] = inputs.shape;
  return {
    name,
    spec: specOf(name, c.dir),
    batch,
    time,
    weights: await readFloat64File(join(c.dir, 'weights.safetensors')),
    inputs: tensorToInt32(inputs, 'inputs'),
    targets: tensorToInt32(required(outputs, 'targets'), 'targets'),
    logits: tensorToFloat64(required(outputs, 'logits'), 'logits'),
    logitsStep: tensorToFloat64(required(outputs, 'logits_step'), 'logits_step'),
    loss: tensorToFloat64(required(outputs, 'loss'), 'loss')[0],
    grads: await readFloat64File(join(c.dir, 'grads.safetensors')),
    activations: await readFloat64File(join(c.dir, 'activations.safetensors')),
  };
}
