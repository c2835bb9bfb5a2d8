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

/** How the gated activation (forward and backward) walks u: one invocation per unit of F's columns. */
export interface GatedFfnUnits {
  /** Units are vec4 groups of columns when F allows, else single columns. */
  units: number;
  total: number;
  view: { view?: 'vec4' };
  /** A scalar activation helper applied to the unit's gate `g`, lane by lane for a vec4. */
  lanewise(f: (x: string) => string): string;
  /** Body lines: stop past the last unit, `at` the unit's gate column in `up` (its value UNITS further), `g` the gate. */
  prelude: string[];
}

export function gatedFfnUnits(rows: number, F: number, kernel: string): GatedFfnUnits {
  for (const [dim, v] of Object.entries({ rows, F })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${kernel}: ${dim} must be a positive integer, got ${v}`);
  }
  const vec = F % 4 === 0;
  const units = vec ? F / 4 : F;
  return {
    units,
    total: rows * units,
    view: vec ? { view: 'vec4' } : {},
    lanewise: (f) => (vec ? `vec4<f32>(${[0, 1, 2, 3].map((l) => f(`g[${l}]`)).join(', ')})` : f('g')),
    prelude: ['if (gid >= TOTAL) { return; }', 'let at = (gid / UNITS) * 2u * UNITS + gid % UNITS;', 'let g = up[at];'],
  };
}

export function gatedFfnActKernel(o: GatedFfnActOptions, target: KernelTarget): KernelSpec {
  const { rows, upDim: F } = o;
  const { units, total, view, lanewise, prelude } = gatedFfnUnits(rows, F, 'gated FFN activation');
  const size = Math.min(o.workgroupSize ?? 64, target.maxComputeInvocationsPerWorkgroup);
  const act = activationWgsl(o.activation);
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
      body: [...prelude, `hidden[gid] = ${lanewise(act.apply)} * up[at + UNITS];`],
    },
    target,
  );
}
