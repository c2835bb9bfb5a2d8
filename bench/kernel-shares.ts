import { planForward } from '../compiler/plan/forward-plan.js';
import type { ModelSpec } from '../compiler/spec.js';
import { kernelTargetOf, type XlstmDevice } from '../runtime/device.js';
import { Executor, type Dispatch } from '../runtime/exec/executor.js';
import { PlanTensors } from '../runtime/train/plan-tensors.js';
import type { Shape } from './models.js';
import { randomTokens } from './random-tokens.js';
import type { KernelShares } from './results.js';
import { median } from './timing.js';

export const ISOLATED_METHOD = 'each dispatch submitted alone and awaited (queue.onSubmittedWorkDone), CPU clock; the median over repeats';

/** `block2_proj_up` → `proj_up`: one row per kind of fused kernel, summed over blocks. */
function kernelKind(name: string): string {
  return name.replace(/^block\d+_/, '');
}

/**
 * Where the fused forward's time goes: each dispatch timed alone (submit, then wait for the queue),
 * `repeats` times after one whole forward as warm-up (pipelines built, activations realistic), as
 * shares of the sum. Each isolated time includes one submit's overhead (`empty_submit_ms`), which
 * a real forward pays once for all its dispatches. Timestamp queries would time the GPU work alone,
 * but the device is acquired without 'timestamp-query' (llvmpipe's GL path has none).
 */
export async function measureKernelShares(
  dev: XlstmDevice,
  spec: ModelSpec,
  weights: ReadonlyMap<string, Float32Array>,
  shape: Shape,
  repeats: number,
): Promise<KernelShares> {
  const exec = new Executor(dev);
  const queue = dev.device.queue;
  try {
    const plan = planForward(spec, { ...shape, mode: 'parallel', target: kernelTargetOf(dev), fuse: true });
    // from the zero state a parallel plan's steps carry their fixed uniforms only (no state reads)
    const tensors = new PlanTensors(exec, 'kernel-shares', plan.buffers, () => undefined);
    for (const b of plan.buffers) if (b.kind === 'param') exec.uploadF32(tensors.get(b.name), weights.get(b.name)!);
    exec.uploadU32(tensors.get(plan.inputs.tokens), Uint32Array.from(randomTokens(spec.vocabSize, shape.batch * shape.seqLen)));
    const dispatches = tensors.dispatches(plan.steps);
    await exec.run(dispatches);
    await queue.onSubmittedWorkDone();
    const timeAlone = async (work: readonly Dispatch[]): Promise<number> => {
      const start = performance.now();
      await exec.run(work);
      await queue.onSubmittedWorkDone();
      return performance.now() - start;
    };
    const samples = dispatches.map((): number[] => []);
    const empty: number[] = [];
    for (let r = 0; r < repeats; r++) {
      empty.push(await timeAlone([]));
      for (const [i, d] of dispatches.entries()) samples[i]!.push(await timeAlone([d]));
    }
    const rows = new Map<string, { dispatches: number; ms: number }>();
    dispatches.forEach((d, i) => {
      const row = rows.get(kernelKind(d.kernel.name)) ?? { dispatches: 0, ms: 0 };
      row.dispatches++;
      row.ms += median(samples[i]!);
      rows.set(kernelKind(d.kernel.name), row);
    });
    const total = [...rows.values()].reduce((sum, r) => sum + r.ms, 0);
    return {
      method: ISOLATED_METHOD,
      batch: shape.batch,
      seq_len: shape.seqLen,
      repeats,
      kernels: [...rows].map(([kernel, r]) => ({ kernel, dispatches: r.dispatches, ms: r.ms, share: r.ms / total })).sort((a, b) => b.ms - a.ms),
      isolated_total_ms: total,
      empty_submit_ms: median(empty),
    };
  } finally {
    exec.dispose();
  }
}
