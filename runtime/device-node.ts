import { isMainThread } from 'node:worker_threads';
import { acquireDevice, NoAdapterError, type AcquireOptions, type XlstmDevice } from './device.js';
import { UserError } from './errors.js';

/**
 * A WebGPU device in Node through npm `webgpu` (Dawn). 'native' is the platform's own backend
 * (Vulkan on Linux, Metal on macOS, D3D12 on Windows); 'cpu-gl' is Dawn's OpenGL ES backend on
 * Mesa's llvmpipe through a surfaceless EGL display, which needs no GPU; 'auto' tries them in that
 * order. DESIGN.md §7 has the measurements behind each step.
 */
export type NodeDeviceMode = 'auto' | 'native' | 'cpu-gl';

export interface NodeDeviceOptions extends Omit<AcquireOptions, 'backend' | 'instance' | 'featureLevel'> {
  mode?: NodeDeviceMode;
  /** Report each attempt: true writes to stderr, a function receives the lines. */
  verbose?: boolean | ((line: string) => void);
}

const NATIVE_BACKEND: Partial<Record<NodeJS.Platform, string>> = { linux: 'vulkan', darwin: 'metal', win32: 'd3d12' };

/**
 * One instance per backend for the life of the process. If the object `create()` returns is
 * collected while a device of it lives, the process segfaults, aborts or hangs (DESIGN.md §7); and
 * collecting even a finished GL instance terminates the EGL display that Mesa shares between all
 * instances of the process, killing the llvmpipe threads of every other device (observed as futex
 * and robust-mutex assertion failures). So instances are created once and never dropped.
 */
const instances = new Map<string, GPU>();

type WebGpuModule = typeof import('webgpu');

export async function acquireNodeDevice(options: NodeDeviceOptions = {}): Promise<XlstmDevice> {
  const { mode = 'auto', verbose, ...rest } = options;
  const log = verbose === true ? (line: string) => process.stderr.write(`xlstm: ${line}\n`) : verbose || (() => {});
  const webgpu = await loadWebGpu();
  const native = NATIVE_BACKEND[process.platform] ?? 'native';
  const failures: string[] = [];

  const attempt = async (backend: string, flags: string[], acquire: AcquireOptions): Promise<XlstmDevice | undefined> => {
    const key = flags.join(' ');
    const instance = instances.get(key) ?? webgpu.create(flags);
    instances.set(key, instance);
    try {
      const dev = await acquireDevice(instance, { ...rest, ...acquire, backend, instance });
      log(`using ${backend}: ${dev.adapterInfo.description || dev.adapterInfo.device}`);
      return dev;
    } catch (e) {
      if (!(e instanceof NoAdapterError) && e instanceof UserError) throw e; // the adapter is too small: say so
      const why = e instanceof NoAdapterError ? 'no adapter' : e instanceof Error ? e.message : String(e);
      failures.push(`${backend}: ${why}`);
      log(`${backend} unavailable (${why})`);
      return undefined;
    }
  };

  if (mode !== 'cpu-gl') {
    const dev = await attempt(native, [], {});
    if (dev || mode === 'native') return dev ?? noAdapter(mode, native, failures);
  }
  // Dawn's GL backend needs an EGL display; surfaceless needs no window system. Native code reads the
  // real environment, which a worker thread's process.env is only a copy of.
  process.env['EGL_PLATFORM'] ??= 'surfaceless';
  for (const backend of ['opengles', 'opengl']) {
    const dev = await attempt(backend, [`backend=${backend}`], { featureLevel: 'compatibility' });
    if (dev) return dev;
  }
  return noAdapter(mode, native, failures);
}

async function loadWebGpu(): Promise<WebGpuModule> {
  let webgpu: WebGpuModule;
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    throw new UserError(
      `cannot load npm 'webgpu' (Dawn) on ${process.platform}-${process.arch}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  // Its classes (GPUBufferUsage, GPUValidationError, …) are globals in a browser; user code expects them.
  for (const [name, value] of Object.entries(webgpu.globals)) {
    if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
  }
  return webgpu;
}

function noAdapter(mode: NodeDeviceMode, native: string, failures: string[]): never {
  const platform = process.env['EGL_PLATFORM'];
  const hints = [
    mode === 'native'
      ? `Install your GPU's ${native} driver, or use --device cpu-gl.`
      : "Install your GPU's driver, or Mesa's EGL and llvmpipe for the CPU fallback " +
        '(Debian/Ubuntu: apt install libegl1 libegl-mesa0 libgl1-mesa-dri).',
    mode !== 'native' && platform !== 'surfaceless' ? `EGL_PLATFORM is set to '${platform}'; the CPU fallback needs 'surfaceless' (or unset it).` : '',
    isMainThread ? '' : 'In a worker thread native code does not see process.env: set EGL_PLATFORM=surfaceless before starting Node.',
    'The float64 reference backend works without a GPU.',
  ];
  throw new UserError(`no WebGPU adapter (${failures.join('; ')}). ${hints.filter(Boolean).join(' ')}`);
}
