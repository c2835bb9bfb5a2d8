import { BYTES_PER_ELEMENT, type ScalarType } from '../../compiler/kernels/kernel.js';
import { BufferUsage, MapMode } from '../gpu-constants.js';
import type { DeviceTensor } from './arena.js';

export type TensorData = Float32Array | Int32Array | Uint32Array;

const ARRAY: Record<ScalarType, { new (buffer: ArrayBuffer): TensorData; new (length: number): TensorData }> = {
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
};

/**
 * Mappable staging buffers, pooled by size. A read copies a tensor into one inside the step's command
 * encoder; once the copy lands, the values are copied out of the mapped range with `set` (DESIGN.md §7:
 * `getMappedRange().slice(0)` costs ~3 ms per MB on Dawn) and the buffer goes back to the pool.
 */
export class ReadbackPool {
  private readonly free = new Map<number, GPUBuffer[]>();

  constructor(private readonly device: GPUDevice) {}

  /** Records the copy of `t` into a staging buffer; call `collect` on the result after submitting. */
  copyOut(encoder: GPUCommandEncoder, t: DeviceTensor): PendingRead {
    // a view copies its slice; a whole tensor its buffer
    const bytes = t.byteOffset === undefined ? t.buffer.size : t.elements * BYTES_PER_ELEMENT[t.type];
    const staging =
      this.free.get(bytes)?.pop() ??
      this.device.createBuffer({ label: `readback ${bytes}B`, size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(t.buffer, t.byteOffset ?? 0, staging, 0, bytes);
    return { tensor: t, staging };
  }

  async collect(read: PendingRead): Promise<TensorData> {
    const { staging, tensor } = read;
    await staging.mapAsync(MapMode.READ);
    const Array = ARRAY[tensor.type];
    const out = new Array(tensor.elements);
    out.set(new Array(staging.getMappedRange()));
    staging.unmap();
    const list = this.free.get(staging.size) ?? [];
    list.push(staging);
    this.free.set(staging.size, list);
    return out;
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
  }
}

export interface PendingRead {
  tensor: DeviceTensor;
  staging: GPUBuffer;
}
