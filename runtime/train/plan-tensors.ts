import type { BufferSpec, PlanStep } from '../../compiler/plan/plan-types.js';
import type { DeviceTensor } from '../exec/arena.js';
import type { Dispatch, Executor } from '../exec/executor.js';

/**
 * A plan's buffers on the device: those `shared` returns (parameters, gradients, optimizer state:
 * owned by the backend, views of its flat buffers) and one arena tensor for each other buffer,
 * created once, so running the plan again allocates nothing. The dispatches of its steps are bound
 * once too.
 */
export class PlanTensors {
  private readonly tensors = new Map<string, DeviceTensor>();
  private readonly own: string[] = [];

  constructor(
    private readonly exec: Executor,
    key: string,
    buffers: readonly BufferSpec[],
    shared: (buffer: BufferSpec) => DeviceTensor | undefined,
  ) {
    for (const b of buffers) {
      let t = shared(b);
      if (t === undefined) {
        t = exec.tensor(`${key}/${b.name}`, b.elements, b.type);
        this.own.push(t.name);
      }
      this.tensors.set(b.name, t);
    }
  }

  get(name: string): DeviceTensor {
    const t = this.tensors.get(name);
    if (t === undefined) throw new Error(`internal: the plan has no buffer ${name}`);
    return t;
  }

  /** The steps as dispatches, each binding resolved to its tensor, with the steps' fixed uniforms. */
  dispatches(steps: readonly PlanStep[]): Dispatch[] {
    return steps.map((s) => ({
      kernel: s.kernel,
      tensors: Object.fromEntries(Object.entries(s.tensors).map(([binding, buffer]) => [binding, this.get(buffer)])),
      ...(s.uniforms !== undefined ? { uniforms: s.uniforms } : {}),
    }));
  }

  /** Frees the tensors the plan owns (not the shared ones). */
  release(): void {
    for (const name of this.own) this.exec.arena.release(name);
    this.own.length = 0;
    this.tensors.clear();
  }
}
