/**
 * The training step on a WebGPU device: forward, backward, gradient norm and AdamW from the training
 * plan (compiler/plan/backward-plan.ts), f32. Parameters, gradients and both AdamW moments live in
 * four flat device buffers (kernels bind each parameter as a view); one command buffer and one
 * submit per micro-batch, and nothing read back but the loss and the gradient norm with its
 * non-finite flag. Plans and their buffers are built on a batch shape's first step and reused, so
 * steady-state training allocates nothing on the device.
 */
import { adamwUniforms } from '../../compiler/kernels/adamw.js';
import type { KernelTarget } from '../../compiler/kernels/kernel.js';
import { optimizerSettings, planTrain } from '../../compiler/plan/backward-plan.js';
import { planForward } from '../../compiler/plan/forward-plan.js';
import type { ParameterLayout } from '../../compiler/plan/parameter-slots.js';
import type { ForwardPlan } from '../../compiler/plan/plan-types.js';
import type { OptimizerSettings, TrainPlan } from '../../compiler/plan/train-plan-types.js';
import type { ModelSpec } from '../../compiler/spec.js';
import { kernelTargetOf, type XlstmDevice } from '../device.js';
import { UserError } from '../errors.js';
import type { ArenaStats } from '../exec/arena.js';
import { Executor, type Dispatch, type ExecutorStats } from '../exec/executor.js';
import { planForDevice } from '../plan-fit.js';
import { validateTokens } from '../reference/model.js';
import type { FloatArray, NonFinite, OptimizerState, StepHyper, StepResult, TrainBackend, TrainBackendFactory, TrainBatch } from './backend.js';
import { DeviceParameters } from './device-parameters.js';
import { PlanTensors } from './plan-tensors.js';

export interface WebGpuTrainBackendOptions {
  /** Submit each kernel separately so a WebGPU error names it (slow). */
  debug?: boolean;
}

interface BoundTrainPlan {
  plan: TrainPlan;
  tensors: PlanTensors;
  passes: Dispatch[];
  /** The optimizer's dispatches; the last is AdamW, which takes the step's uniforms. */
  optimizer: Dispatch[];
}

/** Settings for the gradient-only runs when no step has fixed them (the optimizer phase is not run then). */
const GRADIENT_ONLY: OptimizerSettings = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clip: null };

export class WebGpuTrainBackend implements TrainBackend {
  readonly name = 'webgpu';
  readonly dtype = 'F32' as const;
  readonly target: KernelTarget;
  private readonly exec: Executor;
  private readonly state: DeviceParameters;
  private readonly trainPlans = new Map<string, BoundTrainPlan>();
  private readonly evalPlans = new Map<string, { plan: ForwardPlan; tensors: PlanTensors; dispatches: Dispatch[] }>();
  private disposed = false;

  /** `weights`: every trainable tensor under its official name (vanilla layout); a tied `lm_head.weight` is ignored. */
  constructor(
    readonly spec: ModelSpec,
    private readonly dev: XlstmDevice,
    weights: ReadonlyMap<string, FloatArray>,
    options: WebGpuTrainBackendOptions = {},
  ) {
    this.target = kernelTargetOf(dev);
    this.exec = new Executor(dev, { debug: options.debug === true });
    this.state = new DeviceParameters(this.exec, spec, weights);
  }

  /** Where each parameter lives in the flat device buffers. */
  get layout(): ParameterLayout {
    return this.state.layout;
  }

  /** Device allocations and work so far: flat across steps once every batch shape has been seen. */
  get stats(): { arena: Readonly<ArenaStats>; executor: Readonly<ExecutorStats>; pipelines: Readonly<{ created: number; hits: number }> } {
    return { arena: this.exec.arena.stats, executor: this.exec.stats, pipelines: this.exec.pipelineStats };
  }

  /** The training plan of a batch shape (built on first use), e.g. for `printTrainPlan`. */
  plan(batch: number, time: number, microBatches = 1): TrainPlan {
    return this.bound(batch, time, microBatches).plan;
  }

  async step(microBatches: readonly TrainBatch[], hyper: StepHyper): Promise<StepResult> {
    this.checkUsable();
    const { batch, time } = this.checkBatches(microBatches);
    const K = microBatches.length;
    const bound = this.bound(batch, time, K, optimizerSettings(hyper));
    const adamw = bound.optimizer[bound.optimizer.length - 1]!;
    const optimizer = [...bound.optimizer.slice(0, -1), { ...adamw, uniforms: adamwUniforms({ beta1: hyper.betas[0], beta2: hyper.betas[1] }, hyper.lr, hyper.step) }];
    let loss = 0;
    let gradNorm: Float32Array | undefined;
    for (let k = 0; k < K; k++) {
      this.uploadBatch(bound.tensors, bound.plan, microBatches[k]!);
      const last = k === K - 1;
      const read = [bound.tensors.get(bound.plan.outputs.loss), ...(last ? [this.state.gradNorm] : [])];
      const out = await this.exec.run(last ? [...bound.passes, ...optimizer] : bound.passes, { read });
      loss += (out[0] as Float32Array)[0]!;
      if (last) gradNorm = out[1] as Float32Array;
    }
    loss /= K;
    const [norm, , flag] = gradNorm!;
    // AdamW skipped the update (and cleared the gradients) when the flag is set
    if (!Number.isFinite(loss) || flag !== 0) return { loss, gradNorm: norm!, nonFinite: await this.locateNonFinite(microBatches, loss, norm!) };
    return { loss, gradNorm: norm! };
  }

  /**
   * ∂loss/∂p of the mean loss over `microBatches` (all of one shape) under official names, and that
   * loss, from the forward and backward alone: parameters and moments untouched.
   */
  async lossAndGradients(microBatches: readonly TrainBatch[]): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    this.checkUsable();
    const { batch, time } = this.checkBatches(microBatches);
    const bound = this.bound(batch, time, microBatches.length);
    let loss = 0;
    for (const b of microBatches) {
      this.uploadBatch(bound.tensors, bound.plan, b);
      loss += ((await this.exec.run(bound.passes, { read: [bound.tensors.get(bound.plan.outputs.loss)] }))[0] as Float32Array)[0]!;
    }
    const grads = await this.state.readGradients();
    // the backward adds into the gradients; AdamW normally clears them
    this.state.clearGradients();
    return { loss: loss / microBatches.length, grads };
  }

  async evalLoss(b: TrainBatch): Promise<number> {
    this.checkUsable();
    this.checkBatches([b]);
    const key = `${b.batch}x${b.time}`;
    let entry = this.evalPlans.get(key);
    if (entry === undefined) {
      const plan = this.checked(() => planForward(this.spec, { batch: b.batch, seqLen: b.time, target: this.target, mode: 'parallel', loss: true }), b.batch, b.time);
      const tensors = new PlanTensors(this.exec, `eval ${key}`, plan.buffers, (x) => (x.kind === 'param' ? this.state.view(x.name) : undefined));
      entry = { plan, tensors, dispatches: tensors.dispatches(plan.steps) };
      this.evalPlans.set(key, entry);
    }
    this.exec.uploadU32(entry.tensors.get(entry.plan.inputs.tokens), Uint32Array.from(b.inputs));
    this.exec.uploadI32(entry.tensors.get(entry.plan.inputs.targets!), b.targets);
    const [loss] = await this.exec.run(entry.dispatches, { read: [entry.tensors.get(entry.plan.outputs.loss!)] });
    return (loss as Float32Array)[0]!;
  }

  async getWeights(): Promise<Map<string, FloatArray>> {
    this.checkUsable();
    return this.state.readWeights();
  }

  async getOptimizerState(): Promise<OptimizerState> {
    this.checkUsable();
    return this.state.readMoments();
  }

  async setOptimizerState(state: OptimizerState): Promise<void> {
    this.checkUsable();
    this.state.writeMoments(state);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.exec.dispose();
    this.trainPlans.clear();
    this.evalPlans.clear();
  }

  /**
   * The bound training plan of a shape. Optimizer settings are baked into the AdamW kernel: a step
   * with other settings rebuilds the plan (the trainer keeps them fixed); gradient-only runs take any.
   */
  private bound(batch: number, time: number, microBatches: number, optimizer?: OptimizerSettings): BoundTrainPlan {
    const key = `${batch}x${time}x${microBatches}`;
    const cached = this.trainPlans.get(key);
    if (cached !== undefined && (optimizer === undefined || sameSettings(cached.plan.optimizer, optimizer))) return cached;
    cached?.tensors.release();
    const plan = this.checked(() => planTrain(this.spec, { batch, seqLen: time, target: this.target, optimizer: optimizer ?? GRADIENT_ONLY, microBatches }), batch, time);
    const tensors = new PlanTensors(this.exec, `train ${key}`, plan.buffers, (b) => this.state.planTensor(plan, b));
    if (plan.inputs.gradScale !== undefined) this.exec.uploadF32(tensors.get(plan.inputs.gradScale), new Float32Array(this.spec.vocabSize).fill(1 / microBatches));
    const passes = plan.phases.forward + plan.phases.backward;
    const entry = { plan, tensors, passes: tensors.dispatches(plan.steps.slice(0, passes)), optimizer: tensors.dispatches(plan.steps.slice(passes)) };
    this.trainPlans.set(key, entry);
    return entry;
  }

  /** A plan of this model for this device, or a UserError saying why it does not fit. */
  private checked<P extends ForwardPlan | TrainPlan>(build: () => P, batch: number, time: number): P {
    return planForDevice(build, this.dev.limits, `training ${this.spec.name} (batch ${batch} × ${time} tokens)`, 'try a smaller batch or sequence length');
  }

  private uploadBatch(tensors: PlanTensors, plan: TrainPlan, b: TrainBatch): void {
    this.exec.uploadU32(tensors.get(plan.inputs.tokens), Uint32Array.from(b.inputs));
    this.exec.uploadI32(tensors.get(plan.inputs.targets), b.targets);
  }

  private checkBatches(batches: readonly TrainBatch[]): { batch: number; time: number } {
    const first = batches[0];
    if (first === undefined) throw new Error('internal: a step needs at least one micro-batch');
    for (const b of batches) {
      if (b.batch !== first.batch || b.time !== first.time) throw new Error('internal: micro-batches of one step must have one shape');
      validateTokens(this.spec, b.inputs, b.batch, b.time, 'inputs');
      validateTokens(this.spec, b.targets, b.batch, b.time, 'targets');
    }
    return { batch: first.batch, time: first.time };
  }

  /** Names what went non-finite: the loss, else the first parameter gradient (recomputed: AdamW cleared them), else the norm. */
  private async locateNonFinite(microBatches: readonly TrainBatch[], loss: number, norm: number): Promise<NonFinite> {
    if (!Number.isFinite(loss)) return { stage: 'forward', tensor: 'loss', value: loss };
    const { grads } = await this.lossAndGradients(microBatches);
    for (const [tensor, g] of grads) {
      const bad = g.find((v) => !Number.isFinite(v));
      if (bad !== undefined) return { stage: 'gradient', tensor, value: bad };
    }
    return { stage: 'gradient', tensor: 'gradient norm', value: norm };
  }

  private checkUsable(): void {
    if (this.disposed) throw new UserError('this training backend was disposed');
    this.dev.monitor.check();
  }
}

function sameSettings(a: OptimizerSettings, b: OptimizerSettings): boolean {
  return a.beta1 === b.beta1 && a.beta2 === b.beta2 && a.eps === b.eps && a.weightDecay === b.weightDecay && a.clip === b.clip;
}

/** The WebGPU backend as a `TrainBackendFactory`, on a device the caller keeps and destroys (after disposing the backend). */
export function webGpuTrainBackendFactory(dev: XlstmDevice, options: WebGpuTrainBackendOptions = {}): TrainBackendFactory {
  return async (spec, weights) => new WebGpuTrainBackend(spec, dev, weights, options);
}
