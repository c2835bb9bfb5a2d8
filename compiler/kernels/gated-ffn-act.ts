import type { Activation } from '../spec.js';
import { activationWgsl } from './activation.js';
import type { KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * The middle of the official `GatedFeedForward`: given u = x·proj_upᵀ [rows, 2F] (the `linear`
 * kernel), `hidden[r, j] = act(u[r, j]) · u[r, F + j]` [rows, F], which proj_down (`linear` with a
 * residual epilogue) consumes. One invocation per element, vec4 when F % 4 == 0.
 *
 * Bindings: up [rows·2F] (u), hidden [rows·F]. One dispatch.
 */
export interface GatedFfnActOptions {
  rows: number;
  /** F, the official `_proj_up_dim` (u has 2F columns). */
  upDim: number;
  activation: Activation;
  name?: string;
  source?: string;
  workgroupSize?: number;
}

export function gatedFfnActKernel(o: GatedFfnActOptions, target: KernelTarget): KernelSpec {
  const { rows, upDim: F } = o;
  for (const [dim, v] of Object.entries({ rows, F })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`gated FFN activation: ${dim} must be a positive integer, got ${v}`);
  }
  const vec = F % 4 === 0;
  const units = vec ? F / 4 : F;
  const total = rows * units;
  const size = Math.min(o.workgroupSize ?? 64, target.maxComputeInvocationsPerWorkgroup);
  const view = vec ? { view: 'vec4' as const } : {};
  const act = activationWgsl(o.activation);
  // The activation helpers are scalar: a vec4 applies them lane by lane.
  const apply = vec ? `vec4<f32>(${[0, 1, 2, 3].map((l) => act.apply(`g[${l}]`)).join(', ')})` : act.apply('g');
  return buildKernel(
    {
      name: o.name ?? `gated_ffn_act_${o.activation.replace('^', '')}_${rows}x${F}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `hidden[${rows}, ${F}] = ${o.activation}(u[:, :${F}]) * u[:, ${F}:]`,
      bindings: [
        { name: 'up', access: 'read', type: 'f32', elements: rows * 2 * F, ...view },
        { name: 'hidden', access: 'read_write', type: 'f32', elements: rows * F, ...view },
      ],
      constants: { TOTAL: u32(total), UNITS: u32(units) },
      helpers: act.helpers,
      workgroupSize: size,
      workgroups: Math.ceil(total / size),
      loopIterations: 0,
      body: [
        'if (gid >= TOTAL) { return; }',
        'let at = (gid / UNITS) * 2u * UNITS + gid % UNITS;',
        'let g = up[at];',
        `hidden[gid] = ${apply} * up[at + UNITS];`,
      ],
    },
    target,
  );
}
