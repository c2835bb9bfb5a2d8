import { BYTES_PER_ELEMENT, type KernelSpec } from '../../compiler/kernels/kernel.js';
import type { XlstmDevice } from '../device.js';
import { GpuError, type DeviceMonitor } from '../device-monitor.js';
import { BufferUsage } from '../gpu-constants.js';
import { BufferArena, type DeviceTensor } from './arena.js';
import { kernelLabel, PipelineCache, type CachedPipeline } from './pipeline-cache.js';
import { ReadbackPool, type PendingRead, type TensorData } from './readback.js';

/** One kernel launch: the kernel, a tensor for each of its bindings (by name), its uniform values. */
export interface Dispatch {
  kernel: KernelSpec;
  tensors: Readonly<Record<string, DeviceTensor>>;
  uniforms?: Readonly<Record<string, number>>;
}

export interface ExecutorOptions {
  /**
   * Submit each dispatch separately inside its own error scopes, so a validation error names the
   * exact kernel (slower: one submit per dispatch instead of one per step).
   */
  debug?: boolean;
}

export interface ExecutorStats {
  runs: number;
  submits: number;
  dispatches: number;
  bindGroupsCreated: number;
  readbacks: number;
}

/**
 * Runs kernels on a device: tensors from a reusable arena, pipelines built once per cache key, every
 * dispatch of a step encoded into one command encoder and one submit (on Dawn's GL backend each
 * submit runs synchronously and costs ~70–110 µs), readback only of the tensors asked for.
 * Steps run in call order even when not awaited.
 */
export class Executor {
  readonly arena: BufferArena;
  readonly stats: ExecutorStats = { runs: 0, submits: 0, dispatches: 0, bindGroupsCreated: 0, readbacks: 0 };
  private readonly device: GPUDevice;
  private readonly monitor: DeviceMonitor;
  private readonly pipelines: PipelineCache;
  private readonly readbacks: ReadbackPool;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  /** Uniform buffers by dispatch position within a step, reused by every step (holes where none). */
  private readonly uniformBuffers: (GPUBuffer | undefined)[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    dev: XlstmDevice,
    private readonly options: ExecutorOptions = {},
  ) {
    this.device = dev.device;
    this.monitor = dev.monitor;
    this.arena = new BufferArena(dev.device);
    this.pipelines = new PipelineCache(dev.device);
    this.readbacks = new ReadbackPool(dev.device);
    this.arena.onDispose((t) => {
      for (const key of this.bindGroups.keys()) if (key.split('|').includes(`t${t.id}`)) this.bindGroups.delete(key);
    });
  }

  get pipelineStats(): Readonly<{ created: number; hits: number }> {
    return this.pipelines.stats;
  }

  tensor(name: string, elements: number, type: DeviceTensor['type'] = 'f32'): DeviceTensor {
    return this.arena.tensor(name, elements, type);
  }

  uploadF32(t: DeviceTensor, data: Float32Array, offsetElements = 0): void {
    this.upload(t, 'f32', data, offsetElements);
  }

  uploadI32(t: DeviceTensor, data: Int32Array, offsetElements = 0): void {
    this.upload(t, 'i32', data, offsetElements);
  }

  uploadU32(t: DeviceTensor, data: Uint32Array, offsetElements = 0): void {
    this.upload(t, 'u32', data, offsetElements);
  }

  /**
   * Encodes all dispatches into one pass and submits once; resolves with the contents of `read`
   * (after the step) in order. Rejects with a GpuError naming the kernels when WebGPU reports an error.
   */
  run(dispatches: readonly Dispatch[], options: { read?: readonly DeviceTensor[] } = {}): Promise<TensorData[]> {
    const result = this.queue.then(() => this.runNow(dispatches, options.read ?? []));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async readF32(t: DeviceTensor): Promise<Float32Array> {
    if (t.type !== 'f32') throw new Error(`tensor ${t.name} holds ${t.type}, not f32`);
    const [data] = await this.run([], { read: [t] });
    return data as Float32Array;
  }

  /** Destroys the arena's tensors and the executor's own buffers (not the device). */
  dispose(): void {
    this.arena.releaseAll();
    this.readbacks.destroy();
    for (const b of this.uniformBuffers) b?.destroy();
    this.uniformBuffers.length = 0;
    this.bindGroups.clear();
  }

  private upload(t: DeviceTensor, type: DeviceTensor['type'], data: TensorData, offset: number): void {
    if (t.type !== type) throw new Error(`tensor ${t.name} holds ${t.type}; cannot upload ${type} values`);
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > t.elements) {
      throw new Error(`tensor ${t.name} has ${t.elements} elements; cannot upload ${data.length} at offset ${offset}`);
    }
    this.monitor.check();
    this.device.queue.writeBuffer(t.buffer, (t.byteOffset ?? 0) + offset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  private async runNow(dispatches: readonly Dispatch[], read: readonly DeviceTensor[]): Promise<TensorData[]> {
    this.monitor.check();
    dispatches.forEach(validateDispatch);
    // Build every new pipeline before touching uniform buffers: nothing below awaits until the submit.
    const pipelines = await Promise.all(dispatches.map((d) => this.pipelines.get(d.kernel)));
    this.monitor.check();
    this.stats.runs++;
    const bindGroups = dispatches.map((d, i) => this.bindGroup(d, pipelines[i]!, i));

    const errors: Promise<string | undefined>[] = [];
    const pending: PendingRead[] = [];
    const submit = (range: number[], what: string, copies: readonly DeviceTensor[]): void => {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      const encoder = this.device.createCommandEncoder({ label: what });
      if (range.length) {
        const pass = encoder.beginComputePass({ label: what });
        for (const i of range) {
          const d = dispatches[i]!;
          this.monitor.activity = kernelLabel(d.kernel);
          pass.setPipeline(pipelines[i]!.pipeline);
          pass.setBindGroup(0, bindGroups[i]!);
          pass.dispatchWorkgroups(...d.kernel.dispatch);
        }
        pass.end();
      }
      for (const t of copies) pending.push(this.readbacks.copyOut(encoder, t));
      this.monitor.activity = what;
      this.device.queue.submit([encoder.finish()]);
      this.stats.submits++;
      this.stats.dispatches += range.length;
      const validation = this.device.popErrorScope();
      const memory = this.device.popErrorScope();
      errors.push(
        Promise.all([validation, memory]).then(([v, m]) => {
          const e = v ?? m;
          return e ? `WebGPU ${v ? 'validation' : 'out-of-memory'} error in ${what}: ${e.message.trim()}` : undefined;
        }),
      );
    };
    const stepName = (range: number[]): string => `step [${range.map((i) => dispatches[i]!.kernel.name).join(', ')}]`;
    if (this.options.debug) {
      dispatches.forEach((d, i) => submit([i], kernelLabel(d.kernel), i === dispatches.length - 1 ? read : []));
      if (!dispatches.length) submit([], 'readback', read);
    } else {
      const all = dispatches.map((_, i) => i);
      submit(all, stepName(all), read);
    }
    this.monitor.activity = 'idle';

    const messages = (await Promise.all(errors)).filter((m): m is string => m !== undefined);
    if (messages.length) throw new GpuError(messages[0]!);
    const data = await Promise.all(pending.map((p) => this.readbacks.collect(p)));
    this.stats.readbacks += data.length;
    this.monitor.check();
    return data;
  }

  private bindGroup(d: Dispatch, cached: CachedPipeline, position: number): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = d.kernel.bindings.map((b, binding) => ({ binding, resource: bufferBinding(d.tensors[b.name]!) }));
    const keyParts = [d.kernel.cacheKey, ...d.kernel.bindings.map((b) => `t${d.tensors[b.name]!.id}`)];
    if (d.kernel.uniforms?.length) {
      const uniform = this.writeUniforms(d, position);
      entries.push({ binding: d.kernel.bindings.length, resource: { buffer: uniform } });
      keyParts.push(`u${position}`);
    }
    const key = keyParts.join('|');
    let group = this.bindGroups.get(key);
    if (!group) {
      group = this.device.createBindGroup({ label: d.kernel.name, layout: cached.layout, entries });
      this.bindGroups.set(key, group);
      this.stats.bindGroupsCreated++;
    }
    return group;
  }

  private writeUniforms(d: Dispatch, position: number): GPUBuffer {
    const fields = d.kernel.uniforms ?? [];
    const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
    let buffer = this.uniformBuffers[position];
    if (!buffer || buffer.size < bytes) {
      buffer?.destroy();
      for (const key of this.bindGroups.keys()) if (key.endsWith(`|u${position}`)) this.bindGroups.delete(key);
      buffer = this.device.createBuffer({ label: `uniforms #${position}`, size: bytes, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
      this.uniformBuffers[position] = buffer;
    }
    const view = new DataView(new ArrayBuffer(bytes));
    fields.forEach((f, i) => {
      const value = d.uniforms?.[f.name];
      if (value === undefined) throw new Error(`${kernelLabel(d.kernel)}: no value for uniform '${f.name}'`);
      if (f.type === 'f32') view.setFloat32(i * 4, value, true);
      else if (f.type === 'i32') view.setInt32(i * 4, value, true);
      else view.setUint32(i * 4, value, true);
    });
    this.device.queue.writeBuffer(buffer, 0, view.buffer);
    return buffer;
  }
}

/** A whole buffer, or a view's slice of its parent's. */
function bufferBinding(t: DeviceTensor): GPUBufferBinding {
  return t.byteOffset === undefined ? { buffer: t.buffer } : { buffer: t.buffer, offset: t.byteOffset, size: t.elements * BYTES_PER_ELEMENT[t.type] };
}

/** Every binding bound to a tensor of the right type and size, nothing extra, no writable aliasing. */
function validateDispatch(d: Dispatch): void {
  const label = kernelLabel(d.kernel);
  const names = new Set(d.kernel.bindings.map((b) => b.name));
  for (const name of Object.keys(d.tensors)) {
    if (!names.has(name)) throw new Error(`${label} has no binding '${name}' (it has ${[...names].join(', ')})`);
  }
  const boundAs = new Map<number, string>();
  const bufferAccess = new Map<GPUBuffer, { access: string; binding: string }>();
  for (const b of d.kernel.bindings) {
    const t = d.tensors[b.name];
    if (!t) throw new Error(`${label}: no tensor for binding '${b.name}'`);
    if (t.type !== b.type) throw new Error(`${label}: binding '${b.name}' takes ${b.type}, tensor ${t.name} holds ${t.type}`);
    if (t.elements < b.elements) {
      throw new Error(`${label}: binding '${b.name}' needs ${b.elements} elements, tensor ${t.name} has ${t.elements}`);
    }
    const other = boundAs.get(t.id);
    if (other !== undefined && (b.access === 'read_write' || d.kernel.bindings.find((x) => x.name === other)!.access === 'read_write')) {
      throw new Error(`${label}: tensor ${t.name} is bound as both '${other}' and '${b.name}', and one of them is written`);
    }
    boundAs.set(t.id, b.name);
    // WebGPU tracks usage per buffer: views of one buffer may all be written, or all read, not both
    const access = bufferAccess.get(t.buffer);
    if (access !== undefined && access.access !== b.access) {
      throw new Error(`${label}: '${access.binding}' and '${b.name}' are views of one buffer, and only one of them is written`);
    }
    bufferAccess.set(t.buffer, { access: b.access, binding: b.name });
  }
}

/** Binds every kernel of one op (e.g. the kernels `linearKernels` returns) to one tensor map. */
export function bindAll(kernels: readonly KernelSpec[], tensors: Readonly<Record<string, DeviceTensor>>): Dispatch[] {
  const used = new Set(kernels.flatMap((k) => k.bindings.map((b) => b.name)));
  for (const name of Object.keys(tensors)) {
    if (!used.has(name)) throw new Error(`no kernel of [${kernels.map((k) => k.name).join(', ')}] has a binding '${name}'`);
  }
  return kernels.map((kernel) => ({
    kernel,
    tensors: Object.fromEntries(kernel.bindings.filter((b) => tensors[b.name]).map((b) => [b.name, tensors[b.name]!])),
  }));
}
