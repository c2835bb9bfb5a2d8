import type { BufferSpec, ForwardPlan, PlanStep } from './plan-types.js';

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
}

/** Distinct pipelines a plan needs (kernels with equal WGSL share one). */
export function pipelineCount(plan: Pick<ForwardPlan, 'steps'>): number {
  return new Set(plan.steps.map((s) => s.kernel.cacheKey)).size;
}

/**
 * A readable listing of a plan (`xlstm compile --emit plan`): the run's shape and totals, every
 * buffer with what it holds, then every dispatch with its launch size, bindings and the IR ops it
 * computes.
 */
export function printPlan(plan: ForwardPlan): string {
  const bytes = (kinds: string[]) => plan.buffers.filter((b) => kinds.includes(b.kind)).reduce((n, b) => n + 4 * b.elements, 0);
  const lines = [
    `plan ${plan.model}: batch ${plan.batch} × ${plan.seqLen} tokens, ${plan.mode}${plan.stateOut ? ' (state kept)' : ''}, ${plan.fused ? 'fused' : 'unfused'}`,
    `  ${plan.steps.length} dispatches, ${pipelineCount(plan)} pipelines; memory: params ${mib(bytes(['param']))}, ` +
      `activations and scratch ${mib(bytes(['activation', 'scratch']))}, state ${mib(bytes(['state']))}, ` +
      `inputs and outputs ${mib(bytes(['input', 'output']))}`,
  ];
  for (const note of plan.notes) lines.push(`  note: ${note}`);
  lines.push('buffers:', ...bufferLines(plan.buffers), 'dispatches:', ...dispatchLines(plan.steps));
  return lines.join('\n') + '\n';
}

/** One line per buffer: name, kind, type, size and the values it holds in turn. */
export function bufferLines(buffers: readonly BufferSpec[]): string[] {
  const nameWidth = Math.max(...buffers.map((b) => b.name.length));
  return buffers.map((b) => {
    const holds = b.holds.length > 1 || b.holds[0] !== b.name ? `  holds ${b.holds.join(', ')}` : '';
    return `  ${b.name.padEnd(nameWidth)}  ${b.kind.padEnd(10)} ${b.type} ${String(b.elements).padStart(9)}${holds}`;
  });
}

/** Three lines per dispatch: kernel, launch size and uniforms; bindings; the IR ops it computes. */
export function dispatchLines(steps: readonly PlanStep[], firstIndex = 0): string[] {
  return steps.flatMap((s, i) => {
    const k = s.kernel;
    const list = (u: Readonly<Record<string, number>>) => Object.entries(u).map(([n, v]) => `${n}=${v}`).join(' ');
    const fresh = s.freshUniforms ? ` (from the zero state: ${list(s.freshUniforms)})` : '';
    const uniforms = s.uniforms ? `  uniforms ${list(s.uniforms)}${fresh}` : '';
    const perRun = s.runUniforms?.length ? `  per run ${s.runUniforms.join(' ')}` : '';
    return [
      `  ${String(firstIndex + i).padStart(3)} ${k.name}  [${k.dispatch.join('×')}] × (${k.workgroupSize.join('×')})${uniforms}${perRun}`,
      `      ${Object.entries(s.tensors).map(([binding, buffer]) => `${binding}=${buffer}`).join(' ')}`,
      `      ← ${s.source}`,
    ];
  });
}
