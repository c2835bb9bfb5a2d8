import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { assignOp, loopChunks, type LoopChunk } from './loop-chunks.js';
import { groupedDims, tileGrid, type GroupedLinearShape } from './register-tile.js';
import { rowView, vec4Aligned, viewBinding, type RowView, type RowViewOptions } from './row-view.js';
import { buildKernel, range, u32 } from './wgsl.js';

/**
 * The weight gradient of a linear map summed over rows, in `groups` independent blocks (1 for
 * nn.Linear, P for a block-diagonal headwise projection):
 *
 *   dw[g, n, k] (+)= Σ_r dy[r, g·N + n] · a[r, g·K + k],     db[g·N + n] (+)= Σ_r dy[r, g·N + n]
 *
 * where a = x, or with `layerNorm` the LayerNorm prologue's output (x − mean_r)·rstd_r·(1 + lnWeight[k])
 * recomputed from x and the row statistics (the scale applied once per output, after the sum).
 * dw is stored [G, N, K] (nn.Linear's [out, in]; the official headwise [P, out, in]).
 *
 * Outer-product form: each invocation owns TN×TK outputs and walks the rows, reading a TN-slice of
 * dy and a TK-slice of a per row (vec4 when aligned), so both reads are contiguous. The row loop is
 * split across dispatches under the device's loop cap; later dispatches add to the output.
 *
 * Bindings: dy, x (views), lnWeight [K] and stats [2·rows] with `layerNorm`, dw [G·N·K], db [G·N]
 * with `bias`.
 */
export interface GradWeightOptions extends GroupedLinearShape {
  dy?: RowViewOptions;
  x?: RowViewOptions;
  bias?: boolean;
  layerNorm?: boolean;
  /** Add to dw and db instead of overwriting them. */
  accumulate?: boolean;
}

export function gradWeightKernels(o: GradWeightOptions, target: KernelTarget): KernelSpec[] {
  const { G, M, N, K } = groupedDims(o);
  const dy = rowView(o.dy, 'dy', G * N, o.name);
  const x = rowView(o.x, 'x', G * K, o.name);
  const chunks = loopChunks(M, target, o.name);
  return chunks.map((c) => chunkKernel(o, dy, x, c, chunks.length, target));
}

function chunkKernel(o: GradWeightOptions, dy: RowView, x: RowView, c: LoopChunk, chunks: number, target: KernelTarget): KernelSpec {
  const { G, M, N, K } = groupedDims(o);
  const grid = tileGrid(G, N, 'n', K, o.tile, target);
  // vec4 loads need every group to start on a vec4 boundary too
  const vec = vec4Aligned(x, G * K) && K % 4 === 0;
  const ln = o.layerNorm === true;
  const op = assignOp(o.accumulate === true || !c.first);

  const bindings: KernelBinding[] = [viewBinding(dy, M, G * N, 'read'), viewBinding(x, M, G * K, 'read', vec)];
  if (ln) {
    bindings.push({ name: 'lnWeight', access: 'read', type: 'f32', elements: K });
    bindings.push({ name: 'stats', access: 'read', type: 'f32', elements: 2 * M });
  }
  bindings.push({ name: 'dw', access: 'read_write', type: 'f32', elements: G * N * K });
  if (o.bias) bindings.push({ name: 'db', access: 'read_write', type: 'f32', elements: G * N });

  const js = range(grid.tile.rows);
  const vs = range(grid.tile.cols / 4);
  const lanes = range(4);
  // Clamped columns compute duplicates that are never stored: no branch inside the row loop.
  const body = [...grid.preamble, ...js.map((j) => `let dc${j} = DY_OFFSET + g * N + min(n0 + ${j}u, N - 1u);`)];
  if (vec) body.push(...vs.map((v) => `let xc${v} = (X_OFFSET + g * K + min(k0 + ${4 * v}u, K - 4u)) / 4u;`));
  else for (const v of vs) body.push(...lanes.map((l) => `let xc${v}_${l} = X_OFFSET + g * K + min(k0 + ${4 * v + l}u, K - 1u);`));
  for (const j of js) for (const v of vs) body.push(`var acc${j}_${v} = vec4<f32>(0.0);`);
  if (o.bias) body.push(...js.map((j) => `var bsum${j} = 0.0;`));

  const loop = [
    'let dr = r * DY_STRIDE;',
    'let xr = r * X_ROW_UNITS;',
    ...js.map((j) => `let d${j} = ${dy.name}[dr + dc${j}];`),
    ...vs.map((v) =>
      vec ? `var a${v} = ${x.name}[xr + xc${v}];` : `var a${v} = vec4<f32>(${lanes.map((l) => `${x.name}[xr + xc${v}_${l}]`).join(', ')});`,
    ),
  ];
  if (ln) {
    loop.push('let mean = vec4<f32>(stats[2u * r]);', 'let rstd = stats[2u * r + 1u];', ...vs.map((v) => `a${v} = (a${v} - mean) * rstd;`));
  }
  for (const j of js) for (const v of vs) loop.push(`acc${j}_${v} += a${v} * d${j};`);
  if (o.bias) loop.push(...js.map((j) => `bsum${j} += d${j};`));
  body.push(`for (var r = ${c.begin}u; r < ${c.end}u; r++) {`, ...loop.map((l) => `  ${l}`), '}');

  body.push(
    ...grid.stores((j, v, l, row, k) => {
      const value = ln ? `acc${j}_${v}[${l}] * (1.0 + lnWeight[${k}])` : `acc${j}_${v}[${l}]`;
      return `dw[(g * N + ${row}) * K + ${k}] ${op} ${value};`;
    }),
  );
  if (o.bias) {
    // the tiles of the first features write the bias sums (every tile of a row of dw has the same ones)
    const guard = N % grid.tile.rows !== 0;
    body.push('if (k0 == 0u) {');
    for (const j of js) {
      const store = `db[g * N + n0 + ${j}u] ${op} bsum${j};`;
      body.push(guard ? `  if (n0 + ${j}u < N) { ${store} }` : `  ${store}`);
    }
    body.push('}');
  }

  return buildKernel(
    {
      name: chunks > 1 ? `${o.name}_r${c.index}` : o.name,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary:
        `dw[${G},${N},${K}] ${op} Σ_r ${dy.name}ᵀ·${ln ? 'LN(x)' : x.name}${o.bias ? `, db ${op} Σ_r ${dy.name}` : ''} over rows ` +
        `${c.begin}..${c.end - 1} of ${M}, ${grid.tile.rows}x${grid.tile.cols} outputs per invocation`,
      bindings,
      constants: {
        ...grid.constants,
        DY_OFFSET: u32(dy.offset),
        DY_STRIDE: u32(dy.rowStride),
        X_OFFSET: u32(x.offset),
        X_ROW_UNITS: u32(vec ? x.rowStride / 4 : x.rowStride),
      },
      workgroupSize: grid.workgroupSize,
      workgroups: grid.workgroups,
      loopIterations: c.end - c.begin + 1,
      body,
    },
    target,
  );
}
