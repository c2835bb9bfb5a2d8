import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * Normalises with statistics from `layerNormStatsKernel` and scales, for the norms that no consumer's
 * prologue can absorb (the sLSTM's pre-norm, read by the conv and the z/o gates; the group norm):
 *
 *   y[i] = (x[i] − mean[g]) · rstd[g] · (1 + w[i mod W]) (+ residual[i]),   g = ⌊i / groupSize⌋
 *
 * A LayerNorm over rows of E is groups of E with W = E; the official MultiHeadLayerNorm over NH heads
 * of DH is groups of DH (stats over B·T·NH rows of DH) with W = NH·DH, its weight being per feature
 * of the whole row. Without a weight the scale is 1 (`group_norm_weight` false). One invocation per
 * element (per vec4 when groupSize % 4 == 0).
 *
 * Bindings: x [groups·groupSize], stats [2·groups], weight [W] with `weightLength`, residual
 * [groups·groupSize] with `residual`, y [groups·groupSize] (not x or residual).
 */
export interface LayerNormApplyOptions {
  groups: number;
  groupSize: number;
  /** W, a multiple of groupSize; omit for no weight. */
  weightLength?: number;
  residual?: boolean;
  name?: string;
  source?: string;
}

export function layerNormApplyKernel(o: LayerNormApplyOptions, target: KernelTarget): KernelSpec {
  const { groups, groupSize } = o;
  for (const [dim, v] of Object.entries({ groups, groupSize, ...(o.weightLength !== undefined ? { weightLength: o.weightLength } : {}) })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`layer norm apply: ${dim} must be a positive integer, got ${v}`);
  }
  const W = o.weightLength;
  if (W !== undefined && W % groupSize !== 0) throw new Error(`layer norm apply: weight length ${W} is not a multiple of the group size ${groupSize}`);
  const vec = groupSize % 4 === 0;
  const lanes = vec ? 4 : 1;
  const total = (groups * groupSize) / lanes;
  const view = vec ? { view: 'vec4' as const } : {};
  const scalar = vec ? 'vec4<f32>' : 'f32';
  const elements = groups * groupSize;
  const bindings: KernelBinding[] = [
    { name: 'x', access: 'read', type: 'f32', elements, ...view },
    { name: 'stats', access: 'read', type: 'f32', elements: 2 * groups },
  ];
  if (W !== undefined) bindings.push({ name: 'weight', access: 'read', type: 'f32', elements: W, ...view });
  if (o.residual) bindings.push({ name: 'residual', access: 'read', type: 'f32', elements, ...view });
  bindings.push({ name: 'y', access: 'read_write', type: 'f32', elements, ...view });
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  const body = [
    'if (gid >= TOTAL) { return; }',
    'let g = gid / GROUP_UNITS;',
    `var v = (x[gid] - ${scalar}(stats[2u * g])) * stats[2u * g + 1u];`,
    ...(W !== undefined ? [`v *= ${scalar}(1.0) + weight[gid % WEIGHT_UNITS];`] : []),
    ...(o.residual ? ['v += residual[gid];'] : []),
    'y[gid] = v;',
  ];
  return buildKernel(
    {
      name: o.name ?? `layer_norm_apply_${groups}x${groupSize}${W !== undefined ? `_w${W}` : ''}${o.residual ? '_res' : ''}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary:
        `y = (x − mean)·rstd${W !== undefined ? ` · (1 + w[${W}])` : ''}${o.residual ? ' + residual' : ''} ` +
        `over ${groups} groups of ${groupSize}`,
      bindings,
      constants: { TOTAL: u32(total), GROUP_UNITS: u32(groupSize / lanes), WEIGHT_UNITS: u32((W ?? groupSize) / lanes) },
      workgroupSize: size,
      workgroups: Math.ceil(total / size),
      loopIterations: 0,
      body,
    },
    target,
  );
}
