import type { KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, f32, u32 } from './wgsl.js';

/**
 * Per-row LayerNorm statistics: `stats[2r] = mean(x[r,:])`, `stats[2r+1] = 1/sqrt(var(x[r,:]) + eps)`
 * (biased variance, two passes for accuracy). One workgroup per row, the row split over its
 * invocations, so any row length stays far below the loop cap. The statistics feed a consumer's
 * fused normalising prologue (see `linear`) and are what the LayerNorm backward needs.
 */
export interface LayerNormStatsOptions {
  rows: number;
  cols: number;
  eps: number;
  name?: string;
  source?: string;
}

export function layerNormStatsKernel(o: LayerNormStatsOptions, target: KernelTarget): KernelSpec {
  const vec = o.cols % 4 === 0;
  const units = vec ? o.cols / 4 : o.cols;
  const size = Math.min(64, 2 ** Math.ceil(Math.log2(units)), largestPowerOfTwo(target.maxComputeInvocationsPerWorkgroup));
  const zero = vec ? 'vec4<f32>(0.0)' : '0.0';
  const total = (v: string): string => (vec ? `dot(${v}, vec4<f32>(1.0))` : v);
  const reduce = (): string[] => {
    const lines = ['workgroupBarrier();'];
    for (let half = size / 2; half >= 1; half /= 2) {
      lines.push(`if (lid < ${half}u) { red[lid] += red[lid + ${half}u]; }`, 'workgroupBarrier();');
    }
    return lines;
  };
  return buildKernel(
    {
      name: o.name ?? `layer_norm_stats_${o.rows}x${o.cols}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `stats[r] = (mean, 1/sqrt(var + eps)) of x[r, :] for ${o.rows} rows of ${o.cols}`,
      bindings: [
        { name: 'x', access: 'read', type: 'f32', elements: o.rows * o.cols, ...(vec ? { view: 'vec4' as const } : {}) },
        { name: 'stats', access: 'read_write', type: 'f32', elements: 2 * o.rows },
      ],
      constants: { UNITS: u32(units), COLS: f32(o.cols), EPS: f32(o.eps) },
      workgroupVars: { red: `array<f32, ${size}>` },
      workgroupSize: size,
      workgroups: o.rows,
      loopIterations: 2 * (Math.ceil(units / size) + 1),
      body: [
        'let base = wg * UNITS;',
        `var s = ${zero};`,
        'for (var k = lid; k < UNITS; k += WORKGROUP_INVOCATIONS) { s += x[base + k]; }',
        `red[lid] = ${total('s')};`,
        ...reduce(),
        'let mean = red[0] / COLS;',
        'workgroupBarrier();',
        `var q = ${zero};`,
        'for (var k = lid; k < UNITS; k += WORKGROUP_INVOCATIONS) {',
        `  let d = x[base + k] - ${vec ? 'vec4<f32>(mean)' : 'mean'};`,
        '  q += d * d;',
        '}',
        `red[lid] = ${total('q')};`,
        ...reduce(),
        'if (lid == 0u) {',
        '  stats[2u * wg] = mean;',
        '  stats[2u * wg + 1u] = 1.0 / sqrt(red[0] / COLS + EPS);',
        '}',
      ],
    },
    target,
  );
}

function largestPowerOfTwo(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}
