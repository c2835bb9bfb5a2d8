import { columnReduceKernels } from './column-reduce.js';
import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { assignOp } from './loop-chunks.js';
import { headNormStats } from './mlstm-output.js';
import { rowView, viewBinding, type RowViewOptions } from './row-view.js';
import { buildKernel, f32, u32 } from './wgsl.js';

/**
 * Backward of `mlstm_output`, y = (MultiHeadLayerNorm(h; outnorm) + learnable_skip ⊙ c) ⊙ SiLU(z),
 * given dy = ∂L/∂y (proj_down's input gradient):
 *
 *   s = dy ⊙ SiLU(z)                         (the gradient of the skip sum)
 *   dh = MultiHeadLayerNorm backward of s     (per (row, head): rstd·(ĝ − mean ĝ − x̂·mean(ĝ x̂)), ĝ = s ⊙ (1 + w))
 *   dc (+)= s ⊙ skip,   dz = dy ⊙ (x̂ ⊙ (1 + w) + skip ⊙ c) ⊙ SiLU'(z)
 *   dNormWeight (+)= Σ_rows s ⊙ x̂,   dSkip (+)= Σ_rows s ⊙ c
 *
 * Kernels: (1) one invocation per (row, head): statistics (two passes, kept in `stats` for the next
 * kernels), dh and dc; (2) dz, one per element; (3) dNormWeight and dSkip as one column reduction.
 * Split so that no kernel binds more than 8 storage buffers (the WebGPU default).
 *
 * Bindings: dy, h, conv (c) [rows·I], z (view: z inside proj_up's output), normWeight, skip [I],
 * stats [2·rows·NH] (scratch), dh [rows·I] (the cell's output gradient), dc [rows·I], dz (view: z's
 * place in proj_up's output gradient; default z's stride and offset), dNormWeight, dSkip [I],
 * partial (scratch, when the reduction splits).
 */
export interface MlstmOutputBackwardOptions {
  rows: number;
  heads: number;
  headDim: number;
  eps?: number;
  z?: RowViewOptions;
  dz?: RowViewOptions;
  /** Add into dc (dc) and into dNormWeight, dSkip (params) instead of overwriting them. */
  accumulate?: { dc?: boolean; params?: boolean };
  name?: string;
  source?: string;
}

export function mlstmOutputBackwardKernels(o: MlstmOutputBackwardOptions, target: KernelTarget): KernelSpec[] {
  const { rows, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ rows, NH, DH })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`mLSTM output backward: ${dim} must be a positive integer, got ${v}`);
  }
  const I = NH * DH;
  const name = o.name ?? `mlstm_output_backward_${rows}x${NH}x${DH}`;
  const z = rowView(o.z, 'z', I, name);
  const dz = rowView({ rowStride: z.rowStride, offset: z.offset, ...o.dz }, 'dz', I, name);
  const src = o.source !== undefined ? { source: o.source } : {};
  const read = (b: string, elements: number): KernelBinding => ({ name: b, access: 'read', type: 'f32', elements });
  const write = (b: string, elements: number): KernelBinding => ({ name: b, access: 'read_write', type: 'f32', elements });
  const zAt = (col: string): string => `${z.name}[row * Z_STRIDE + Z_OFFSET + ${col}]`;
  const zConstants = { Z_STRIDE: u32(z.rowStride), Z_OFFSET: u32(z.offset) };
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  const dcOp = assignOp(o.accumulate?.dc === true);
  const groups = rows * NH;

  const norm = buildKernel(
    {
      name: `${name}_dh`,
      ...src,
      summary: `dh = MultiHeadLayerNorm backward of dy ⊙ SiLU(z) over ${NH} heads of ${DH}, dc ${dcOp} dy ⊙ SiLU(z) ⊙ skip, stats kept`,
      bindings: [
        read('dy', rows * I),
        read('h', rows * I),
        viewBinding(z, rows, I, 'read'),
        read('normWeight', I),
        read('skip', I),
        write('stats', 2 * groups),
        write('dh', rows * I),
        write('dc', rows * I),
      ],
      constants: { I: u32(I), DH: u32(DH), NH: u32(NH), GROUPS: u32(groups), EPS: f32(o.eps ?? 1e-5), INV_DH: f32(1 / DH), ...zConstants },
      workgroupSize: size,
      workgroups: Math.ceil(groups / size),
      loopIterations: 4 * (DH + 1),
      body: [
        ...headNormStats('GROUPS'),
        'stats[2u * gid] = mean;',
        'stats[2u * gid + 1u] = rstd;',
        'var sg = 0.0;',
        'var sgx = 0.0;',
        'for (var j = 0u; j < DH; j++) {',
        `  let zj = ${zAt('col0 + j')};`,
        '  let s = dy[base + j] * zj / (1.0 + exp(-zj));',
        `  dc[base + j] ${dcOp} s * skip[col0 + j];`,
        '  let gh = s * (1.0 + normWeight[col0 + j]);',
        '  sg += gh;',
        '  sgx += gh * (h[base + j] - mean) * rstd;',
        '}',
        'let meanG = sg * INV_DH;',
        'let meanGx = sgx * INV_DH;',
        'for (var j = 0u; j < DH; j++) {',
        `  let zj = ${zAt('col0 + j')};`,
        '  let gh = dy[base + j] * zj / (1.0 + exp(-zj)) * (1.0 + normWeight[col0 + j]);',
        '  dh[base + j] = (gh - meanG - (h[base + j] - mean) * rstd * meanGx) * rstd;',
        '}',
      ],
    },
    target,
  );

  const gate = buildKernel(
    {
      name: `${name}_dz`,
      ...src,
      summary: `dz = dy ⊙ (MultiHeadLayerNorm(h) + skip ⊙ c) ⊙ SiLU'(z)`,
      bindings: [
        read('dy', rows * I),
        read('h', rows * I),
        read('stats', 2 * groups),
        read('normWeight', I),
        read('skip', I),
        read('conv', rows * I),
        viewBinding(z, rows, I, 'read'),
        viewBinding(dz, rows, I, 'read_write'),
      ],
      constants: { I: u32(I), DH: u32(DH), TOTAL: u32(rows * I), ...zConstants, DZ_STRIDE: u32(dz.rowStride), DZ_OFFSET: u32(dz.offset) },
      workgroupSize: size,
      workgroups: Math.ceil((rows * I) / size),
      loopIterations: 0,
      body: [
        'if (gid >= TOTAL) { return; }',
        'let row = gid / I;',
        'let col = gid % I;',
        'let grp = gid / DH;',
        'let normed = (h[gid] - stats[2u * grp]) * stats[2u * grp + 1u] * (1.0 + normWeight[col]);',
        `let zj = ${zAt('col')};`,
        'let sg = 1.0 / (1.0 + exp(-zj));',
        `${dz.name}[row * DZ_STRIDE + DZ_OFFSET + col] = dy[gid] * (normed + skip[col] * conv[gid]) * sg * (1.0 + zj * (1.0 - sg));`,
      ],
    },
    target,
  );

  const params = columnReduceKernels(
    {
      name: `${name}_dparams`,
      ...src,
      summary: `dNormWeight, dSkip [${I}] ${assignOp(o.accumulate?.params === true)} Σ_rows dy ⊙ SiLU(z) ⊙ (x̂, c)`,
      rows,
      cols: I,
      inputs: [read('dy', rows * I), viewBinding(z, rows, I, 'read'), read('h', rows * I), read('stats', 2 * groups), read('conv', rows * I)],
      prelude: [
        'let row = r;',
        'let e = r * COLS + c;',
        'let grp = e / DH;',
        `let zj = ${zAt('c')};`,
        'let s = dy[e] * zj / (1.0 + exp(-zj));',
      ],
      outputs: [
        { binding: 'dNormWeight', elements: I, term: 's * (h[e] - stats[2u * grp]) * stats[2u * grp + 1u]' },
        { binding: 'dSkip', elements: I, term: 's * conv[e]' },
      ],
      constants: { DH: u32(DH), ...zConstants },
      accumulate: o.accumulate?.params === true,
    },
    target,
  );
  return [norm, gate, ...params];
}
