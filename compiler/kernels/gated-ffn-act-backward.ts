import type { Activation } from '../spec.js';
import { activationWgsl } from './activation.js';
import { activationGradWgsl } from './activation-grad.js';
import { gatedFfnUnits } from './gated-ffn-act.js';
import type { KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * Backward of `gated_ffn_act`, hidden[r, j] = act(u[r, j]) · u[r, F + j], given dHidden:
 *
 *   dUp[r, j] = dHidden[r, j] · u[r, F + j] · act'(u[r, j]),   dUp[r, F + j] = dHidden[r, j] · act(u[r, j])
 *
 * dUp [rows, 2F] is the dy of proj_up's `linear_backward`. One invocation per (row, j), vec4 when
 * F % 4 == 0 (the scalar activation helpers applied lane by lane).
 *
 * Bindings: up [rows·2F] (the forward's u), dHidden [rows·F], dUp [rows·2F].
 */
export interface GatedFfnActBackwardOptions {
  rows: number;
  upDim: number;
  activation: Activation;
  name?: string;
  source?: string;
}

export function gatedFfnActBackwardKernel(o: GatedFfnActBackwardOptions, target: KernelTarget): KernelSpec {
  const { rows, upDim: F } = o;
  const { units, total, view, lanewise, prelude } = gatedFfnUnits(rows, F, 'gated FFN activation backward');
  const act = activationWgsl(o.activation);
  const grad = activationGradWgsl(o.activation);
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  return buildKernel(
    {
      name: o.name ?? `gated_ffn_act_backward_${o.activation.replace('^', '')}_${rows}x${F}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `dUp[${rows}, 2·${F}] from dHidden through hidden = ${o.activation}(u[:, :${F}]) * u[:, ${F}:]`,
      bindings: [
        { name: 'up', access: 'read', type: 'f32', elements: rows * 2 * F, ...view },
        { name: 'dHidden', access: 'read', type: 'f32', elements: rows * F, ...view },
        { name: 'dUp', access: 'read_write', type: 'f32', elements: rows * 2 * F, ...view },
      ],
      constants: { TOTAL: u32(total), UNITS: u32(units) },
      helpers: [...act.helpers, ...grad.helpers],
      workgroupSize: size,
      workgroups: Math.ceil(total / size),
      loopIterations: 0,
      body: [
        ...prelude,
        'let d = dHidden[gid];',
        `dUp[at] = d * up[at + UNITS] * ${lanewise(grad.apply)};`,
        `dUp[at + UNITS] = d * ${lanewise(act.apply)};`,
      ],
    },
    target,
  );
}
