import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDevice, kernelTargetOf, NoAdapterError, requestedLimits } from '../../../runtime/device.js';
import { plannedLoopBudget } from '../../../compiler/kernels/kernel.js';
import { GpuError } from '../../../runtime/device-monitor.js';
import { acquireNodeDevice } from '../../../runtime/device-node.js';
import { UserError } from '../../../runtime/errors.js';
import { Executor } from '../../../runtime/exec/executor.js';
import { openGpuKit, type GpuKit } from './gpu-test-kit.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

const info = { vendor: 'acme', architecture: '', device: 'tiny', description: 'Tiny GPU' };

/** A `GPU` whose adapter has the given limits and refuses to make devices. */
function fakeGpu(limits: Record<string, number> | null): GPU {
  const adapter = limits && {
    info,
    limits,
    features: new Set<string>(),
    requestDevice: () => Promise.reject(new Error('a fake adapter makes no devices')),
  };
  return { requestAdapter: () => Promise.resolve(adapter) } as unknown as GPU;
}

describe('acquireDevice', () => {
  it('reports a missing adapter as a NoAdapterError naming the backend', async () => {
    const error = await acquireDevice(fakeGpu(null), { backend: 'vulkan' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAdapterError);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe('no WebGPU adapter from the vulkan backend');
  });

  it('refuses an adapter below a limit the model needs, naming the limit and both values', async () => {
    const gpu = fakeGpu({ maxStorageBufferBindingSize: 1 << 20, maxStorageBuffersPerShaderStage: 8 });
    await expect(acquireDevice(gpu, { requiredLimits: { maxStorageBuffersPerShaderStage: 10 } })).rejects.toThrow(
      'this model needs maxStorageBuffersPerShaderStage ≥ 10, but the adapter (acme, tiny, Tiny GPU) offers 8',
    );
  });
});

describe('requestedLimits', () => {
  it('raises the compute limits to the adapter’s values and keeps what the model needs', () => {
    const adapter = { maxStorageBuffersPerShaderStage: 16, maxComputeInvocationsPerWorkgroup: 1024, maxVertexBuffers: 8, minStorageBufferOffsetAlignment: 256 };
    expect(requestedLimits(adapter, { maxVertexBuffers: 4, minStorageBufferOffsetAlignment: 256 }, info)).toEqual({
      maxStorageBuffersPerShaderStage: 16,
      maxComputeInvocationsPerWorkgroup: 1024,
      maxVertexBuffers: 4,
    });
    expect(() => requestedLimits(adapter, { minStorageBufferOffsetAlignment: 64 }, info)).toThrow(/minStorageBufferOffsetAlignment ≤ 64.*offers 256/);
    expect(() => requestedLimits(adapter, { maxNothing: 1 }, info)).toThrow(/maxNothing, which the adapter does not report/);
  });
});

describe('acquireNodeDevice', () => {
  it('finds an adapter, raises its limits and describes it', () => {
    const { dev } = kit;
    expect(dev.backend).toMatch(/^(vulkan|metal|d3d12|opengles|opengl)$/);
    expect(['core', 'compatibility']).toContain(dev.featureLevel);
    // at least WebGPU's defaults, which the raising never lowers
    expect(dev.limits['maxStorageBuffersPerShaderStage']).toBeGreaterThanOrEqual(8);
    expect(dev.limits['maxComputeInvocationsPerWorkgroup']).toBeGreaterThanOrEqual(256);
    expect(dev.adapterInfo.description + dev.adapterInfo.device).not.toBe('');
    expect(dev.instance).toBeDefined();
  });

  it('plans kernels with the loop cap its quirks probe measured', () => {
    expect(kernelTargetOf(kit.dev).maxLoopIterationsPerInvocation).toBe(plannedLoopBudget(kit.dev.quirks.maxLoopIterationsPerInvocation));
    expect(kernelTargetOf(kit.dev).shaderF16).toBe(kit.dev.features.includes('shader-f16'));
  });

  it('reaches the CPU fallback through OpenGL ES when asked for it', async () => {
    const dev = await acquireNodeDevice({ mode: 'cpu-gl', probe: false });
    try {
      expect(dev.backend).toBe('opengles');
      expect(dev.featureLevel).toBe('compatibility');
    } finally {
      dev.destroy();
    }
  });
});

describe('device errors', () => {
  it('turns the loss of the device into a GpuError on the next step', async () => {
    const dev = await acquireNodeDevice({ probe: false });
    const exec = new Executor(dev);
    const t = exec.tensor('x', 4);
    dev.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(dev.monitor.lost).toBe(true);
    await expect(exec.readF32(t)).rejects.toThrow(GpuError);
    await expect(exec.readF32(t)).rejects.toThrow(/destroyed/);
  });

  it('attributes an error raised outside any scope to what the device was doing', async () => {
    const dev = await acquireNodeDevice({ probe: false });
    try {
      dev.monitor.activity = 'kernel some_kernel (m.xlstm:3:1)';
      dev.device.createBuffer({ size: 4, usage: 0x0001 | 0x0080 }); // MAP_READ | STORAGE is invalid
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(() => dev.monitor.check()).toThrow(/validation error during kernel some_kernel \(m.xlstm:3:1\): .*usage/i);
    } finally {
      dev.destroy();
    }
  });
});
