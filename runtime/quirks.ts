import { BufferUsage, MapMode } from './gpu-constants.js';

/** Driver behaviour the kernel planner must work around, measured once per device. */
export interface DeviceQuirks {
  /**
   * Loop iterations one invocation completed when asked for `LOOP_PROBE_ITERATIONS` (Infinity when it
   * completed them all). Mesa 22.3's llvmpipe silently stops every loop of an invocation once their
   * iterations add up to 65,535, and the shader carries on with wrong values.
   */
  maxLoopIterationsPerInvocation: number;
  /** Wall time of the probe (shader compile included), in milliseconds. */
  probeMs: number;
}

export const LOOP_PROBE_ITERATIONS = 70_000;

// The trip count comes from a buffer and the loop carries a hash, so no compiler can fold it away.
const LOOP_PROBE_WGSL = `@group(0) @binding(0) var<storage, read_write> io: array<u32, 4>;

@compute @workgroup_size(1)
fn main() {
  let n = io[0];
  var count = 0u;
  var hash = 2166136261u;
  for (var i = 0u; i < n; i++) {
    count += 1u;
    hash = (hash ^ i) * 16777619u;
  }
  io[1] = count;
  io[2] = hash;
}
`;

/** Runs the loop-cap probe; rejects if the device reports an error while running it. */
export async function probeQuirks(device: GPUDevice, iterations = LOOP_PROBE_ITERATIONS): Promise<DeviceQuirks> {
  const started = performance.now();
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: 'xlstm loop-cap probe', code: LOOP_PROBE_WGSL });
  const pipeline = device.createComputePipeline({ label: 'xlstm loop-cap probe', layout: 'auto', compute: { module, entryPoint: 'main' } });
  const io = device.createBuffer({ size: 16, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
  const readback = device.createBuffer({ size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  try {
    device.queue.writeBuffer(io, 0, new Uint32Array([iterations, 0, 0, 0]));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: io } }] }));
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(io, 0, readback, 0, 16);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error) throw new Error(`the loop-cap probe failed: ${error.message}`);
    await readback.mapAsync(MapMode.READ);
    const count = new Uint32Array(readback.getMappedRange())[1]!;
    readback.unmap();
    return { maxLoopIterationsPerInvocation: count < iterations ? count : Infinity, probeMs: performance.now() - started };
  } finally {
    io.destroy();
    readback.destroy();
  }
}
