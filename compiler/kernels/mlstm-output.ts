import type { KernelSpec, KernelTarget } from './kernel.js';
import { rowView } from './row-view.js';
import { buildKernel, f32, u32 } from './wgsl.js';

/**
 * The mLSTM layer's output, after the cell and before proj_down:
 *   y = (MultiHeadLayerNorm(h; outnorm) + learnable_skip ⊙ c) ⊙ SiLU(z)
 * where the norm normalises each head's DH features of each row (mean, biased variance, eps inside
 * the square root) and scales by 1 + w, no bias. proj_down and the residual add are the `linear`
 * kernel with a residual epilogue reading y.
 *
 * One invocation per (row, head): two passes for the statistics (accurate for any mean), one to write.
 *
 * Bindings: h [rows·I], conv [rows·I] (the conv output c), z [rows·zRowStride] (z at zOffset in each
 * row), normWeight [I], skip [I], y [rows·I].
 */
export interface MlstmOutputOptions {
  /** B·T. */
  rows: number;
  heads: number;
  headDim: number;
  /** Default 1e-5, the official MultiHeadLayerNorm eps. */
  eps?: number;
  /** Elements from one row of z to the next (default I; 2I when z is read inside proj_up's output). */
  zRowStride?: number;
  /** Where z starts in its row (default 0; I inside proj_up's output). */
  zOffset?: number;
  name?: string;
  source?: string;
}

export function mlstmOutputKernel(o: MlstmOutputOptions, target: KernelTarget): KernelSpec {
  const { rows, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ rows, NH, DH })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`mLSTM output: ${dim} must be a positive integer, got ${v}`);
  }
  const I = NH * DH;
  const { rowStride: zStride, offset: zOffset } = rowView({ rowStride: o.zRowStride, offset: o.zOffset }, 'z', I, 'mLSTM output');
  const threads = rows * NH;
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  return buildKernel(
    {
      name: o.name ?? `mlstm_output_${rows}x${NH}x${DH}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `y[${rows},${I}] = (MultiHeadLayerNorm(h) over ${NH} heads of ${DH} + skip ⊙ c) ⊙ SiLU(z)`,
      bindings: [
        { name: 'h', access: 'read', type: 'f32', elements: rows * I },
        { name: 'conv', access: 'read', type: 'f32', elements: rows * I },
        { name: 'z', access: 'read', type: 'f32', elements: rows * zStride },
        { name: 'normWeight', access: 'read', type: 'f32', elements: I },
        { name: 'skip', access: 'read', type: 'f32', elements: I },
        { name: 'y', access: 'read_write', type: 'f32', elements: rows * I },
      ],
      constants: { I: u32(I), DH: u32(DH), NH: u32(NH), THREADS: u32(threads), Z_STRIDE: u32(zStride), Z_OFFSET: u32(zOffset), EPS: f32(o.eps ?? 1e-5) },
      workgroupSize: size,
      workgroups: Math.ceil(threads / size),
      loopIterations: 3 * (DH + 1),
      body: [
        ...headNormStats('THREADS'),
        'let zBase = row * Z_STRIDE + Z_OFFSET + col0;',
        'for (var j = 0u; j < DH; j++) {',
        '  let normed = (h[base + j] - mean) * rstd * (1.0 + normWeight[col0 + j]);',
        '  let zj = z[zBase + j];',
        '  y[base + j] = (normed + skip[col0 + j] * conv[base + j]) * (zj / (1.0 + exp(-zj)));',
        '}',
      ],
    },
    target,
  );
}

/**
 * Body lines for one invocation per (row, head), `count` of them: `row`, the head's first column
 * `col0`, its start `base` in h, and the mean and rstd MultiHeadLayerNorm normalises the head with.
 */
export function headNormStats(count: string): string[] {
  return [
    `if (gid >= ${count}) { return; }`,
    'let row = gid / NH;',
    'let col0 = (gid % NH) * DH;',
    'let base = row * I + col0;',
    'var sum = 0.0;',
    'for (var j = 0u; j < DH; j++) { sum += h[base + j]; }',
    'let mean = sum / f32(DH);',
    'var squares = 0.0;',
    'for (var j = 0u; j < DH; j++) {',
    '  let d = h[base + j] - mean;',
    '  squares += d * d;',
    '}',
    'let rstd = 1.0 / sqrt(squares / f32(DH) + EPS);',
  ];
}
