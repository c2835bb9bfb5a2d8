/**
 * Training checkpoints on disk: `<stem>.safetensors` (the official state dict; PyTorch loads it
 * as is) and the companion `<stem>.train.safetensors` (Adam's moments + the TrainState as JSON in
 * `__metadata__`). Both carry the save's id, so a pair from different saves is never resumed.
 *
 * Save order, each write atomic (temp file, fsync, rename): the new weights go to
 * `<stem>.pending.safetensors`, then the companion replaces the old one, then the pending weights
 * are renamed over the old weights. A process killed at any moment leaves the previous pair intact,
 * or (between the last two renames) the new companion with the new weights still pending; loading
 * takes the pending weights in that case.
 */
import { rename, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ModelSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write-node.js';
import { loadWeights } from '../io/checkpoint.js';
import { readSafetensorsFile, readSafetensorsHeaderFile } from '../io/safetensors-node.js';
import { safetensorsChunks, type SafetensorsContents } from '../io/safetensors.js';
import type { FloatArray, OptimizerState } from './backend.js';
import { optimizerStateFromTensors, optimizerTensors, stateDictTensors } from './checkpoint-tensors.js';
import { modelConfigHash, parseTrainState, TRAIN_STATE_FORMAT, type TrainState } from './train-state.js';

const SAFETENSORS = '.safetensors';
const ID_KEY = 'xlstm.checkpoint_id';
const STATE_KEY = 'xlstm.train_state';

export interface CheckpointPaths {
  weights: string;
  companion: string;
  pending: string;
  lossCurve: string;
}

/** The files of checkpoint `path`: `run.safetensors` → `run.train.safetensors`, `run.loss.svg`, …. */
export function checkpointPaths(path: string): CheckpointPaths {
  const stem = path.endsWith(SAFETENSORS) ? path.slice(0, -SAFETENSORS.length) : path;
  return {
    weights: path,
    companion: `${stem}.train${SAFETENSORS}`,
    pending: `${stem}.pending${SAFETENSORS}`,
    lossCurve: `${stem}.loss.svg`,
  };
}

export interface TrainCheckpoint {
  /** Trainable tensors by official name, vanilla layout. */
  weights: Map<string, FloatArray>;
  optimizer: OptimizerState;
  state: TrainState;
}

/** Saves weights, moments and state as one checkpoint (see the module comment for the order). */
export async function saveTrainCheckpoint(path: string, spec: ModelSpec, dtype: 'F32' | 'F64', checkpoint: TrainCheckpoint): Promise<void> {
  const paths = checkpointPaths(path);
  const { state } = checkpoint;
  const weightsMetadata = { format: 'pt', [ID_KEY]: state.checkpointId, 'xlstm.model': spec.name, 'xlstm.step': String(state.step) };
  await writeFileAtomic(paths.pending, safetensorsChunks(stateDictTensors(spec, checkpoint.weights, dtype), weightsMetadata));
  const companionMetadata = { format: TRAIN_STATE_FORMAT, [ID_KEY]: state.checkpointId, [STATE_KEY]: JSON.stringify(state) };
  await writeFileAtomic(paths.companion, safetensorsChunks(optimizerTensors(spec, checkpoint.optimizer, dtype), companionMetadata));
  try {
    await rename(paths.pending, paths.weights);
  } catch (e) {
    throw new UserError(`${paths.weights}: cannot write: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  await syncDirectory(dirname(path));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close().catch(() => undefined);
}

async function checkpointIdOf(path: string): Promise<string | undefined> {
  return (await readSafetensorsHeaderFile(path)).metadata[ID_KEY];
}

/** The weights file that belongs to the companion's save: the weights, or pending weights a crash left behind. */
async function matchingWeightsFile(paths: CheckpointPaths, id: string): Promise<string> {
  const found = await checkpointIdOf(paths.weights).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if ('value' in found && found.value === id) return paths.weights;
  const pending = await checkpointIdOf(paths.pending).catch(() => undefined);
  if (pending === id) return paths.pending;
  if ('error' in found) throw found.error;
  const which = found.value === undefined ? 'has no checkpoint id (not written by xlstm train?)' : `is from another save (${found.value})`;
  throw new UserError(
    `${paths.weights} ${which}, but ${paths.companion} is from save ${id}: the two files do not belong together, so the run cannot resume exactly`,
  );
}

/**
 * Reads a checkpoint for `spec`: the companion first (a weights-only file, e.g. an official
 * checkpoint, has none), then the weights of the same save. Refuses a checkpoint of another
 * architecture. `note` says when the weights came from an interrupted save's pending file.
 */
export async function loadTrainCheckpoint(path: string, spec: ModelSpec): Promise<TrainCheckpoint & { note?: string }> {
  const paths = checkpointPaths(path);
  let companion: SafetensorsContents;
  try {
    companion = await readSafetensorsFile(paths.companion);
  } catch (e) {
    if (e instanceof UserError && e.message === `${paths.companion}: no such file`) {
      throw new UserError(`${path}: cannot resume: its training state ${paths.companion} does not exist (only checkpoints written by xlstm train can be resumed)`);
    }
    throw e;
  }
  const { metadata } = companion;
  if (metadata.format !== TRAIN_STATE_FORMAT || metadata[STATE_KEY] === undefined || metadata[ID_KEY] === undefined) {
    throw new UserError(`${paths.companion}: not an xlstm training-state file (format ${JSON.stringify(metadata.format ?? null)})`);
  }
  const state = parseTrainState(metadata[STATE_KEY], paths.companion);
  if (state.checkpointId !== metadata[ID_KEY]) throw new UserError(`${paths.companion}: its checkpoint ids disagree; the file is damaged`);
  const hash = modelConfigHash(spec);
  if (state.configHash !== hash) {
    throw new UserError(`${path}: was trained for another architecture (model ${state.model}, config hash ${state.configHash}) than ${spec.name} (${hash}); it cannot resume`);
  }
  const weightsFile = await matchingWeightsFile(paths, state.checkpointId);
  const weights = loadWeights(spec, await readSafetensorsFile(weightsFile), weightsFile);
  const optimizer = optimizerStateFromTensors(spec, companion, paths.companion);
  const loaded = { weights, optimizer, state };
  return weightsFile === paths.weights ? loaded : { ...loaded, note: `the save of step ${state.step} was interrupted before its last rename; resuming from ${paths.pending}` };
}
