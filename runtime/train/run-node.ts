/**
 * One training run from the command line's point of view: model, data files, optional resume,
 * checkpoints, step log, progress on stderr and the loss-curve SVG next to the checkpoint.
 */
import { randomBytes } from 'node:crypto';
import { parameterCount } from '../../compiler/params.js';
import type { ModelSpec, TrainSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';
import { initializeParameters } from '../init.js';
import { writeFileAtomic } from '../io/atomic-write-node.js';
import type { TrainBackendFactory } from './backend.js';
import { BatchSampler, validationBatches } from './batch-sampler.js';
import { checkpointPaths, loadTrainCheckpoint, saveTrainCheckpoint, type TrainCheckpoint } from './checkpoint-node.js';
import { readTokenData } from './data-node.js';
import { lossCurveSvg } from './loss-curve-svg.js';
import { createProgressReporter } from './progress-node.js';
import { StepLog } from './step-log-node.js';
import { checkLongEnough, holdOutTail, tokensFingerprint, type TokenArray } from './tokens.js';
import { describeNonFinite, runTraining, type TrainOutcome } from './trainer.js';
import { modelConfigHash, type TrainState } from './train-state.js';

/** Validation looks at up to this many batches' worth of fixed windows. */
const VALIDATION_BATCHES = 4;
/** Without a given interval, evaluate and save about this many times per run. */
const DEFAULT_CHECKS_PER_RUN = 10;
/** Plain (non-terminal) progress prints about this many lines per run. */
const PLAIN_LINES_PER_RUN = 20;

export interface TrainJob {
  spec: ModelSpec;
  /** A file or a directory of files. */
  data: string;
  val?: string;
  out: string;
  resume?: string;
  log?: string;
  /** Seed of the initialisation and the batch sampler (default 0); a resumed run keeps its own. */
  seed?: number;
  /** Settings given on the command line; they override the model's (or the checkpoint's). */
  overrides: Partial<TrainSpec>;
  /** Which command-line flag set each override, for messages. */
  flags?: Partial<Record<keyof TrainSpec, string>>;
  evalEvery?: number;
  saveEvery?: number;
  /** Stop after this step (default: the run's `steps`). */
  until?: number;
  backendName: string;
  backend: TrainBackendFactory;
  /** Where progress and notes go (default process.stderr). */
  progress?: NodeJS.WriteStream;
}

export interface TrainJobResult {
  outcome: Extract<TrainOutcome, { status: 'completed' }>;
  train: TrainSpec;
  startStep: number;
  /** The loss-curve file written next to the checkpoint. */
  lossCurve: string;
}

function settingError(job: TrainJob, key: keyof TrainSpec, message: string): UserError {
  const flag = job.flags?.[key];
  return new UserError(flag === undefined ? message : `${flag}: ${message}`, flag === undefined ? 1 : 2);
}

function checkSettings(job: TrainJob, train: TrainSpec, startStep: number): void {
  const spec = job.spec;
  if (spec.blocks.some((b) => b.kind === 'mlstm') && train.seqLen > spec.contextLength) {
    throw settingError(job, 'seqLen', `sequence length ${train.seqLen} exceeds context ${spec.contextLength} of ${spec.name} (the official mLSTM forward refuses longer sequences)`);
  }
  if (startStep >= train.steps) {
    throw settingError(job, 'steps', `${job.resume} is already at step ${startStep} of ${train.steps}; pass a larger --steps to train further`);
  }
  if (job.until !== undefined && (job.until <= startStep || job.until > train.steps)) {
    throw new UserError(`stop step ${job.until} must lie after step ${startStep} and at most at ${train.steps}`);
  }
}

interface RunData {
  tokens: TokenArray;
  val: TokenArray | null;
  note?: string;
}

function readRunData(job: TrainJob, train: TrainSpec): RunData {
  const windowLength = train.seqLen + 1;
  const all = readTokenData(job.data, job.spec);
  checkLongEnough(all, windowLength, job.data);
  if (job.val !== undefined) {
    const val = readTokenData(job.val, job.spec);
    checkLongEnough(val, windowLength, job.val);
    return { tokens: all, val };
  }
  const split = holdOutTail(all, windowLength);
  if (split.val === null) return { tokens: all, val: null, note: `${job.data} is too short to hold out validation data; training without validation` };
  return { tokens: split.train, val: split.val };
}

export async function runTrainJob(job: TrainJob): Promise<TrainJobResult> {
  const spec = job.spec;
  const stderr = job.progress ?? process.stderr;
  const resumed = job.resume === undefined ? undefined : await loadTrainCheckpoint(job.resume, spec);
  const notes: string[] = [];
  if (resumed?.note !== undefined) notes.push(resumed.note);
  if (resumed !== undefined && job.seed !== undefined && job.seed !== resumed.state.seed) {
    notes.push(`--seed ${job.seed} is ignored: the run resumes with seed ${resumed.state.seed} and the sampler state of ${job.resume}`);
  }
  const train: TrainSpec = { ...(resumed?.state.train ?? spec.train), ...job.overrides };
  const startStep = resumed?.state.step ?? 0;
  checkSettings(job, train, startStep);
  const seed = resumed?.state.seed ?? job.seed ?? 0;
  const data = readRunData(job, train);
  if (data.note !== undefined) notes.push(data.note);
  const fingerprint = tokensFingerprint(data.tokens);
  if (resumed !== undefined && resumed.state.data.fingerprint !== fingerprint) {
    notes.push(`the training data differ from those of ${job.resume} (${resumed.state.data.source}); the run continues on the new data`);
  }
  const until = job.until ?? train.steps;
  const everyDefault = Math.max(1, Math.ceil(train.steps / DEFAULT_CHECKS_PER_RUN));
  const progress = createProgressReporter(stderr, until, Math.max(1, Math.round(train.steps / PLAIN_LINES_PER_RUN)));
  for (const n of notes) progress.note(`xlstm: note: ${n}`);
  const valText = data.val === null ? 'no validation' : `${data.val.length} validation tokens`;
  progress.note(
    `training ${spec.name} (${parameterCount(spec)} parameters) on the ${job.backendName} backend: steps ${startStep + 1}-${until} of ${train.steps}, ` +
      `${train.gradAccum > 1 ? `${train.gradAccum}×` : ''}${train.batch}×${train.seqLen} tokens per step; ${data.tokens.length} training tokens, ${valText}`,
  );

  const backend = await job.backend(spec, resumed?.weights ?? initializeParameters(spec, seed, { dtype: 'f64' }));
  const log = job.log === undefined ? undefined : StepLog.open(job.log, resumed !== undefined);
  const paths = checkpointPaths(job.out);
  const runId = resumed?.state.runId ?? randomBytes(8).toString('hex');
  const history = resumed?.state.history ?? { train: [], val: [] };
  let outcome: TrainOutcome;
  try {
    if (resumed !== undefined) await backend.setOptimizerState(resumed.optimizer);
    outcome = await runTraining({
      backend,
      train,
      tokens: data.tokens,
      validation: data.val === null ? null : validationBatches(data.val, train.batch, train.seqLen, VALIDATION_BATCHES * train.batch),
      sampler: resumed === undefined ? BatchSampler.fromSeed(seed) : BatchSampler.fromState(resumed.state.sampler),
      startStep,
      history,
      elapsedSeconds: resumed?.state.elapsedSeconds ?? 0,
      evalEvery: job.evalEvery ?? everyDefault,
      saveEvery: job.saveEvery ?? everyDefault,
      until,
      hooks: {
        onStep: (r) => {
          log?.write(r);
          progress.update(r);
        },
        save: async (snapshot) => {
          const state: TrainState = {
            checkpointId: `${runId}-${snapshot.step}`,
            runId,
            model: spec.name,
            configHash: modelConfigHash(spec),
            step: snapshot.step,
            seed,
            backend: backend.name,
            train,
            sampler: snapshot.sampler,
            data: { fingerprint, source: job.data },
            history: snapshot.history,
            elapsedSeconds: snapshot.elapsedSeconds,
          };
          const checkpoint: TrainCheckpoint = { weights: await backend.getWeights(), optimizer: await backend.getOptimizerState(), state };
          await saveTrainCheckpoint(job.out, spec, backend.dtype, checkpoint);
        },
      },
    });
  } finally {
    progress.finish();
    log?.close();
    await backend.dispose();
  }
  await writeFileAtomic(paths.lossCurve, lossCurveSvg(`${spec.name}: loss (${job.backendName} backend)`, history));
  if (outcome.status === 'non-finite') {
    const saved = outcome.lastSavedStep;
    const kept = saved !== null ? `the last good checkpoint ${job.out} (step ${saved}) is kept`
      : resumed !== undefined ? `${job.resume} (step ${startStep}) is unchanged`
      : 'no checkpoint was written';
    throw new UserError(`${describeNonFinite(outcome.step, outcome.nonFinite)}; training stopped (${train.clip === null ? 'lower --lr or set --clip' : 'lower --lr'}); ${kept}; loss curve in ${paths.lossCurve}`);
  }
  return { outcome, train, startStep, lossCurve: paths.lossCurve };
}
