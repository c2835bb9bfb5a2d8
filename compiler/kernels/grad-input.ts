import type { KernelSpec, KernelTarget } from './kernel.js';
import { assignOp, loopChunks, type LoopChunk } from './loop-chunks.js';
import { groupedDims, tileGrid, type GroupedLinearShape } from './register-tile.js';
import { rowView, viewBinding, type RowView, type RowViewOptions } from './row-view.js';
import { buildKernel, range, u32 } from './wgsl.js';

/**
 * The input gradient of a linear map, in `groups` independent blocks (1 for nn.Linear, P for a
 * block-diagonal headwise projection), W stored [G, N, K]:
 *
 *   dx[r, g·K + k] (+)= Σ_n dy[r, g·N + n] · w[g, n, k]
 *
 * Each invocation owns TM rows × TK features of dx and walks n, reading TM values of dy and a
 * contiguous TK-slice of a row of W (vec4 when K % 4 == 0). The n loop is split across dispatches
 * under the device's loop cap; later dispatches add to the output.
 *
 * Bindings: dy (view), w [G·N·K], dx (view).
 */
export interface GradInputOptions extends GroupedLinearShape {
  dy?: RowViewOptions;
  dx?: RowViewOptions;
  /** Add to dx instead of overwriting it. */
  accumulate?: boolean;
}

export function gradInputKernels(o: GradInputOptions, target: KernelTarget): KernelSpec[] {
  const { G, N, K } = groupedDims(o);
  const dy = rowView(o.dy, 'dy', G * N, o.name);
  const dx = rowView(o.dx, 'dx', G * K, o.name);
  const chunks = loopChunks(N, target, o.name);
  return chunks.map((c) => chunkKernel(o, dy, dx, c, chunks.length, target));
}

function chunkKernel(o: GradInputOptions, dy: RowView, dx: RowView, c: LoopChunk, chunks: number, target: KernelTarget): KernelSpec {
  const { G, M, N, K } = groupedDims(o);
  const grid = tileGrid(G, M, 'm', K, o.tile, target);
  const vec = K % 4 === 0;
  const op = assignOp(o.accumulate === true || !c.first);
  const is = range(grid.tile.rows);
  const vs = range(grid.tile.cols / 4);
  const lanes = range(4);
  // Clamped rows and features compute duplicates that are never stored.
  const body = [...grid.preamble, ...is.map((i) => `let dr${i} = min(m0 + ${i}u, M - 1u) * DY_STRIDE + DY_OFFSET + g * N;`)];
  if (vec) body.push(...vs.map((v) => `let wc${v} = min(k0 + ${4 * v}u, K - 4u) / 4u;`));
  else for (const v of vs) body.push(...lanes.map((l) => `let wc${v}_${l} = min(k0 + ${4 * v + l}u, K - 1u);`));
  for (const i of is) for (const v of vs) body.push(`var acc${i}_${v} = vec4<f32>(0.0);`);
  const loop = [
    'let wr = (g * N + n) * W_ROW_UNITS;',
    ...vs.map((v) => (vec ? `let b${v} = w[wr + wc${v}];` : `let b${v} = vec4<f32>(${lanes.map((l) => `w[wr + wc${v}_${l}]`).join(', ')});`)),
    ...is.map((i) => `let d${i} = ${dy.name}[dr${i} + n];`),
  ];
  for (const i of is) for (const v of vs) loop.push(`acc${i}_${v} += b${v} * d${i};`);
  body.push(`for (var n = ${c.begin}u; n < ${c.end}u; n++) {`, ...loop.map((l) => `  ${l}`), '}');
  body.push(...grid.stores((i, v, l, row, k) => `${dx.name}[(${row}) * DX_STRIDE + DX_OFFSET + g * K + ${k}] ${op} acc${i}_${v}[${l}];`));

  return buildKernel(
    {
      name: chunks > 1 ? `${o.name}_n${c.index}` : o.name,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary:
        `${dx.name}[${M},${G}·${K}] ${op} ${dy.name}·W${G > 1 ? ` per block of ${N}x${K}` : ''} over n ${c.begin}..${c.end - 1} of ${N}, ` +
        `${grid.tile.rows}x${grid.tile.cols} outputs per invocation`,
      bindings: [
        viewBinding(dy, M, G * N, 'read'),
        { name: 'w', access: 'read', type: 'f32', elements: G * N * K, ...(vec ? { view: 'vec4' as const } : {}) },
        viewBinding(dx, M, G * K, 'read_write'),
      ],
      constants: {
        ...grid.constants,
        N: u32(N),
        DY_OFFSET: u32(dy.offset),
        DY_STRIDE: u32(dy.rowStride),
        DX_OFFSET: u32(dx.offset),
        DX_STRIDE: u32(dx.rowStride),
        W_ROW_UNITS: u32(vec ? K / 4 : K),
      },
      workgroupSize: grid.workgroupSize,
      workgroups: grid.workgroups,
      loopIterations: c.end - c.begin + 1,
      body,
    },
    target,
  );
}
