import type { IrOpOf, OpKind } from '../ir/types.js';
import type { KernelSpec, KernelTarget } from '../kernels/kernel.js';
import { GradientViews } from './gradient-views.js';
import { gradientBufferName } from './parameter-slots.js';
import type { PlanBuilder, Placement } from './plan-builder.js';
import type { PlanStep } from './plan-types.js';

/**
 * Binding names backward kernel generators leave to the caller as scratch of the size they declare:
 * LayerNorm statistics and sums, the linear's dA and dPre, reduction partials, carries between split
 * launches, the sLSTM tape and state gradient, the cross-entropy's per-row losses.
 */
const SCRATCH_BINDINGS = new Set(['partial', 'carry', 'stats', 'sums', 'dA', 'dPre', 'tape', 'dState', 'rowLoss']);

/**
 * Values recomputed in the backward instead of kept from the forward: the outputs of the cheap
 * elementwise groups (conv + SiLU, the mLSTM output gating, the gated FFN activation). Their forward
 * dispatch reruns right before the first backward kernel that reads them, from inputs the backward
 * keeps anyway, so their buffers are free between forward and backward.
 */
const RECOMPUTED_PRODUCERS = new Set<OpKind>(['activation', 'mul']);

/**
 * The state of planning a backward pass on top of a forward one (`buildForward`): its steps are
 * appended to the forward builder's, so buffers are allocated over both and a forward value lives
 * exactly until the last backward kernel that reads it.
 */
export class BackwardBuilder {
  readonly grads: GradientViews;
  /** Forward steps; everything after is backward. */
  readonly forwardSteps: number;
  /** What the backward recomputed, for the plan listing. */
  readonly recomputedNotes: string[] = [];
  private readonly absorbed = new Set<number>();
  /** Forward buffer of a recomputable value → the step that wrote it. */
  private readonly recomputable = new Map<string, number>();
  private readonly recomputed = new Map<string, string>();

  constructor(readonly p: PlanBuilder) {
    this.grads = new GradientViews(p);
    this.forwardSteps = p.steps.length;
    for (const op of p.ir.ops) {
      const out = op.outputs[0]!;
      if (!RECOMPUTED_PRODUCERS.has(op.op) || !p.isPlaced(out)) continue;
      const at = p.placement(out);
      const writer = this.writerOf(at.buffer);
      if (writer !== undefined && at.offset === 0 && at.rowStride === at.width) this.recomputable.set(at.buffer, writer);
    }
  }

  get target(): KernelTarget {
    return this.p.options.target;
  }

  get rows(): number {
    return this.p.rows;
  }

  /** Marks an op as handled by a kernel group planned for a later op (in forward order). */
  absorb(...indices: number[]): void {
    for (const i of indices) this.absorbed.add(i);
  }

  isAbsorbed(index: number): boolean {
    return this.absorbed.has(index);
  }

  /** The op producing a value, when it is of `kind`. */
  producerOf<K extends OpKind>(id: number, kind: K): { index: number; op: IrOpOf<K> } | undefined {
    const found = this.p.producer(id);
    return found?.op.op === kind ? (found as { index: number; op: IrOpOf<K> }) : undefined;
  }

  /** For kernels that can only overwrite: the gradient must not hold a contribution yet. */
  firstWrite(id: number, what: string): void {
    if (this.grads.accumulates(id)) throw new Error(`plan: ${what}: the gradient of %${id} already holds another contribution`);
  }

  /** Where a forward value can be read in the backward: its forward placement, or its recomputation. */
  forwardView(id: number): Placement {
    const at = this.p.placement(id);
    return this.recomputable.has(at.buffer) ? { ...at, buffer: this.recompute(at.buffer) } : at;
  }

  /** A forward value as a whole contiguous buffer. */
  forwardBuffer(id: number, what: string): string {
    const at = this.forwardView(id);
    if (at.offset !== 0 || at.rowStride !== at.width) throw new Error(`plan: ${what} needs %${id} contiguous, it is a strided view`);
    return at.buffer;
  }

  /** The gradient buffer of a parameter (a view of the flat gradient buffer at run time). */
  paramGrad(name: string): string {
    const param = this.p.buffers.get(name);
    if (param?.kind !== 'param') throw new Error(`plan: no parameter ${name}`);
    return this.p.declare(gradientBufferName(name), param.elements, 'f32', 'gradient');
  }

  /**
   * Appends the kernels of one backward group, each bound to the buffers of its bindings; scratch
   * bindings left out of `tensors` get fresh scratch. A tensor no kernel binds is a planning error.
   */
  emit(kernels: readonly KernelSpec[], tensors: Readonly<Record<string, string>>, source: string, extra: Partial<PlanStep> = {}): void {
    const names = new Set(kernels.flatMap((k) => k.bindings.map((b) => b.name)));
    const unused = Object.keys(tensors).filter((t) => !names.has(t));
    if (unused.length > 0) throw new Error(`plan: ${source}: no kernel of [${kernels.map((k) => k.name).join(', ')}] binds ${unused.join(', ')}`);
    const map: Record<string, string> = { ...tensors };
    for (const name of names) {
      if (map[name] !== undefined) continue;
      if (!SCRATCH_BINDINGS.has(name)) throw new Error(`plan: ${source}: nothing bound to '${name}'`);
      const bindings = kernels.flatMap((k) => k.bindings.filter((b) => b.name === name));
      map[name] = this.p.scratch(`${kernels[0]!.name}.${name}`, Math.max(...bindings.map((b) => b.elements)), bindings[0]!.type);
    }
    for (const k of kernels) {
      this.p.steps.push({ kernel: k, tensors: Object.fromEntries(k.bindings.map((b) => [b.name, map[b.name]!])), source, ...extra });
    }
  }

  /** The forward step that wrote a buffer, if it is one kernel writing nothing else. */
  private writerOf(buffer: string): number | undefined {
    for (let i = this.forwardSteps - 1; i >= 0; i--) {
      const step = this.p.steps[i]!;
      const writes = step.kernel.bindings.filter((b) => b.access === 'read_write');
      if (!writes.some((b) => step.tensors[b.name] === buffer)) continue;
      return writes.length === 1 ? i : undefined;
    }
    return undefined;
  }

  /** Reruns the forward step that wrote `buffer` into a buffer of its own (once), its inputs recomputed too. */
  private recompute(buffer: string): string {
    const done = this.recomputed.get(buffer);
    if (done !== undefined) return done;
    const step = this.p.steps[this.recomputable.get(buffer)!]!;
    const out = this.p.declare(`${buffer} (recomputed)`, this.p.buffers.get(buffer)!.elements, 'f32', 'activation');
    const tensors = Object.fromEntries(
      step.kernel.bindings.map((b) => {
        const bound = step.tensors[b.name]!;
        return [b.name, b.access === 'read_write' ? out : this.recomputable.has(bound) ? this.recompute(bound) : bound];
      }),
    );
    this.p.steps.push({ ...step, tensors, source: `recompute: ${step.source}` });
    this.recomputed.set(buffer, out);
    this.recomputedNotes.push(`${buffer}: ${step.kernel.name} reruns before its first backward reader`);
    return out;
  }
}
