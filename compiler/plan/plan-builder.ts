import { numElements } from '../params.js';
import type { IrModule, IrOp, Operand } from '../ir/types.js';
import type { KernelSpec, KernelTarget, ScalarType } from '../kernels/kernel.js';
import type { ModelSpec } from '../spec.js';
import type { BufferKind, PlanMode, PlanStep } from './plan-types.js';
import { stateBufferName, stateTensors, type StatePart, type StateSide, type StateTensorSpec } from './state-layout.js';

/**
 * Where a value lives: `width` features per row, row r starting at `offset + r·rowStride` of
 * `buffer`. A value written by a kernel of its own is contiguous; a split's results are views into
 * their input, and q, k, v views into the concat the projection kernel writes.
 */
export interface Placement {
  buffer: string;
  rows: number;
  width: number;
  rowStride: number;
  offset: number;
}

export interface LogicalBuffer {
  name: string;
  elements: number;
  type: ScalarType;
  kind: BufferKind;
}

/** A LayerNorm fused into its consumers: they normalise `input` themselves. */
export interface NormPrologue {
  input: number;
  weight: string;
  eps: number;
  source: string;
}

export interface BuildOptions {
  target: KernelTarget;
  mode: PlanMode;
  fuse: boolean;
  stateOut: boolean;
  loss: boolean;
  sample: boolean;
}

/** Binding names generators leave for the caller to back with scratch memory of the size they declare. */
const SCRATCH_BINDINGS = new Set(['partial', 'carry', 'stats', 'decay', 'rowLoss']);

/**
 * The state of planning one IR module: which ops are done, where each value lives, the logical
 * buffers (one per value, parameter, input, output, scratch use) and the steps emitted so far.
 * Dropout is the identity at inference, so its result is an alias of its input throughout.
 */
export class PlanBuilder {
  readonly buffers = new Map<string, LogicalBuffer>();
  readonly steps: PlanStep[] = [];
  readonly notes = new Set<string>();
  /** LayerNorms left to the prologue of the linears that read them, by their result value. */
  readonly normPrologues = new Map<number, NormPrologue>();
  readonly batch: number;
  readonly time: number;
  private readonly placements = new Map<number, Placement>();
  private readonly done = new Set<number>();
  private readonly aliases = new Map<number, number>();
  private readonly users = new Map<number, number[]>();
  private readonly producers = new Map<number, number>();
  private readonly stateSpecs: StateTensorSpec[];
  private scratchCount = 0;

  constructor(
    readonly ir: IrModule,
    spec: ModelSpec,
    readonly options: BuildOptions,
  ) {
    this.batch = ir.batch;
    this.time = ir.seqLen;
    this.stateSpecs = stateTensors(spec, ir.batch);
    ir.ops.forEach((op, index) => {
      for (const id of op.outputs) this.producers.set(id, index);
      if (op.op === 'dropout') {
        this.aliases.set(op.outputs[0]!, this.resolve(valueOperand(op, 0)));
        this.done.add(index);
      }
    });
    ir.ops.forEach((op, index) => {
      if (op.op === 'dropout') return;
      for (const o of op.inputs) {
        if (o.kind !== 'value') continue;
        const id = this.resolve(o.id);
        const list = this.users.get(id) ?? [];
        if (!list.includes(index)) list.push(index);
        this.users.set(id, list);
      }
    });
  }

  /** The run continues a state held in the state buffers (recurrent mode). */
  get stateReads(): boolean {
    return this.options.mode === 'recurrent';
  }

  /** The run leaves its final state in the state buffers (recurrent, or parallel with stateOut). */
  get stateWrites(): boolean {
    return this.options.mode === 'recurrent' || this.options.stateOut;
  }

  get rows(): number {
    return this.batch * this.time;
  }

  resolve(id: number): number {
    return this.aliases.get(id) ?? id;
  }

  isDone(index: number): boolean {
    return this.done.has(index);
  }

  /** Marks an op as computed (by the kernel just emitted, or by one that absorbed it). */
  finish(index: number): void {
    this.done.add(index);
  }

  /** The ops reading a value (after dropout aliasing). */
  consumers(id: number): number[] {
    return this.users.get(this.resolve(id)) ?? [];
  }

  /** The one op reading a value, if exactly one does and the value is not a model output. */
  soleConsumer(id: number): { index: number; op: IrOp } | undefined {
    const list = this.consumers(id);
    if (list.length !== 1 || this.isModelOutput(id)) return undefined;
    return { index: list[0]!, op: this.ir.ops[list[0]!]! };
  }

  /** The op defining a value (after aliasing), or undefined for model inputs. */
  producer(id: number): { index: number; op: IrOp } | undefined {
    const index = this.producers.get(this.resolve(id));
    return index === undefined ? undefined : { index, op: this.ir.ops[index]! };
  }

  /** The value operand at position `at` of an op, resolved through aliases. */
  value(op: IrOp, at: number): number {
    return this.resolve(valueOperand(op, at));
  }

  /** The parameter operand at position `at` of an op (its buffer name is the parameter's name). */
  param(op: IrOp, at: number): string {
    const o = op.inputs[at];
    if (o?.kind !== 'param') throw new Error(`plan: operand ${at} of ${op.op} (${op.source}) is not a parameter`);
    const p = this.ir.params.find((x) => x.name === o.name);
    if (p === undefined) throw new Error(`plan: no parameter ${o.name}`);
    this.declare(o.name, numElements(p.shape), 'f32', 'param');
    return o.name;
  }

  /** The other operand of a binary op, given one of its value operands. */
  otherOperand(op: IrOp, id: number): Operand {
    const at = op.inputs.findIndex((o) => o.kind === 'value' && this.resolve(o.id) === this.resolve(id));
    if (at < 0 || op.inputs.length !== 2) throw new Error(`plan: ${op.op} (${op.source}) does not read %${id}`);
    return op.inputs[1 - at]!;
  }

  /** Whether a kernel wrote the value into a buffer (fused-away intermediates never are). */
  isPlaced(id: number): boolean {
    return this.placements.has(this.resolve(id));
  }

  placement(id: number): Placement {
    const p = this.placements.get(this.resolve(id));
    if (p === undefined) throw new Error(`plan: %${id} (${this.ir.values[id]?.name}) is used before any kernel wrote it`);
    return p;
  }

  /** A placement that is a whole contiguous buffer, as most kernels need. */
  contiguous(id: number, what: string): string {
    const p = this.placement(id);
    if (p.offset !== 0 || p.rowStride !== p.width) throw new Error(`plan: ${what} needs %${id} contiguous, it is a strided view`);
    return p.buffer;
  }

  place(id: number, p: Placement): void {
    this.placements.set(this.resolve(id), p);
  }

  /**
   * Gives a value a contiguous buffer of its own: an activation, or the `logits` output when it is
   * the model's logits.
   */
  define(id: number): string {
    const v = this.ir.values[this.resolve(id)]!;
    const shape = v.type.shape;
    const width = shape.length === 0 ? 1 : shape[shape.length - 1]!;
    const elements = numElements(shape);
    const isLogits = this.resolve(id) === this.ir.outputs.logits;
    const name = isLogits ? 'logits' : `%${v.id}:${v.name}`;
    this.declare(name, elements, v.type.dtype, isLogits ? 'output' : 'activation');
    this.place(id, { buffer: name, rows: elements / width, width, rowStride: width, offset: 0 });
    return name;
  }

  declare(name: string, elements: number, type: ScalarType, kind: BufferKind): string {
    const existing = this.buffers.get(name);
    if (existing !== undefined) {
      if (existing.elements !== elements || existing.type !== type || existing.kind !== kind) {
        throw new Error(`plan: buffer ${name} declared twice with different sizes or kinds`);
      }
      return name;
    }
    this.buffers.set(name, { name, elements, type, kind });
    return name;
  }

  /** The buffer of a block's state tensor (one side of a ping-pong pair), owned by the caller's state. */
  state(block: number | null, part: StatePart, side?: StateSide): string {
    const name = `block.${block}.${part}`;
    const spec = this.stateSpecs.find((s) => s.name === name);
    if (spec === undefined) throw new Error(`plan: the model has no state tensor ${name}`);
    return this.declare(stateBufferName(name, side), spec.elements, 'f32', 'state');
  }

  scratch(label: string, elements: number, type: ScalarType = 'f32'): string {
    return this.declare(`scratch#${this.scratchCount++}:${label}`, elements, type, 'scratch');
  }

  /**
   * Appends the kernels of one fused group, in order, each bound to the buffers of the bindings it
   * declares. Scratch bindings (`partial`, `carry`, …) left out of `tensors` get fresh scratch.
   */
  emit(kernels: readonly KernelSpec[], tensors: Readonly<Record<string, string>>, source: string, extra: Partial<PlanStep> = {}): void {
    const map: Record<string, string> = { ...tensors };
    for (const k of kernels) {
      for (const b of k.bindings) {
        if (map[b.name] !== undefined) continue;
        if (!SCRATCH_BINDINGS.has(b.name)) throw new Error(`plan: kernel ${k.name} (${source}) has no buffer for binding '${b.name}'`);
        const elements = Math.max(...kernels.flatMap((x) => x.bindings.filter((y) => y.name === b.name).map((y) => y.elements)));
        map[b.name] = this.scratch(`${k.name}.${b.name}`, elements, b.type);
      }
    }
    for (const k of kernels) {
      const bound = Object.fromEntries(k.bindings.map((b) => [b.name, map[b.name]!]));
      this.steps.push({ kernel: k, tensors: bound, source, ...extra });
    }
  }

  /** A kernel name from the op: `block 0 mLSTM proj_up` → `block0_proj_up`, with an optional suffix. */
  kernelName(op: IrOp, suffix = ''): string {
    const what = op.source
      .replace(/^block \d+ [ms]LSTM /, '')
      .replace(/\(.*$/, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '');
    return [op.block === null ? '' : `block${op.block}`, what, suffix].filter(Boolean).join('_');
  }

  private isModelOutput(id: number): boolean {
    const r = this.resolve(id);
    return r === this.ir.outputs.logits || r === this.ir.outputs.loss;
  }
}

/** The `source` of a step computing several IR ops: their sources in order. */
export function joinSources(...sources: string[]): string {
  return sources.join('; ');
}

function valueOperand(op: IrOp, at: number): number {
  const o = op.inputs[at];
  if (o?.kind !== 'value') throw new Error(`plan: operand ${at} of ${op.op} (${op.source}) is not a value`);
  return o.id;
}
