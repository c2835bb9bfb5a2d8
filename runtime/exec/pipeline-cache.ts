import type { KernelSpec } from '../../compiler/kernels/kernel.js';
import { GpuError } from '../device-monitor.js';
import { ShaderStage } from '../gpu-constants.js';

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/**
 * One compute pipeline per `cacheKey`, built on first use. Creation runs inside an error scope, so a
 * WGSL or layout error is thrown at once as a GpuError naming the kernel, its .xlstm source and the
 * offending WGSL line, rather than surfacing later as an unattributed validation error.
 */
export class PipelineCache {
  readonly stats = { created: 0, hits: 0 };
  private readonly pipelines = new Map<string, Promise<CachedPipeline>>();

  constructor(private readonly device: GPUDevice) {}

  get(kernel: KernelSpec): Promise<CachedPipeline> {
    const cached = this.pipelines.get(kernel.cacheKey);
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    this.stats.created++;
    const created = this.create(kernel);
    this.pipelines.set(kernel.cacheKey, created);
    created.catch(() => this.pipelines.delete(kernel.cacheKey));
    return created;
  }

  private async create(kernel: KernelSpec): Promise<CachedPipeline> {
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: kernel.name, code: kernel.wgsl });
    const entries: GPUBindGroupLayoutEntry[] = kernel.bindings.map((b, binding) => ({
      binding,
      visibility: ShaderStage.COMPUTE,
      buffer: { type: b.access === 'read' ? 'read-only-storage' : 'storage' },
    }));
    if (kernel.uniforms?.length) {
      entries.push({ binding: kernel.bindings.length, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform' } });
    }
    const layout = device.createBindGroupLayout({ label: kernel.name, entries });
    const pipeline = device.createComputePipeline({
      label: kernel.name,
      layout: device.createPipelineLayout({ label: kernel.name, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    const error = await device.popErrorScope();
    if (error) throw new GpuError(`${kernelLabel(kernel)}: pipeline creation failed: ${await describeShaderError(module, kernel, error)}`);
    return { pipeline, layout };
  }
}

export function kernelLabel(kernel: KernelSpec): string {
  return `kernel ${kernel.name}${kernel.source ? ` (${kernel.source})` : ''}`;
}

/** The compiler's first error with the WGSL line it points at, or the scope's message. */
async function describeShaderError(module: GPUShaderModule, kernel: KernelSpec, error: GPUError): Promise<string> {
  const info = await module.getCompilationInfo();
  const first = info.messages.find((m) => m.type === 'error');
  if (!first) return error.message.trim();
  const line = kernel.wgsl.split('\n')[first.lineNum - 1] ?? '';
  const gutter = `${first.lineNum} | `;
  return `WGSL ${first.lineNum}:${first.linePos}: ${first.message.split('\n')[0]}\n${gutter}${line}\n${' '.repeat(gutter.length + Math.max(0, first.linePos - 1))}^`;
}
