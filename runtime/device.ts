import { plannedLoopBudget, type KernelTarget } from '../compiler/kernels/kernel.js';
import { DeviceMonitor } from './device-monitor.js';
import { UserError } from './errors.js';
import { probeQuirks, type DeviceQuirks } from './quirks.js';

/**
 * Device acquisition from any `GPU` object (`navigator.gpu` in a browser, `create()` of npm `webgpu`
 * in Node, see device-node.ts): adapter, limits, features, quirks, and error hooks.
 */

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export type FeatureLevel = 'core' | 'compatibility';

export interface XlstmDevice {
  readonly device: GPUDevice;
  readonly adapterInfo: AdapterSummary;
  /** The backend this device runs on, as the caller named it ('vulkan', 'opengles', 'browser', …). */
  readonly backend: string;
  readonly featureLevel: FeatureLevel;
  /** The device's limits (after raising), as a plain record. */
  readonly limits: Readonly<Record<string, number>>;
  readonly features: readonly string[];
  readonly quirks: DeviceQuirks;
  readonly monitor: DeviceMonitor;
  /** The object that owns the native instance, referenced for the device's lifetime (see device-node.ts). */
  readonly instance?: unknown;
  /** Destroys the device; buffers and pipelines made on it become unusable. */
  destroy(): void;
}

export interface AcquireOptions {
  featureLevel?: FeatureLevel;
  powerPreference?: GPUPowerPreference;
  /** Limits the model needs; an adapter that cannot reach one is refused with the limit's name. */
  requiredLimits?: Readonly<Record<string, number>>;
  /** Ask for `shader-f16` where the adapter has it (default true). */
  f16?: boolean;
  backend?: string;
  instance?: unknown;
  /** Run the quirks probe (default true); when false the quirks are the conservative guesses. */
  probe?: boolean;
}

/** No adapter at all (as opposed to an adapter that is too small). */
export class NoAdapterError extends UserError {}

/**
 * Limits raised to whatever the adapter offers: the defaults (8 storage buffers per stage, 128
 * invocations per workgroup, 16 KiB workgroup memory, 128 MiB bindings) are too small for fused
 * kernels, and asking for the adapter's own values can never fail.
 */
const RAISED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
] as const;

const CONSERVATIVE_QUIRKS: DeviceQuirks = { maxLoopIterationsPerInvocation: 65_535, probeMs: 0 };

export async function acquireDevice(gpu: GPU, options: AcquireOptions = {}): Promise<XlstmDevice> {
  const adapter = await gpu.requestAdapter({
    ...(options.featureLevel ? { featureLevel: options.featureLevel } : {}),
    ...(options.powerPreference ? { powerPreference: options.powerPreference } : {}),
  });
  if (!adapter) {
    throw new NoAdapterError(`no WebGPU adapter${options.backend ? ` from the ${options.backend} backend` : ''}`);
  }
  const adapterInfo = summarise(adapter.info);
  const adapterLimits = limitRecord(adapter.limits);
  const requiredLimits = requestedLimits(adapterLimits, options.requiredLimits ?? {}, adapterInfo);
  const requiredFeatures: GPUFeatureName[] = [];
  if (options.f16 !== false && adapter.features.has('shader-f16')) requiredFeatures.push('shader-f16');

  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'xlstm' });
  const monitor = new DeviceMonitor();
  device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => monitor.fail(errorKind(ev.error), ev.error.message);
  void device.lost.then((info) => monitor.markLost(info.reason, info.message));

  let quirks = CONSERVATIVE_QUIRKS;
  if (options.probe !== false) {
    try {
      quirks = await probeQuirks(device);
    } catch (e) {
      device.destroy();
      throw e;
    }
  }
  return {
    device,
    adapterInfo,
    backend: options.backend ?? 'webgpu',
    featureLevel: adapter.features.has('core-features-and-limits') ? 'core' : 'compatibility',
    limits: limitRecord(device.limits),
    features: [...device.features].sort(),
    quirks,
    monitor,
    ...(options.instance !== undefined ? { instance: options.instance } : {}),
    destroy: () => device.destroy(),
  };
}

/** What kernel generators need to know about this device. */
export function kernelTargetOf(dev: XlstmDevice): KernelTarget {
  const limit = (name: string): number => dev.limits[name] ?? 0;
  return {
    maxLoopIterationsPerInvocation: plannedLoopBudget(dev.quirks.maxLoopIterationsPerInvocation),
    shaderF16: dev.features.includes('shader-f16'),
    maxComputeInvocationsPerWorkgroup: limit('maxComputeInvocationsPerWorkgroup'),
    maxComputeWorkgroupStorageSize: limit('maxComputeWorkgroupStorageSize'),
    maxStorageBuffersPerShaderStage: limit('maxStorageBuffersPerShaderStage'),
    maxStorageBufferBindingSize: limit('maxStorageBufferBindingSize'),
  };
}

/**
 * The `requiredLimits` to ask for: every raised limit at the adapter's value, and each limit the
 * model needs checked against the adapter first. `min…` limits (alignments) are better when smaller.
 */
export function requestedLimits(
  adapterLimits: Readonly<Record<string, number>>,
  needs: Readonly<Record<string, number>>,
  adapter: AdapterSummary,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const have = adapterLimits[name];
    if (have !== undefined) out[name] = have;
  }
  for (const [name, need] of Object.entries(needs)) {
    const have = adapterLimits[name];
    const lowerIsBetter = name.startsWith('min');
    if (have === undefined) throw new UserError(`this model needs the WebGPU limit ${name}, which the adapter does not report`);
    if (lowerIsBetter ? have > need : have < need) {
      throw new UserError(
        `this model needs ${name} ${lowerIsBetter ? '≤' : '≥'} ${need}, but the adapter (${describeAdapter(adapter)}) offers ${have}`,
      );
    }
    if (!lowerIsBetter) out[name] = Math.max(out[name] ?? 0, need);
  }
  return out;
}

export function describeAdapter(info: AdapterSummary): string {
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(', ') || 'unnamed adapter';
}

function summarise(info: GPUAdapterInfo): AdapterSummary {
  return { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
}

/** GPUSupportedLimits keeps its values in prototype getters: spread and Object.keys see nothing. */
function limitRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key in limits) {
    const value = (limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

function errorKind(error: GPUError): string {
  if (error.constructor.name === 'GPUOutOfMemoryError') return 'out-of-memory error';
  if (error.constructor.name === 'GPUInternalError') return 'internal error';
  return 'validation error';
}
