/**
 * A compute kernel as data: what it binds, how it is launched, its WGSL, and the key its pipeline is
 * cached under. Kernel generators (one file each in this folder) return these, specialised to
 * constant shapes; the runtime executor (`runtime/exec/`) builds one pipeline per `cacheKey` and
 * binds tensors to `bindings` by name. In the spirit of tfjs-backend-webgpu's program classes, but
 * plain data, with the WGSL produced by the builder in `wgsl.ts` rather than assembled by hand.
 */

export type ScalarType = 'f32' | 'i32' | 'u32';

export interface KernelBinding {
  /** The WGSL variable name, and the key the executor's dispatch maps to a tensor. */
  name: string;
  access: 'read' | 'read_write';
  type: ScalarType;
  /** Elements the kernel addresses; the bound tensor must hold at least this many. */
  elements: number;
  /** Declare the WGSL array as `vec4<type>` (elements must be a multiple of 4). */
  view?: 'vec4';
}

/** A per-dispatch scalar that is not baked into the WGSL (a learning rate, a step counter). */
export interface KernelUniform {
  name: string;
  type: ScalarType;
}

export interface KernelSpec {
  name: string;
  /** Where the kernel's op was declared (`file.xlstm:line:col`), for the generated-code comment. */
  source?: string;
  /** Storage bindings in binding order (0, 1, …); the uniform block, if any, follows them. */
  bindings: readonly KernelBinding[];
  uniforms?: readonly KernelUniform[];
  workgroupSize: readonly [number, number, number];
  /** Workgroup counts, already folded to the per-dimension limit. */
  dispatch: readonly [number, number, number];
  wgsl: string;
  /** Equal keys mean identical pipelines; derived from the WGSL text. */
  cacheKey: string;
  /** Loop-header executions one invocation makes at most (see `KernelTarget`). */
  loopIterations: number;
}

/**
 * What a generator must know about the device it generates for. Plain data, so kernels can be
 * generated at compile time for `CONSERVATIVE_TARGET` or at run time for the acquired device
 * (`kernelTargetOf` in runtime/device.ts).
 */
export interface KernelTarget {
  /**
   * Loop-header executions (each loop iteration plus each loop's final exit test, summed over every
   * loop of the shader) one invocation may make before the driver silently stops looping.
   * Mesa 22.3's llvmpipe stops at 65,535; Infinity where the probe found no cap.
   */
  maxLoopIterationsPerInvocation: number;
  shaderF16: boolean;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupStorageSize: number;
  maxStorageBuffersPerShaderStage: number;
  maxStorageBufferBindingSize: number;
}

/**
 * The loop budget kernels are planned against, given a driver's probed cap. Generators count loop
 * headers by hand, and llvmpipe has twice been measured to charge a few percent more than counted
 * (both sides of a divergent branch holding a loop; narrow workgroups with barriers): planning
 * against 15/16 of the cap makes such a miscount split work early instead of silently cutting a loop.
 */
export function plannedLoopBudget(probedCap: number): number {
  return Number.isFinite(probedCap) ? Math.floor((probedCap * 15) / 16) : probedCap;
}

/** Mesa 22.3's llvmpipe, the weakest driver we know, stops loops after this many headers per invocation. */
export const LLVMPIPE_LOOP_CAP = 65_535;

/** Core WebGPU's guaranteed limits, and the loop budget of the weakest driver we know (llvmpipe). */
export const CONSERVATIVE_TARGET: KernelTarget = {
  maxLoopIterationsPerInvocation: plannedLoopBudget(LLVMPIPE_LOOP_CAP),
  shaderF16: false,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupStorageSize: 16_384,
  maxStorageBuffersPerShaderStage: 8,
  maxStorageBufferBindingSize: 134_217_728,
};

/** The per-dimension workgroup-count limit every WebGPU device guarantees; dispatches fold to it. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65_535;

export const BYTES_PER_ELEMENT: Record<ScalarType, number> = { f32: 4, i32: 4, u32: 4 };
