/**
 * What a training checkpoint records besides the weights and moments: where the run stands (step,
 * sampler, history) and what it was (model hash, hyper-parameters, seed, data), as JSON in the
 * companion file's `__metadata__`. Parsing validates every field, so a damaged or foreign file is a
 * one-line UserError rather than a crash mid-run.
 */
import type { ModelSpec, Optimizer, TrainSpec } from '../../compiler/spec.js';
import { UserError } from '../errors.js';
import type { SamplerState } from './batch-sampler.js';
import { SCHEDULES } from './schedule.js';

const OPTIMIZERS: readonly Optimizer[] = ['adamw'];

export const TRAIN_STATE_FORMAT = 'xlstm-train-state/1';

/** Loss against step: training loss of every step, validation loss of every evaluation. */
export interface LossHistory {
  train: [step: number, loss: number][];
  val: [step: number, loss: number][];
}

export interface TrainState {
  /** Identifies one save; the weights file carries the same id (see checkpoint-node.ts). */
  checkpointId: string;
  /** Random id of the run, kept across resumes. */
  runId: string;
  model: string;
  /** `modelConfigHash` of the architecture trained. */
  configHash: string;
  /** Optimizer steps taken. */
  step: number;
  seed: number;
  backend: string;
  /** The run's effective settings (model defaults with command-line overrides). */
  train: TrainSpec;
  sampler: SamplerState;
  /** `tokensFingerprint` of the training tokens and where they came from. */
  data: { fingerprint: string; source: string };
  history: LossHistory;
  /** Training time of all sessions so far. */
  elapsedSeconds: number;
}

/** JSON with object keys sorted, so equal values give equal text whatever the key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A 64-bit FNV-1a hash (hex) of the architecture: everything in the ModelSpec except its name, its
 * training defaults and its source position, so a renamed model still resumes but a changed one
 * does not.
 */
export function modelConfigHash(spec: ModelSpec): string {
  const { name: _name, train: _train, source: _source, ...architecture } = spec;
  const text = canonicalJson(architecture);
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

type Json = Record<string, unknown>;

class StateReader {
  constructor(private readonly label: string) {}

  fail(field: string, expected: string): never {
    throw new UserError(`${this.label}: training state field "${field}" must be ${expected}; the file is damaged or was not written by xlstm train`);
  }

  object(value: unknown, field: string): Json {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(field, 'an object');
    return value as Json;
  }

  number(o: Json, key: string, field: string, check: (n: number) => boolean = Number.isFinite, expected = 'a number'): number {
    const v = o[key];
    if (typeof v !== 'number' || !check(v)) this.fail(field, expected);
    return v;
  }

  count(o: Json, key: string, field: string): number {
    return this.number(o, key, field, (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number ≥ 0');
  }

  string(o: Json, key: string, field: string): string {
    const v = o[key];
    if (typeof v !== 'string') this.fail(field, 'a string');
    return v;
  }

  oneOf<T extends string>(o: Json, key: string, field: string, values: readonly T[]): T {
    const v = o[key];
    if (!values.includes(v as T)) this.fail(field, `one of ${values.join(', ')}`);
    return v as T;
  }

  points(value: unknown, field: string): [number, number][] {
    const ok = Array.isArray(value) && value.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number'));
    if (!ok) this.fail(field, 'a list of [step, loss] pairs');
    return (value as [number, number][]).map(([s, l]) => [s, l]);
  }
}

function readTrainSpec(r: StateReader, value: unknown): TrainSpec {
  const t = r.object(value, 'train');
  const positive = (n: number) => Number.isFinite(n) && n > 0;
  const atLeast1 = (n: number) => Number.isSafeInteger(n) && n >= 1;
  const betas = t.betas;
  if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === 'number' && b >= 0 && b < 1)) {
    r.fail('train.betas', 'two numbers in [0, 1)');
  }
  const clip = t.clip === null ? null : r.number(t, 'clip', 'train.clip', positive, 'a positive number or null');
  return {
    optimizer: r.oneOf(t, 'optimizer', 'train.optimizer', OPTIMIZERS),
    lr: r.number(t, 'lr', 'train.lr', positive, 'a positive number'),
    weightDecay: r.number(t, 'weightDecay', 'train.weightDecay', (n) => n >= 0, 'a number ≥ 0'),
    betas: [betas[0] as number, betas[1] as number],
    eps: r.number(t, 'eps', 'train.eps', positive, 'a positive number'),
    batch: r.number(t, 'batch', 'train.batch', atLeast1, 'a whole number ≥ 1'),
    clip,
    warmup: r.count(t, 'warmup', 'train.warmup'),
    schedule: r.oneOf(t, 'schedule', 'train.schedule', SCHEDULES),
    minLrRatio: r.number(t, 'minLrRatio', 'train.minLrRatio', (n) => n >= 0 && n <= 1, 'a number in [0, 1]'),
    steps: r.number(t, 'steps', 'train.steps', atLeast1, 'a whole number ≥ 1'),
    gradAccum: r.number(t, 'gradAccum', 'train.gradAccum', atLeast1, 'a whole number ≥ 1'),
    seqLen: r.number(t, 'seqLen', 'train.seqLen', atLeast1, 'a whole number ≥ 1'),
  };
}

function readSampler(r: StateReader, value: unknown): SamplerState {
  const s = r.object(value, 'sampler');
  const rng = s.rng;
  const isWord = (w: unknown) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w < 2 ** 32;
  if (!Array.isArray(rng) || rng.length !== 4 || !rng.every(isWord) || rng.every((w) => w === 0)) {
    r.fail('sampler.rng', 'four 32-bit words, not all zero');
  }
  return { rng: [rng[0], rng[1], rng[2], rng[3]], drawn: r.count(s, 'drawn', 'sampler.drawn') };
}

/** Parses the JSON `text` of a companion file's state entry; `label` names the file in errors. */
export function parseTrainState(text: string, label: string): TrainState {
  const r = new StateReader(label);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    throw new UserError(`${label}: the training state is not valid JSON; the file is damaged`);
  }
  const o = r.object(root, 'state');
  const data = r.object(o.data, 'data');
  const history = r.object(o.history, 'history');
  return {
    checkpointId: r.string(o, 'checkpointId', 'checkpointId'),
    runId: r.string(o, 'runId', 'runId'),
    model: r.string(o, 'model', 'model'),
    configHash: r.string(o, 'configHash', 'configHash'),
    step: r.count(o, 'step', 'step'),
    seed: r.count(o, 'seed', 'seed'),
    backend: r.string(o, 'backend', 'backend'),
    train: readTrainSpec(r, o.train),
    sampler: readSampler(r, o.sampler),
    data: { fingerprint: r.string(data, 'fingerprint', 'data.fingerprint'), source: r.string(data, 'source', 'data.source') },
    history: { train: r.points(history.train, 'history.train'), val: r.points(history.val, 'history.val') },
    elapsedSeconds: r.number(o, 'elapsedSeconds', 'elapsedSeconds', (n) => n >= 0, 'a number ≥ 0'),
  };
}
