import { BYTES_PER_ELEMENT, type ScalarType } from '../../compiler/kernels/kernel.js';
import { BufferUsage } from '../gpu-constants.js';

/** A named device buffer holding `elements` values of `type`. */
export interface DeviceTensor {
  readonly name: string;
  readonly type: ScalarType;
  readonly elements: number;
  readonly buffer: GPUBuffer;
  /** Unique per buffer ever created by the arena; a replaced tensor gets a new id. */
  readonly id: number;
}

export interface ArenaStats {
  /** Buffers created (first requests and replacements). */
  created: number;
  /** Requests answered with an existing buffer. */
  reused: number;
  /** Buffers destroyed because a request changed a name's size or type. */
  replaced: number;
  /** Bytes held now. */
  bytes: number;
  /** Tensors held now. */
  live: number;
}

/**
 * Named device buffers created once and reused across steps: asking again for a name with the same
 * size and type returns the same buffer, so a training or generation loop allocates only on its first
 * step. Asking with another size or type replaces the buffer (sequence length changed, say).
 */
export class BufferArena {
  readonly stats: ArenaStats = { created: 0, reused: 0, replaced: 0, bytes: 0, live: 0 };
  private readonly tensors = new Map<string, DeviceTensor>();
  private nextId = 1;
  private readonly disposeListeners: ((t: DeviceTensor) => void)[] = [];

  constructor(private readonly device: GPUDevice) {}

  tensor(name: string, elements: number, type: ScalarType = 'f32'): DeviceTensor {
    if (!Number.isInteger(elements) || elements < 1) throw new Error(`tensor ${name}: element count must be a positive integer, got ${elements}`);
    const existing = this.tensors.get(name);
    if (existing && existing.elements === elements && existing.type === type) {
      this.stats.reused++;
      return existing;
    }
    if (existing) {
      this.stats.replaced++;
      this.release(name);
    }
    const bytes = elements * BYTES_PER_ELEMENT[type];
    const buffer = this.device.createBuffer({
      label: name,
      size: bytes,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    const t: DeviceTensor = { name, type, elements, buffer, id: this.nextId++ };
    this.tensors.set(name, t);
    this.stats.created++;
    this.stats.bytes += bytes;
    this.stats.live++;
    return t;
  }

  get(name: string): DeviceTensor | undefined {
    return this.tensors.get(name);
  }

  release(name: string): void {
    const t = this.tensors.get(name);
    if (!t) return;
    this.tensors.delete(name);
    this.stats.bytes -= t.buffer.size;
    this.stats.live--;
    for (const listener of this.disposeListeners) listener(t);
    t.buffer.destroy();
  }

  releaseAll(): void {
    for (const name of [...this.tensors.keys()]) this.release(name);
  }

  /** Called before a tensor's buffer is destroyed (the executor drops bind groups that use it). */
  onDispose(listener: (t: DeviceTensor) => void): void {
    this.disposeListeners.push(listener);
  }
}
