import { columnReduceKernels } from './column-reduce.js';
import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { layerNormStatsKernel } from './layer-norm-stats.js';
import { assignOp, loopChunks } from './loop-chunks.js';
import { spreadWorkgroupSize } from './register-tile.js';
import { buildKernel, f32, u32 } from './wgsl.js';

/**
 * Backward of the official LayerNorm / MultiHeadLayerNorm / sLSTM group norm, y = x̂ · (1 + w) with
 * x̂ = (x − mean)·rstd per group (no bias); groups are consecutive runs of `groupSize` features (one
 * per row for LayerNorm, NH per row for the multi-head norms), w has `weightLength` = NH·groupSize
 * entries (one head's slice per group), or none (scale 1: `group_norm_weight` false):
 *
 *   dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)),  ĝ = dy ⊙ (1 + w)     (per group)
 *   dWeight[j] = Σ_rows dy[·, j] · x̂[·, j]
 *
 * Kernels, in order: the group statistics (`layer_norm_stats`, unless `recomputeStats` is false and
 * `stats` holds the forward's), the two sums of each group (an invocation per group; split across
 * dispatches under the loop cap), dx (elementwise), and the weight gradient as a column reduction
 * (one or two kernels).
 *
 * Bindings (names overridable, so a fused consumer's backward can share its tensor map): dy, x
 * [groups·groupSize], stats [2·groups] (scratch when recomputed), weight [weightLength], sums
 * [2·groups] (scratch), dx [groups·groupSize], dWeight [weightLength], partial (scratch, when the
 * column reduction splits).
 */
export interface LayerNormBackwardOptions {
  groups: number;
  groupSize: number;
  weightLength?: number;
  eps: number;
  /** Compute the statistics from x (default true). */
  recomputeStats?: boolean;
  /** Add into dx (dx) and into dWeight (params) instead of overwriting them. */
  accumulate?: { dx?: boolean; params?: boolean };
  names?: { dy?: string; weight?: string; dWeight?: string; sums?: string; partial?: string };
  name?: string;
  source?: string;
}

export function layerNormBackwardKernels(o: LayerNormBackwardOptions, target: KernelTarget): KernelSpec[] {
  const { groups, groupSize } = o;
  for (const [dim, v] of Object.entries({ groups, groupSize, ...(o.weightLength !== undefined ? { weightLength: o.weightLength } : {}) })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`layer norm backward: ${dim} must be a positive integer, got ${v}`);
  }
  const W = o.weightLength;
  if (W !== undefined && (W % groupSize !== 0 || (groups * groupSize) % W !== 0)) {
    throw new Error(`layer norm backward: weight length ${W} must be a multiple of the group size ${groupSize} and divide the ${groups * groupSize} elements`);
  }
  const name = o.name ?? `layer_norm_backward_${groups}x${groupSize}${W !== undefined ? `_w${W}` : ''}`;
  const src = o.source !== undefined ? { source: o.source } : {};
  const kernels: KernelSpec[] = [];
  if (o.recomputeStats ?? true) kernels.push(layerNormStatsKernel({ rows: groups, cols: groupSize, eps: o.eps, name: `${name}_stats`, ...src }, target));
  kernels.push(...dxKernels(o, name, target));
  if (W !== undefined) kernels.push(...weightGradKernels(o, W, name, target));
  return kernels;
}

function names(o: LayerNormBackwardOptions): { dy: string; weight: string; dWeight: string; sums: string } {
  return { dy: o.names?.dy ?? 'dy', weight: o.names?.weight ?? 'weight', dWeight: o.names?.dWeight ?? 'dWeight', sums: o.names?.sums ?? 'sums' };
}

/**
 * dx in two steps, neither with workgroup barriers (costly on llvmpipe, which switches between a
 * workgroup's invocations at each): per group, Σ ĝ and Σ ĝ ⊙ x̂ into `sums` (the feature loop split
 * across dispatches under the loop cap), then dx elementwise.
 */
function dxKernels(o: LayerNormBackwardOptions, name: string, target: KernelTarget): KernelSpec[] {
  const { groups, groupSize } = o;
  const W = o.weightLength;
  const n = names(o);
  const vec = groupSize % 4 === 0;
  const units = vec ? groupSize / 4 : groupSize;
  const view = vec ? { view: 'vec4' as const } : {};
  const T = vec ? 'vec4<f32>' : 'f32';
  const sum = (v: string): string => (vec ? `dot(${v}, vec4<f32>(1.0))` : v);
  const elements = groups * groupSize;
  const inputs: KernelBinding[] = [
    { name: n.dy, access: 'read', type: 'f32', elements, ...view },
    { name: 'x', access: 'read', type: 'f32', elements, ...view },
    { name: 'stats', access: 'read', type: 'f32', elements: 2 * groups },
  ];
  if (W !== undefined) inputs.push({ name: n.weight, access: 'read', type: 'f32', elements: W, ...view });
  const constants = { UNITS: u32(units), HEADS: u32((W ?? groupSize) / groupSize), GROUPS: u32(groups), INV_D: f32(1 / groupSize) };
  const src = o.source !== undefined ? { source: o.source } : {};
  // ĝ and x̂ of feature unit k of group grp
  const terms = (k: string): string[] => [
    `let gh = ${n.dy}[base + ${k}]${W !== undefined ? ` * (${T}(1.0) + ${n.weight}[(grp % HEADS) * UNITS + ${k}])` : ''};`,
    `let xh = (x[base + ${k}] - ${T}(stats[2u * grp])) * stats[2u * grp + 1u];`,
  ];
  const chunks = loopChunks(units, target, `${name}_sums`);
  const size = spreadWorkgroupSize(groups, target);
  const sumKernels = chunks.map((c) => {
    const op = assignOp(!c.first);
    return buildKernel(
      {
        name: chunks.length > 1 ? `${name}_sums_${c.index}` : `${name}_sums`,
        ...src,
        summary: `sums[g] ${op} (Σ ĝ, Σ ĝ ⊙ x̂) over features ${c.begin}..${c.end - 1} of each of ${groups} groups of ${groupSize}`,
        bindings: [...inputs, { name: n.sums, access: 'read_write', type: 'f32', elements: 2 * groups }],
        constants,
        workgroupSize: size,
        workgroups: Math.ceil(groups / size),
        loopIterations: c.end - c.begin + 1,
        body: [
          'let grp = gid;',
          'if (grp >= GROUPS) { return; }',
          'let base = grp * UNITS;',
          `var s = vec2<f32>(0.0);`,
          `for (var k = ${c.begin}u; k < ${c.end}u; k++) {`,
          ...terms('k').map((l) => `  ${l}`),
          `  s += vec2<f32>(${sum('gh')}, ${sum('gh * xh')});`,
          '}',
          `${n.sums}[2u * grp] ${op} s.x;`,
          `${n.sums}[2u * grp + 1u] ${op} s.y;`,
        ],
      },
      target,
    );
  });
  const dxOp = assignOp(o.accumulate?.dx === true);
  const dxSize = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  const dx = buildKernel(
    {
      name: `${name}_dx`,
      ...src,
      summary: `dx ${dxOp} rstd·(ĝ − mean ĝ − x̂·mean(ĝ x̂)) over ${groups} groups of ${groupSize}${W !== undefined ? `, weight of ${W}` : ', no weight'}`,
      bindings: [
        ...inputs,
        { name: n.sums, access: 'read', type: 'f32', elements: 2 * groups },
        { name: 'dx', access: 'read_write', type: 'f32', elements, ...view },
      ],
      constants: { ...constants, TOTAL: u32(groups * units) },
      workgroupSize: dxSize,
      workgroups: Math.ceil((groups * units) / dxSize),
      loopIterations: 0,
      body: [
        'if (gid >= TOTAL) { return; }',
        'let grp = gid / UNITS;',
        'let base = grp * UNITS;',
        'let k = gid % UNITS;',
        ...terms('k'),
        `dx[gid] ${dxOp} (gh - ${T}(${n.sums}[2u * grp] * INV_D) - xh * (${n.sums}[2u * grp + 1u] * INV_D)) * stats[2u * grp + 1u];`,
      ],
    },
    target,
  );
  return [...sumKernels, dx];
}

function weightGradKernels(o: LayerNormBackwardOptions, W: number, name: string, target: KernelTarget): KernelSpec[] {
  const { groups, groupSize } = o;
  const n = names(o);
  const elements = groups * groupSize;
  const read = (binding: string, count: number): KernelBinding => ({ name: binding, access: 'read', type: 'f32', elements: count });
  return columnReduceKernels(
    {
      name: `${name}_dweight`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `${n.dWeight}[${W}] ${assignOp(o.accumulate?.params === true)} Σ_rows ${n.dy} ⊙ x̂`,
      rows: elements / W,
      cols: W,
      inputs: [read(n.dy, elements), read('x', elements), read('stats', 2 * groups)],
      prelude: ['let e = r * COLS + c;', 'let grp = e / GROUP_SIZE;'],
      outputs: [{ binding: n.dWeight, elements: W, term: `${n.dy}[e] * (x[e] - stats[2u * grp]) * stats[2u * grp + 1u]` }],
      constants: { GROUP_SIZE: u32(groupSize) },
      accumulate: o.accumulate?.params === true,
      ...(o.names?.partial !== undefined ? { partial: o.names.partial } : {}),
    },
    target,
  );
}
