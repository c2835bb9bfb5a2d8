import { packDecayMask } from '../../compiler/kernels/adamw.js';
import { gradientBufferName, parameterLayout, type ParameterLayout } from '../../compiler/plan/parameter-slots.js';
import type { BufferSpec } from '../../compiler/plan/plan-types.js';
import type { TrainPlan } from '../../compiler/plan/train-plan-types.js';
import type { ModelSpec } from '../../compiler/spec.js';
import type { DeviceTensor } from '../exec/arena.js';
import type { Executor } from '../exec/executor.js';
import type { FloatArray, OptimizerState } from './backend.js';
import { flattenTensors, unflattenTensors } from './flat-parameters.js';

/**
 * What training keeps on the device across steps, in the flat layout of `parameterLayout`:
 * parameters, gradients, AdamW's moments and decay mask, and the gradient norm. Each parameter and
 * its gradient is also a view, which is what forward and backward kernels bind.
 */
export class DeviceParameters {
  readonly layout: ParameterLayout;
  readonly params: DeviceTensor;
  readonly grads: DeviceTensor;
  readonly expAvg: DeviceTensor;
  readonly expAvgSq: DeviceTensor;
  readonly decayMask: DeviceTensor;
  readonly gradNorm: DeviceTensor;
  private readonly views = new Map<string, DeviceTensor>();
  private zeros: Float32Array | undefined;

  /** Uploads `weights` (official names, vanilla layout; a tied `lm_head.weight` is ignored); gradients and moments start at zero. */
  constructor(
    private readonly exec: Executor,
    spec: ModelSpec,
    weights: ReadonlyMap<string, FloatArray>,
  ) {
    this.layout = parameterLayout(spec);
    const n = this.layout.elements;
    const tensor = (name: string, elements = n, type: 'f32' | 'u32' = 'f32') => exec.tensor(`train/${name}`, elements, type);
    this.params = tensor('params');
    this.grads = tensor('grads');
    this.expAvg = tensor('adam.exp_avg');
    this.expAvgSq = tensor('adam.exp_avg_sq');
    this.decayMask = tensor('adam.decay_mask', Math.ceil(n / 32), 'u32');
    this.gradNorm = tensor('gradNorm', 3);
    for (const s of this.layout.slots) {
      this.views.set(s.name, exec.arena.view(this.params, `param:${s.name}`, s.offset, s.elements));
      this.views.set(gradientBufferName(s.name), exec.arena.view(this.grads, gradientBufferName(s.name), s.offset, s.elements));
    }
    exec.uploadF32(this.params, flattenTensors(this.layout, weights, 'the initial value'));
    this.clearGradients();
    for (const t of [this.expAvg, this.expAvgSq]) exec.uploadF32(t, this.zeros!);
    exec.uploadU32(this.decayMask, packDecayMask(n, this.layout.slots.filter((s) => s.decay).map((s) => ({ offset: s.offset, length: s.elements }))));
  }

  /** A parameter (by official name) or a parameter's gradient (by its plan buffer name), as a view. */
  view(name: string): DeviceTensor | undefined {
    return this.views.get(name);
  }

  /** The tensor of a plan buffer this state owns (flat buffers and views), or undefined for the plan's own. */
  planTensor(plan: TrainPlan, b: BufferSpec): DeviceTensor | undefined {
    const flat = new Map<string | undefined, DeviceTensor>([
      [plan.flat.params, this.params],
      [plan.flat.grads, this.grads],
      [plan.flat.expAvg, this.expAvg],
      [plan.flat.expAvgSq, this.expAvgSq],
      [plan.flat.gradNorm, this.gradNorm],
      [plan.flat.decayMask, this.decayMask],
    ]);
    const shared = flat.get(b.name) ?? this.views.get(b.name);
    if (shared === undefined && (b.kind === 'param' || b.kind === 'gradient' || b.kind === 'optimizer')) throw new Error(`internal: no device tensor for ${b.name}`);
    return shared;
  }

  /** Zeroes the gradients (the backward adds into them; AdamW clears them after a step). */
  clearGradients(): void {
    this.zeros ??= new Float32Array(this.layout.elements);
    this.exec.uploadF32(this.grads, this.zeros);
  }

  async readWeights(): Promise<Map<string, Float32Array>> {
    return unflattenTensors(this.layout, await this.exec.readF32(this.params));
  }

  async readGradients(): Promise<Map<string, Float32Array>> {
    return unflattenTensors(this.layout, await this.exec.readF32(this.grads));
  }

  async readMoments(): Promise<OptimizerState> {
    return { expAvg: unflattenTensors(this.layout, await this.exec.readF32(this.expAvg)), expAvgSq: unflattenTensors(this.layout, await this.exec.readF32(this.expAvgSq)) };
  }

  writeMoments(state: OptimizerState): void {
    const expAvg = flattenTensors(this.layout, state.expAvg, 'exp_avg');
    const expAvgSq = flattenTensors(this.layout, state.expAvgSq, 'exp_avg_sq');
    this.exec.uploadF32(this.expAvg, expAvg);
    this.exec.uploadF32(this.expAvgSq, expAvgSq);
  }
}
