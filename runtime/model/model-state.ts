import { parseStateBufferName, type StateTensorSpec } from '../../compiler/plan/state-layout.js';
import { UserError } from '../errors.js';
import type { DeviceTensor } from '../exec/arena.js';

/**
 * The recurrent state of a batch of sequences, kept on the device between calls (an opaque handle:
 * read it with `WebGpuModel.readState`). Created all zero (`fresh`), as the official step API starts;
 * every run that writes it advances it in place. A conv window is a pair of buffers whose roles swap
 * after each such run, since its kernel reads one and writes the other.
 */
export class ModelState {
  private parity = 0;
  private isFresh = true;
  private disposed = false;

  /** @internal Created by `WebGpuModel.createState`. */
  constructor(
    readonly batch: number,
    /** @internal The model that made it; a state only fits its own model. */
    readonly owner: object,
    private readonly specs: readonly StateTensorSpec[],
    private readonly tensors: ReadonlyMap<string, readonly DeviceTensor[]>,
    private readonly release: () => void,
  ) {}

  /** True until a run has written the state: it is still the all-zero start. */
  get fresh(): boolean {
    return this.isFresh;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Frees the state's device buffers; the handle cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.release();
  }

  /** @internal The tensor a plan's state buffer name means now. */
  tensorFor(bufferName: string): DeviceTensor {
    this.checkUsable();
    const parsed = parseStateBufferName(bufferName);
    const pair = parsed === undefined ? undefined : this.tensors.get(parsed.tensor);
    if (parsed === undefined || pair === undefined) throw new Error(`state has no buffer for ${bufferName}`);
    if (parsed.side === undefined) return pair[0]!;
    return pair[parsed.side === 'in' ? this.parity : 1 - this.parity]!;
  }

  /** @internal The tensors holding the current state, in `stateTensors` order. */
  current(): { spec: StateTensorSpec; tensor: DeviceTensor }[] {
    this.checkUsable();
    return this.specs.map((spec) => ({ spec, tensor: this.tensors.get(spec.name)![spec.pingPong ? this.parity : 0]! }));
  }

  /** @internal After a run that wrote the state: it is no longer zero, and written windows become current. */
  advance(): void {
    this.isFresh = false;
    this.parity = 1 - this.parity;
  }

  /** @internal */
  checkUsable(): void {
    if (this.disposed) throw new UserError('this model state was disposed; create a new one');
  }
}
