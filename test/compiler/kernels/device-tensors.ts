import type { DeviceTensor } from '../../../runtime/exec/arena.js';
import type { Executor } from '../../../runtime/exec/executor.js';
import { poison } from '../../runtime/gpu/gpu-test-kit.js';

/** Kernel tests' tensors: uploaded inputs and NaN-poisoned outputs, by name, on one executor. */
export class DeviceTensors {
  readonly map: Record<string, DeviceTensor> = {};

  constructor(private readonly exec: Executor) {}

  input(name: string, data: Float32Array | Int32Array): DeviceTensor {
    const t = this.exec.tensor(name, data.length, data instanceof Int32Array ? 'i32' : 'f32');
    if (data instanceof Int32Array) this.exec.uploadI32(t, data);
    else this.exec.uploadF32(t, data);
    this.map[name] = t;
    return t;
  }

  /** An f32 tensor full of NaN, so elements a kernel fails to write show in the comparison. */
  output(name: string, elements: number): DeviceTensor {
    const t = this.exec.tensor(name, elements);
    poison(this.exec, t);
    this.map[name] = t;
    return t;
  }

  /** The tensors named, for one dispatch. */
  pick(...names: string[]): Record<string, DeviceTensor> {
    return Object.fromEntries(names.map((n) => [n, this.map[n]!]));
  }
}
