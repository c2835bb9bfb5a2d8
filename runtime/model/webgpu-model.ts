import type { KernelTarget } from '../../compiler/kernels/kernel.js';
import { planForward } from '../../compiler/plan/forward-plan.js';
import { unmetLimitNeeds } from '../../compiler/plan/plan-limits.js';
import type { ForwardPlan, PlanMode } from '../../compiler/plan/plan-types.js';
import { stateTensors, type StatePart } from '../../compiler/plan/state-layout.js';
import { numElements, parameterSpecs } from '../../compiler/params.js';
import type { ModelSpec } from '../../compiler/spec.js';
import { kernelTargetOf, type XlstmDevice } from '../device.js';
import { UserError } from '../errors.js';
import type { DeviceTensor } from '../exec/arena.js';
import { Executor, type Dispatch } from '../exec/executor.js';
import { validateTokens } from '../reference/model.js';
import { ModelState } from './model-state.js';

export interface WebGpuModelOptions {
  /**
   * The most tokens per sequence one pass computes. Longer inputs run in pieces of this length that
   * carry the state, so memory stays bounded; the first piece from the zero state uses the parallel
   * mLSTM form, later ones the recurrent form. Default: the context length, at least 64.
   */
  pieceLength?: number;
  /** Fuse ops into kernels (default true); false runs one kernel per IR op where one exists. */
  fuse?: boolean;
  /** Submit each kernel separately so a WebGPU error names it (slow). */
  debug?: boolean;
}

export interface SamplingOptions {
  /** ≤ 0 picks the most likely token. */
  temperature: number;
  /** Keep the k most likely tokens; 0 (default) keeps all. */
  topK?: number;
  /** Keep the smallest set of most likely tokens reaching this probability; 1 (default) keeps all. */
  topP?: number;
  /** One uniform draw in [0, 1) per sequence (default Math.random). */
  draws?: ArrayLike<number>;
}

export interface StateTensorValues {
  /** e.g. `block.0.mlstm.C` (see compiler/plan/state-layout.ts for the layouts). */
  name: string;
  block: number;
  part: StatePart;
  shape: number[];
  values: Float32Array;
}

/** A kind of run, as `plan()` takes it: the mode, the shape, and what the run writes. */
export interface PlanRequest {
  mode: PlanMode;
  batch: number;
  seqLen: number;
  stateOut?: boolean;
  loss?: boolean;
  sample?: boolean;
}

/** A plan with the device buffers it owns (activations, scratch, inputs, outputs). */
interface BoundPlan {
  plan: ForwardPlan;
  tensors: Map<string, DeviceTensor>;
}

interface RunRequest {
  tokens: Uint32Array;
  targets?: Int32Array;
  draws?: Float32Array;
  state?: ModelState;
  runUniforms?: Readonly<Record<string, number>>;
  read: ('logits' | 'loss' | 'token')[];
}

const MIN_PIECE = 64;
/** Plans kept with their buffers; the least recently used beyond this are released (their pipelines stay cached). */
const MAX_PLANS = 16;

/**
 * The official xLSTM language model on a WebGPU device, from its kernel plans: weights uploaded
 * once, plans built per (batch, length, kind of run) on first use and kept, each run one command
 * buffer and one submit, and only the asked-for results read back. Recurrent state stays on the
 * device in `ModelState` handles.
 */
export class WebGpuModel {
  readonly target: KernelTarget;
  readonly pieceLength: number;
  private readonly exec: Executor;
  private readonly plans = new Map<string, BoundPlan>();
  private readonly params = new Map<string, DeviceTensor>();
  private stateCount = 0;
  private disposed = false;
  /** Runs in call order: a run's input uploads must not overtake the one before it. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly spec: ModelSpec,
    private readonly dev: XlstmDevice,
    private readonly options: WebGpuModelOptions = {},
  ) {
    this.target = kernelTargetOf(dev);
    this.exec = new Executor(dev, { debug: options.debug === true });
    const piece = options.pieceLength ?? Math.max(spec.contextLength, MIN_PIECE);
    if (!Number.isSafeInteger(piece) || piece < 1) throw new UserError(`piece length must be a positive whole number, got ${piece}`);
    this.pieceLength = piece;
    // a plan of the smallest run says at once whether the model's weights and kernels fit the device
    this.bound({ mode: 'recurrent', batch: 1, seqLen: 1 });
  }

  /** Dispatches, submits and readbacks so far. */
  get stats(): Readonly<Executor['stats']> {
    return this.exec.stats;
  }

  /**
   * Uploads the parameters (official names, vanilla layout, as `loadWeightsF32` returns them) once.
   * With tied weights `lm_head.weight` may be absent (the embedding serves both).
   */
  loadWeights(weights: ReadonlyMap<string, Float32Array>): void {
    this.checkUsable();
    const problems: string[] = [];
    for (const p of parameterSpecs(this.spec)) {
      if (p.tiedTo !== undefined) continue;
      const values = weights.get(p.name);
      const expected = numElements(p.shape);
      if (values === undefined) problems.push(`missing ${p.name} [${p.shape.join(', ')}]`);
      else if (values.length !== expected) problems.push(`${p.name} has ${values.length} values, expected [${p.shape.join(', ')}] = ${expected}`);
    }
    if (problems.length > 0) throw new UserError(`weights for ${this.spec.name}: ${problems.join('; ')}`);
    for (const p of parameterSpecs(this.spec)) {
      if (p.tiedTo !== undefined) continue;
      const values = weights.get(p.name)!;
      const t = this.exec.tensor(`param:${p.name}`, values.length);
      this.exec.uploadF32(t, values);
      this.params.set(p.name, t);
    }
  }

  /** A state for `batch` sequences, all zero (the official start). */
  createState(batch: number): ModelState {
    this.checkUsable();
    if (!Number.isSafeInteger(batch) || batch < 1) throw new UserError(`batch size must be a positive whole number, got ${batch}`);
    const id = this.stateCount++;
    const specs = stateTensors(this.spec, batch);
    const names: string[] = [];
    const tensors = new Map(
      specs.map((s) => {
        const copies = Array.from({ length: s.pingPong ? 2 : 1 }, (_, i) => {
          const name = `state${id}/${s.name}#${i}`;
          names.push(name);
          return this.exec.tensor(name, s.elements);
        });
        return [s.name, copies] as const;
      }),
    );
    return new ModelState(batch, this, specs, tensors, () => names.forEach((n) => this.exec.arena.release(n)));
  }

  /**
   * Logits [B, T, V] of `tokens` [B, T] continuing `state` (default: a new zero state), which is
   * advanced in place and returned. Any T: long inputs run in pieces that carry the state, and
   * feeding a sequence in pieces gives the logits of feeding it whole.
   */
  async forward(tokens: Int32Array, batch: number, time: number, state?: ModelState): Promise<{ logits: Float32Array; state: ModelState }> {
    this.checkUsable();
    validateTokens(this.spec, tokens, batch, time, 'tokens');
    const st = state ?? this.createState(batch);
    this.checkState(st, batch);
    const V = this.spec.vocabSize;
    const logits = new Float32Array(batch * time * V);
    for (const piece of this.pieces(time)) {
      const request = (fresh: boolean): PlanRequest => ({ mode: fresh ? 'parallel' : 'recurrent', batch, seqLen: piece.length, stateOut: true });
      const [out] = await this.runPlan(request, {
        tokens: timeSlice(tokens, batch, time, piece, 1),
        state: st,
        read: ['logits'],
      });
      scatterTime(logits, out as Float32Array, batch, time, piece, V);
    }
    return { logits, state: st };
  }

  /** Logits [B, T, V] from the zero state, and with `targets` the mean cross-entropy, in one pass per piece. */
  async evaluate(tokens: Int32Array, batch: number, time: number, targets?: Int32Array): Promise<{ logits: Float32Array; loss?: number }> {
    const result = await this.evaluatePieces(tokens, batch, time, targets, true);
    return result.loss === undefined ? { logits: result.logits! } : { logits: result.logits!, loss: result.loss };
  }

  /** The mean next-token cross-entropy of `tokens` against `targets` (both [B, T]) from the zero state; reads back one number. */
  async loss(tokens: Int32Array, targets: Int32Array, batch: number, time: number): Promise<number> {
    return (await this.evaluatePieces(tokens, batch, time, targets, false)).loss!;
  }

  /** One token per sequence (`tokens` [B]) through the step API: logits [B, V]; `state` advances. */
  async step(tokens: Int32Array, state: ModelState): Promise<Float32Array> {
    this.checkUsable();
    this.checkState(state, state.batch);
    validateTokens(this.spec, tokens, state.batch, 1, 'tokens');
    const [logits] = await this.runPlan({ mode: 'recurrent', batch: state.batch, seqLen: 1 }, {
      tokens: Uint32Array.from(tokens),
      state,
      read: ['logits'],
    });
    return logits as Float32Array;
  }

  /**
   * Logits [B, T, V] of `tokens` [B, T] fed token by token through the step API from the zero state,
   * as the official step API computes them (golden `logits_step`): one run per token.
   */
  async stepLogits(tokens: Int32Array, batch: number, time: number): Promise<Float32Array> {
    this.checkUsable();
    validateTokens(this.spec, tokens, batch, time, 'tokens');
    const V = this.spec.vocabSize;
    const logits = new Float32Array(batch * time * V);
    const state = this.createState(batch);
    try {
      for (let t = 0; t < time; t++) {
        const piece = { start: t, length: 1 };
        scatterTime(logits, await this.step(Int32Array.from(timeSlice(tokens, batch, time, piece, 1)), state), batch, time, piece, V);
      }
    } finally {
      state.dispose();
    }
    return logits;
  }

  /**
   * `step`, then one next token per sequence sampled on the device (temperature, top-k, top-p, see
   * compiler/kernels/sample-token.ts): only the B token ids are read back.
   */
  async sample(tokens: Int32Array, state: ModelState, sampling: SamplingOptions): Promise<Int32Array> {
    this.checkUsable();
    this.checkState(state, state.batch);
    validateTokens(this.spec, tokens, state.batch, 1, 'tokens');
    const B = state.batch;
    const topK = sampling.topK ?? 0;
    const topP = sampling.topP ?? 1;
    if (!Number.isFinite(sampling.temperature)) throw new UserError(`temperature must be a number, got ${sampling.temperature}`);
    if (!Number.isSafeInteger(topK) || topK < 0) throw new UserError(`top-k must be a whole number ≥ 0, got ${topK}`);
    if (!(topP > 0 && topP <= 1)) throw new UserError(`top-p must be in (0, 1], got ${topP}`);
    const draws = Float32Array.from({ length: B }, (_, b) => sampling.draws?.[b] ?? Math.random());
    if (draws.some((d) => !(d >= 0 && d < 1))) throw new UserError('each draw must be in [0, 1)');
    const [token] = await this.runPlan({ mode: 'recurrent', batch: B, seqLen: 1, sample: true }, {
      tokens: Uint32Array.from(tokens),
      state,
      draws,
      runUniforms: { temperature: sampling.temperature, topK: Math.min(topK, 2 ** 32 - 1), topP },
      read: ['token'],
    });
    return token as Int32Array;
  }

  /** The state's values, read back from the device, in the layouts of the official step API. */
  async readState(state: ModelState): Promise<StateTensorValues[]> {
    this.checkState(state, state.batch);
    return this.serial(async () => {
      const current = state.current();
      const data = await this.exec.run([], { read: current.map((c) => c.tensor) });
      return current.map(({ spec }, i) => ({ name: spec.name, block: spec.block, part: spec.part, shape: spec.shape, values: data[i] as Float32Array }));
    });
  }

  /** The plan of a kind of run (built and kept on first use), e.g. for `printPlan`. */
  plan(request: PlanRequest): ForwardPlan {
    return this.bound(request).plan;
  }

  /** Frees every device buffer of the model and its states (not the device). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.exec.dispose();
    this.plans.clear();
    this.params.clear();
  }

  private async evaluatePieces(
    tokens: Int32Array,
    batch: number,
    time: number,
    targets: Int32Array | undefined,
    wantLogits: boolean,
  ): Promise<{ logits?: Float32Array; loss?: number }> {
    this.checkUsable();
    validateTokens(this.spec, tokens, batch, time, 'tokens');
    if (targets !== undefined) validateTokens(this.spec, targets, batch, time, 'targets');
    const V = this.spec.vocabSize;
    const logits = wantLogits ? new Float32Array(batch * time * V) : undefined;
    const pieces = this.pieces(time);
    // one piece needs no state; several carry one from piece to piece
    const state = pieces.length > 1 ? this.createState(batch) : undefined;
    let lossSum = 0;
    try {
      for (const piece of pieces) {
        const read: RunRequest['read'] = [...(wantLogits ? (['logits'] as const) : []), ...(targets ? (['loss'] as const) : [])];
        const request: PlanRequest = {
          mode: state === undefined || state.fresh ? 'parallel' : 'recurrent',
          batch,
          seqLen: piece.length,
          stateOut: state !== undefined,
          loss: targets !== undefined,
        };
        const out = await this.runPlan(request, {
          tokens: timeSlice(tokens, batch, time, piece, 1),
          ...(targets ? { targets: Int32Array.from(timeSlice(targets, batch, time, piece, 1)) } : {}),
          ...(state ? { state } : {}),
          read,
        });
        if (logits) scatterTime(logits, out[0] as Float32Array, batch, time, piece, V);
        if (targets) lossSum += (out[read.indexOf('loss')] as Float32Array)[0]! * piece.length;
      }
    } finally {
      state?.dispose();
    }
    return { ...(logits ? { logits } : {}), ...(targets ? { loss: lossSum / time } : {}) };
  }

  private pieces(time: number): { start: number; length: number }[] {
    const out: { start: number; length: number }[] = [];
    for (let start = 0; start < time; start += this.pieceLength) out.push({ start, length: Math.min(this.pieceLength, time - start) });
    return out;
  }

  private bound(request: PlanRequest): BoundPlan {
    // a recurrent run always leaves its state
    const r = { ...request, stateOut: request.mode === 'recurrent' || request.stateOut === true };
    const key = [r.mode, r.batch, r.seqLen, r.stateOut ? 'state' : '', r.loss ? 'loss' : '', r.sample ? 'sample' : ''].join('|');
    const cached = this.plans.get(key);
    if (cached !== undefined) {
      // most recently used last
      this.plans.delete(key);
      this.plans.set(key, cached);
      return cached;
    }
    const what = `model ${this.spec.name} (batch ${r.batch} × ${r.seqLen} tokens)`;
    let plan: ForwardPlan;
    try {
      plan = planForward(this.spec, { ...r, target: this.target, fuse: this.options.fuse ?? true });
    } catch (e) {
      throw new UserError(`${what} cannot run on this device: ${e instanceof Error ? e.message : String(e)}`);
    }
    const unmet = unmetLimitNeeds(plan, this.dev.limits);
    if (unmet.length > 0) {
      const list = unmet.map((n) => `${n.limit} ≥ ${n.need} (for ${n.why}; the device has ${this.dev.limits[n.limit] ?? 'none'})`);
      throw new UserError(`${what} needs ${list.join(', ')}; try a smaller batch or piece length`);
    }
    const tensors = new Map<string, DeviceTensor>();
    for (const b of plan.buffers) {
      if (b.kind === 'param' || b.kind === 'state') continue;
      tensors.set(b.name, this.exec.tensor(`${key}/${b.name}`, b.elements, b.type));
    }
    const entry = { plan, tensors };
    this.plans.set(key, entry);
    for (const [oldKey, old] of this.plans) {
      if (this.plans.size <= MAX_PLANS) break;
      for (const t of old.tensors.values()) this.exec.arena.release(t.name);
      this.plans.delete(oldKey);
    }
    return entry;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Uploads the inputs, runs the plan in one submit, reads back what is asked for; advances the state
   * it wrote. A plan that depends on the state's freshness is chosen when the run's turn comes.
   */
  private runPlan(request: PlanRequest | ((fresh: boolean) => PlanRequest), r: RunRequest): Promise<(Float32Array | Int32Array | Uint32Array)[]> {
    return this.serial(() => this.runPlanNow(this.bound(typeof request === 'function' ? request(r.state?.fresh ?? true) : request), r));
  }

  private async runPlanNow(bound: BoundPlan, r: RunRequest): Promise<(Float32Array | Int32Array | Uint32Array)[]> {
    const { plan, tensors } = bound;
    if (this.params.size === 0) throw new UserError(`no weights loaded for ${this.spec.name}; call loadWeights first`);
    const fresh = r.state?.fresh ?? true;
    const resolve = (name: string): DeviceTensor => {
      const own = tensors.get(name);
      if (own !== undefined) return own;
      if (name.startsWith('state:')) {
        if (r.state === undefined) throw new Error(`plan ${plan.model} needs a state`);
        return r.state.tensorFor(name);
      }
      const param = this.params.get(name);
      if (param === undefined) throw new Error(`no device tensor for ${name}`);
      return param;
    };
    this.exec.uploadU32(tensors.get(plan.inputs.tokens)!, r.tokens);
    if (plan.inputs.targets !== undefined) this.exec.uploadI32(tensors.get(plan.inputs.targets)!, r.targets!);
    if (plan.inputs.draws !== undefined) this.exec.uploadF32(tensors.get(plan.inputs.draws)!, r.draws!);
    const dispatches: Dispatch[] = plan.steps.map((s) => {
      const uniforms = { ...((fresh ? s.freshUniforms : undefined) ?? s.uniforms), ...pick(r.runUniforms, s.runUniforms) };
      return {
        kernel: s.kernel,
        tensors: Object.fromEntries(Object.entries(s.tensors).map(([binding, buffer]) => [binding, resolve(buffer)])),
        ...(Object.keys(uniforms).length > 0 ? { uniforms } : {}),
      };
    });
    const read = r.read.map((what) => {
      const name = plan.outputs[what];
      if (name === undefined) throw new Error(`plan ${plan.model} has no output ${what}`);
      return tensors.get(name)!;
    });
    const out = await this.exec.run(dispatches, { read });
    if (r.state !== undefined && plan.stateOut) r.state.advance();
    return out;
  }

  private checkState(state: ModelState, batch: number): void {
    state.checkUsable();
    if (state.owner !== this) throw new UserError('this state belongs to another model');
    if (state.batch !== batch) throw new UserError(`the state holds ${state.batch} sequences, the input ${batch}`);
  }

  private checkUsable(): void {
    if (this.disposed) throw new UserError('this model was disposed');
    this.dev.monitor.check();
  }
}

function pick(values: Readonly<Record<string, number>> | undefined, names: readonly string[] | undefined): Record<string, number> {
  if (names === undefined) return {};
  return Object.fromEntries(
    names.map((n) => {
      const v = values?.[n];
      if (v === undefined) throw new Error(`no value given for the per-run uniform ${n}`);
      return [n, v];
    }),
  );
}

/** Steps [start, start + length) of each sequence of a [B, T, width] array, as [B, length, width] u32. */
function timeSlice(src: Int32Array, batch: number, time: number, piece: { start: number; length: number }, width: number): Uint32Array {
  const out = new Uint32Array(batch * piece.length * width);
  for (let b = 0; b < batch; b++) {
    out.set(src.subarray((b * time + piece.start) * width, (b * time + piece.start + piece.length) * width), b * piece.length * width);
  }
  return out;
}

/** Writes a piece's [B, length, width] values into steps [start, start + length) of a [B, T, width] array. */
function scatterTime(dst: Float32Array, src: Float32Array, batch: number, time: number, piece: { start: number; length: number }, width: number): void {
  for (let b = 0; b < batch; b++) {
    dst.set(src.subarray(b * piece.length * width, (b + 1) * piece.length * width), (b * time + piece.start) * width);
  }
}
