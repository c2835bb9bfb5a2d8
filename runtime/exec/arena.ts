import { BYTES_PER_ELEMENT, type ScalarType } from '../../compiler/kernels/kernel.js';
import { BufferUsage } from '../gpu-constants.js';

/** Byte alignment of a view's start: WebGPU's default (and largest allowed) minStorageBufferOffsetAlignment. */
export const VIEW_ALIGNMENT = 256;

/** A named device buffer holding `elements` values of `type`. */
export interface DeviceTensor {
  readonly name: string;
  readonly type: ScalarType;
  readonly elements: number;
  readonly buffer: GPUBuffer;
  /** Unique per buffer ever created by the arena; a replaced tensor gets a new id. */
  readonly id: number;
  /**
   * Set on a view (`BufferArena.view`): the tensor is the `elements` values starting this many bytes
   * into `buffer`, which belongs to another tensor. Unset: the whole buffer.
   */
  readonly byteOffset?: number;
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
  /** Views by their parent's name. */
  private readonly views = new Map<string, DeviceTensor[]>();
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

  /**
   * A tensor that is a slice of another one's buffer (no allocation): e.g. each parameter of a model
   * whose parameters live in one flat buffer, so kernels bind a parameter and AdamW binds them all.
   * `offsetElements` must be aligned to the device's minStorageBufferOffsetAlignment (256 bytes on
   * every WebGPU device we know: 64 values). Released with its parent. WebGPU tracks usage per
   * buffer, so one dispatch may write several views of a buffer or read several, not both.
   */
  view(parent: DeviceTensor, name: string, offsetElements: number, elements: number): DeviceTensor {
    const owner = this.tensors.get(parent.name);
    if (owner !== parent || parent.byteOffset !== undefined) throw new Error(`view ${name}: ${parent.name} is not a whole tensor of this arena`);
    if (!Number.isInteger(offsetElements) || offsetElements < 0 || !Number.isInteger(elements) || elements < 1 || offsetElements + elements > parent.elements) {
      throw new Error(`view ${name}: ${elements} values at ${offsetElements} do not fit ${parent.name} (${parent.elements} values)`);
    }
    const byteOffset = offsetElements * BYTES_PER_ELEMENT[parent.type];
    if (byteOffset % VIEW_ALIGNMENT !== 0) throw new Error(`view ${name}: offset ${byteOffset} bytes is not a multiple of ${VIEW_ALIGNMENT}`);
    const view: DeviceTensor = { name, type: parent.type, elements, buffer: parent.buffer, id: this.nextId++, byteOffset };
    const list = this.views.get(parent.name) ?? [];
    list.push(view);
    this.views.set(parent.name, list);
    return view;
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
    for (const v of this.views.get(name) ?? []) for (const listener of this.disposeListeners) listener(v);
    this.views.delete(name);
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
