import { columnReduceKernels } from './column-reduce.js';
import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { assignOp } from './loop-chunks.js';
import { rowView, viewBinding, type RowViewOptions } from './row-view.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * Backward of `causal_conv1d_silu` over a whole sequence from the zero history (training), given
 * dy = ∂L/∂y, y = SiLU(pre), pre[b,t,c] = bias[c] + Σ_j W[c,0,j] · x[b, t − (K−1) + j, c]:
 *
 *   dPre = dy ⊙ SiLU'(pre)                 (pre recomputed from x: K taps; without `silu`, dPre is dy)
 *   dx[b,t,c] (+)= Σ_j dPre[b, t + K−1−j, c] · W[c,0,j]      (terms past the sequence's end are 0)
 *   dw[c,0,j] (+)= Σ_{b,t} dPre[b,t,c] · x[b, t − (K−1) + j, c],   db[c] (+)= Σ_{b,t} dPre[b,t,c]
 *
 * Kernels: dPre (with silu, one invocation per element), dx (one per element, taps unrolled), and
 * dw/db as one column reduction over the B·T rows (segmented under the loop cap).
 *
 * Bindings: x (view: x_m inside proj_up's output has a row stride of 2I), weight [C·K], bias [C]
 * (with silu), dy [B·T·C], dPre [B·T·C] (scratch, with silu), dx (view: the mLSTM's dx_m lands in
 * proj_up's output gradient, stride 2I), dw [C·K], db [C], partial (scratch, when the reduction splits).
 */
export interface CausalConv1dSiluBackwardOptions {
  batch: number;
  time: number;
  channels: number;
  kernelSize: number;
  /** The forward applied SiLU (default true). */
  silu?: boolean;
  x?: RowViewOptions;
  dx?: RowViewOptions;
  accumulate?: { dx?: boolean; params?: boolean };
  name?: string;
  source?: string;
}

export function causalConv1dSiluBackwardKernels(o: CausalConv1dSiluBackwardOptions, target: KernelTarget): KernelSpec[] {
  const { batch: B, time: T, channels: C, kernelSize: K } = o;
  for (const [dim, v] of Object.entries({ B, T, C, K })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`causal conv1d backward: ${dim} must be a positive integer, got ${v}`);
  }
  const name = o.name ?? `causal_conv1d${o.silu === false ? '' : '_silu'}_backward_${B}x${T}x${C}_k${K}`;
  const silu = o.silu ?? true;
  const x = rowView(o.x, 'x', C, name);
  const dx = rowView(o.dx, 'dx', C, name);
  const rows = B * T;
  const dPre = silu ? 'dPre' : 'dy';
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  const src = o.source !== undefined ? { source: o.source } : {};
  const base = { constants: { C: u32(C), T: u32(T), K: u32(K), TOTAL: u32(rows * C) }, workgroupSize: size, workgroups: Math.ceil((rows * C) / size), loopIterations: 0 };
  const kernels: KernelSpec[] = [];
  const xb = viewBinding(x, rows, C, 'read');

  if (silu) {
    const taps = Array.from({ length: K }, (_, j) => {
      const back = K - 1 - j;
      const term = `weight[ch * K + ${j}u] * ${x.name}[(bt - ${back}u) * X_STRIDE + X_OFFSET + ch]`;
      return back === 0 ? `pre += ${term};` : `if (t >= ${back}u) { pre += ${term}; }`;
    });
    kernels.push(
      buildKernel(
        {
          name: `${name}_dpre`,
          ...src,
          summary: `dPre = dy ⊙ SiLU'(pre), pre the causal conv of ${K} taps + bias recomputed from x`,
          bindings: [
            xb,
            { name: 'weight', access: 'read', type: 'f32', elements: C * K },
            { name: 'bias', access: 'read', type: 'f32', elements: C },
            { name: 'dy', access: 'read', type: 'f32', elements: rows * C },
            { name: 'dPre', access: 'read_write', type: 'f32', elements: rows * C },
          ],
          ...base,
          constants: { ...base.constants, X_STRIDE: u32(x.rowStride), X_OFFSET: u32(x.offset) },
          body: [
            'if (gid >= TOTAL) { return; }',
            'let ch = gid % C;',
            'let bt = gid / C;',
            'let t = bt % T;',
            'var pre = bias[ch];',
            ...taps,
            'let s = 1.0 / (1.0 + exp(-pre));',
            'dPre[gid] = dy[gid] * s * (1.0 + pre * (1.0 - s));',
          ],
        },
        target,
      ),
    );
  }

  const dxTaps = Array.from({ length: K }, (_, j) => {
    const ahead = K - 1 - j;
    const term = `weight[ch * K + ${j}u] * ${dPre}[gid + ${ahead}u * C]`;
    return ahead === 0 ? `acc += ${term};` : `if (t + ${ahead}u < T) { acc += ${term}; }`;
  });
  kernels.push(
    buildKernel(
      {
        name: `${name}_dx`,
        ...src,
        summary: `${dx.name} ${assignOp(o.accumulate?.dx === true)} transposed causal conv of ${dPre} (${K} taps)`,
        bindings: [
          { name: 'weight', access: 'read', type: 'f32', elements: C * K },
          { name: dPre, access: 'read', type: 'f32', elements: rows * C },
          viewBinding(dx, rows, C, 'read_write'),
        ],
        ...base,
        constants: { ...base.constants, DX_STRIDE: u32(dx.rowStride), DX_OFFSET: u32(dx.offset) },
        body: [
          'if (gid >= TOTAL) { return; }',
          'let ch = gid % C;',
          'let bt = gid / C;',
          'let t = bt % T;',
          'var acc = 0.0;',
          ...dxTaps,
          `${dx.name}[bt * DX_STRIDE + DX_OFFSET + ch] ${assignOp(o.accumulate?.dx === true)} acc;`,
        ],
      },
      target,
    ),
  );

  const read = (b: string, elements: number): KernelBinding => ({ name: b, access: 'read', type: 'f32', elements });
  kernels.push(
    ...columnReduceKernels(
      {
        name: `${name}_dw`,
        ...src,
        summary: `dw[${C},1,${K}], db[${C}] ${assignOp(o.accumulate?.params === true)} sums over ${rows} positions`,
        rows,
        cols: C,
        inputs: [read(dPre, rows * C), xb],
        prelude: ['let t = r % T;', `let d = ${dPre}[r * C + c];`],
        outputs: [
          ...Array.from({ length: K }, (_, j) => {
            const back = K - 1 - j;
            const xAt = `${x.name}[(r - ${back ? `min(t, ${back}u)` : '0u'}) * X_STRIDE + X_OFFSET + c]`;
            return { binding: 'dw', elements: C * K, index: `c * K + ${j}u`, term: back ? `select(0.0, d * ${xAt}, t >= ${back}u)` : `d * ${xAt}` };
          }),
          { binding: 'db', elements: C, term: 'd' },
        ],
        constants: { C: u32(C), T: u32(T), K: u32(K), X_STRIDE: u32(x.rowStride), X_OFFSET: u32(x.offset) },
        accumulate: o.accumulate?.params === true,
      },
      target,
    ),
  );
  return kernels;
}
