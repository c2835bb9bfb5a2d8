/**
 * The tensors of a training checkpoint, without Node APIs:
 * - the weights file is the official `model.state_dict()`: every official name in state_dict
 *   order, official shapes and layouts (the CUDA layout for sLSTM blocks declared `backend cuda`),
 *   and, with tied weights, `lm_head.weight` equal to the embedding, as PyTorch saves it; so the
 *   official code loads it with `model.load_state_dict(load_file(path))`;
 * - the companion holds Adam's moments under `exp_avg.<name>` and `exp_avg_sq.<name>` (torch's
 *   state keys), in the same layouts, for the trainable tensors only.
 * Both are written in the backend's precision (F64 for the reference, F32 on the GPU).
 */
import { parameterSpecs } from '../../compiler/params.js';
import type { ModelSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';
import { loadWeights, toCheckpointTensors } from '../io/checkpoint.js';
import { float32Tensor, type SafetensorsContents, type Tensor } from '../io/safetensors.js';
import type { FloatArray, OptimizerState } from './backend.js';

export const EXP_AVG_PREFIX = 'exp_avg.';
export const EXP_AVG_SQ_PREFIX = 'exp_avg_sq.';

function inDtype(tensors: Map<string, Tensor>, dtype: 'F32' | 'F64', prefix = ''): [string, Tensor][] {
  return [...tensors].map(([name, t]) => [prefix + name, dtype === 'F64' ? t : float32Tensor(t.shape, t.data as Float64Array)]);
}

function asFloat64(values: ReadonlyMap<string, FloatArray>, names: readonly string[]): Map<string, Float64Array> {
  return new Map(
    names.map((name) => {
      const v = values.get(name);
      if (v === undefined) throw new Error(`internal: no values for ${name}`);
      return [name, v instanceof Float64Array ? v : Float64Array.from(v)];
    }),
  );
}

/** The official state dict from the trainable tensors (vanilla layout); a tied head repeats the embedding. */
export function stateDictTensors(spec: ModelSpec, weights: ReadonlyMap<string, FloatArray>, dtype: 'F32' | 'F64'): [string, Tensor][] {
  const specs = parameterSpecs(spec);
  const values = asFloat64(weights, specs.map((p) => p.tiedTo ?? p.name));
  const ordered = new Map(specs.map((p) => [p.name, values.get(p.tiedTo ?? p.name)!]));
  return inDtype(toCheckpointTensors(spec, ordered), dtype);
}

/** The moments as companion tensors: all `exp_avg.*`, then all `exp_avg_sq.*`, each in named_parameters order. */
export function optimizerTensors(spec: ModelSpec, state: OptimizerState, dtype: 'F32' | 'F64'): [string, Tensor][] {
  const names = parameterSpecs(spec).filter((p) => p.tiedTo === undefined).map((p) => p.name);
  return [
    ...inDtype(toCheckpointTensors(spec, asFloat64(state.expAvg, names)), dtype, EXP_AVG_PREFIX),
    ...inDtype(toCheckpointTensors(spec, asFloat64(state.expAvgSq, names)), dtype, EXP_AVG_SQ_PREFIX),
  ];
}

/**
 * Adam's moments from a companion file's tensors, checked like weights (every name, shape, finite
 * values) and converted to the vanilla layout; anything besides the two prefixed groups is refused.
 */
export function optimizerStateFromTensors(spec: ModelSpec, contents: SafetensorsContents, label: string): OptimizerState {
  const group = (prefix: string) => ({
    tensors: new Map([...contents.tensors].filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name.slice(prefix.length), t])),
    metadata: {},
  });
  const stray = [...contents.tensors.keys()].find((name) => !name.startsWith(EXP_AVG_PREFIX) && !name.startsWith(EXP_AVG_SQ_PREFIX));
  if (stray !== undefined) throw new UserError(`${label}: unexpected tensor ${JSON.stringify(stray)} in a training-state file`);
  return {
    expAvg: loadWeights(spec, group(EXP_AVG_PREFIX), `${label} (${EXP_AVG_PREFIX}*)`),
    expAvgSq: loadWeights(spec, group(EXP_AVG_SQ_PREFIX), `${label} (${EXP_AVG_SQ_PREFIX}*)`),
  };
}
