import type { KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * `out[t, :] = table[ids[t], :]` for `tokens` ids into a [vocab, dim] table, one invocation per
 * element (per vec4 when dim % 4 == 0). An id outside [0, vocab) yields a row of NaN rather than the
 * silently clamped row the robustness transform would read, so a bad token shows in the output.
 *
 * Bindings: ids [tokens] (u32), table [vocab·dim], out [tokens·dim].
 */
export interface EmbeddingGatherOptions {
  tokens: number;
  vocab: number;
  dim: number;
  name?: string;
  source?: string;
  workgroupSize?: number;
}

export function embeddingGatherKernel(o: EmbeddingGatherOptions, target: KernelTarget): KernelSpec {
  const vec = o.dim % 4 === 0;
  const units = vec ? o.dim / 4 : o.dim;
  const total = o.tokens * units;
  const size = Math.min(o.workgroupSize ?? 64, target.maxComputeInvocationsPerWorkgroup);
  const view = vec ? { view: 'vec4' as const } : {};
  // A NaN constant is a WGSL compile error, so the bits are made a run-time value through `id`.
  const nan = 'bitcast<f32>(0x7fc00000u | (id & 0u))';
  return buildKernel(
    {
      name: o.name ?? `embedding_gather_${o.tokens}x${o.vocab}x${o.dim}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `out[t, :] = table[ids[t], :] for ${o.tokens} tokens, vocab ${o.vocab}, dim ${o.dim}`,
      bindings: [
        { name: 'ids', access: 'read', type: 'u32', elements: o.tokens },
        { name: 'table', access: 'read', type: 'f32', elements: o.vocab * o.dim, ...view },
        { name: 'out', access: 'read_write', type: 'f32', elements: o.tokens * o.dim, ...view },
      ],
      constants: { TOTAL: u32(total), UNITS: u32(units), VOCAB: u32(o.vocab) },
      workgroupSize: size,
      workgroups: Math.ceil(total / size),
      loopIterations: 0,
      body: [
        'if (gid >= TOTAL) { return; }',
        'let t = gid / UNITS;',
        'let id = ids[t];',
        `out[gid] = select(${vec ? `vec4<f32>(${nan})` : nan}, table[min(id, VOCAB - 1u) * UNITS + gid % UNITS], id < VOCAB);`,
      ],
    },
    target,
  );
}
