import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearKernels } from '../../../compiler/kernels/linear.js';
import { plannedLoopBudget } from '../../../compiler/kernels/kernel.js';
import { LOOP_PROBE_ITERATIONS, probeQuirks } from '../../../runtime/quirks.js';
import { openGpuKit, type GpuKit } from './gpu-test-kit.js';

let kit: GpuKit;
beforeAll(async () => {
  kit = await openGpuKit();
});
afterAll(() => kit?.close());

describe('loop-cap probe', () => {
  it('reports a cap below the probe length, or none', () => {
    const cap = kit.dev.quirks.maxLoopIterationsPerInvocation;
    expect(cap === Infinity || (Number.isInteger(cap) && cap > 0 && cap < LOOP_PROBE_ITERATIONS)).toBe(true);
    expect(kit.dev.quirks.probeMs).toBeGreaterThan(0);
  });

  it('measures a stable cutoff: loops shorter than the cap complete, longer ones stop exactly there', async () => {
    const cap = kit.dev.quirks.maxLoopIterationsPerInvocation;
    if (cap === Infinity) {
      expect((await probeQuirks(kit.dev.device, 3 * LOOP_PROBE_ITERATIONS)).maxLoopIterationsPerInvocation).toBe(Infinity);
      return;
    }
    expect((await probeQuirks(kit.dev.device, cap - 1000)).maxLoopIterationsPerInvocation).toBe(Infinity);
    expect((await probeQuirks(kit.dev.device, cap + 1000)).maxLoopIterationsPerInvocation).toBe(cap);
  });

  it('sets, less a reserve, the budget the kernel planner splits work by', () => {
    const cap = kit.target.maxLoopIterationsPerInvocation;
    expect(cap).toBe(plannedLoopBudget(kit.dev.quirks.maxLoopIterationsPerInvocation));
    const k = Number.isFinite(cap) ? 8 * cap : 1 << 20;
    for (const kernel of linearKernels({ m: 1, n: 1, k }, kit.target)) {
      expect(kernel.loopIterations).toBeLessThanOrEqual(cap);
    }
  });
});
