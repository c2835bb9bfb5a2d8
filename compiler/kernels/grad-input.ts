import type { KernelSpec, KernelTarget } from './kernel.js';
import { assignOp, loopChunks, type LoopChunk } from './loop-chunks.js';
import { pickTile, range, spreadWorkgroupSize } from './register-tile.js';
import { rowView, viewBinding, type RowView, type RowViewOptions } from './row-view.js';
import { buildKernel, u32 } from './wgsl.js';

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
export interface GradInputOptions {
  rows: number;
  groups?: number;
  outDim: number;
  inDim: number;
  dy?: RowViewOptions;
  dx?: RowViewOptions;
  /** Add to dx instead of overwriting it. */
  accumulate?: boolean;
  name: string;
  source?: string;
  /** Outputs per invocation, rows × features (a multiple of 4). */
  tile?: [number, number];
}

export function gradInputKernels(o: GradInputOptions, target: KernelTarget): KernelSpec[] {
  const G = o.groups ?? 1;
  const { rows: M, outDim: N, inDim: K } = o;
  for (const [dim, v] of Object.entries({ rows: M, groups: G, outDim: N, inDim: K })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${o.name}: ${dim} must be a positive integer, got ${v}`);
  }
  const dy = rowView(o.dy, 'dy', G * N, o.name);
  const dx = rowView(o.dx, 'dx', G * K, o.name);
  const chunks = loopChunks(N, target, o.name);
  return chunks.map((c) => chunkKernel(o, G, dy, dx, c, chunks.length, target));
}

function chunkKernel(o: GradInputOptions, G: number, dy: RowView, dx: RowView, c: LoopChunk, chunks: number, target: KernelTarget): KernelSpec {
  const { rows: M, outDim: N, inDim: K } = o;
  const tile = pickTile(G, M, K, o.tile);
  const TM = tile.rows;
  const TV = tile.cols / 4;
  const mTiles = Math.ceil(M / TM);
  const kTiles = Math.ceil(K / tile.cols);
  const threads = G * mTiles * kTiles;
  const vec = K % 4 === 0;
  const op = assignOp(o.accumulate === true || !c.first);
  const size = spreadWorkgroupSize(threads, target);

  const is = range(TM);
  const vs = range(TV);
  const lanes = range(4);
  const body = [
    'if (gid >= THREADS) { return; }',
    'let g = gid / GROUP_TILES;',
    'let tile = gid % GROUP_TILES;',
    'let m0 = (tile / K_TILES) * TM;',
    'let k0 = (tile % K_TILES) * TK;',
    // Clamped rows and features compute duplicates that are never stored.
    ...is.map((i) => `let dr${i} = min(m0 + ${i}u, M - 1u) * DY_STRIDE + DY_OFFSET + g * N;`),
  ];
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

  const guardM = M % TM !== 0;
  const guardK = K % tile.cols !== 0;
  for (const i of is) {
    for (const v of vs) {
      for (const l of lanes) {
        const k = `k0 + ${4 * v + l}u`;
        const conds = [guardM ? `m0 + ${i}u < M` : '', guardK ? `${k} < K` : ''].filter(Boolean);
        const store = `${dx.name}[(m0 + ${i}u) * DX_STRIDE + DX_OFFSET + g * K + ${k}] ${op} acc${i}_${v}[${l}];`;
        body.push(conds.length ? `if (${conds.join(' && ')}) { ${store} }` : store);
      }
    }
  }

  return buildKernel(
    {
      name: chunks > 1 ? `${o.name}_n${c.index}` : o.name,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary:
        `${dx.name}[${M},${G}·${K}] ${op} ${dy.name}·W${G > 1 ? ` per block of ${N}x${K}` : ''} over n ${c.begin}..${c.end - 1} of ${N}, ` +
        `${TM}x${tile.cols} outputs per invocation`,
      bindings: [
        viewBinding(dy, M, G * N, 'read'),
        { name: 'w', access: 'read', type: 'f32', elements: G * N * K, ...(vec ? { view: 'vec4' as const } : {}) },
        viewBinding(dx, M, G * K, 'read_write'),
      ],
      constants: {
        THREADS: u32(threads),
        GROUP_TILES: u32(mTiles * kTiles),
        K_TILES: u32(kTiles),
        TM: u32(TM),
        TK: u32(tile.cols),
        M: u32(M),
        N: u32(N),
        K: u32(K),
        DY_OFFSET: u32(dy.offset),
        DY_STRIDE: u32(dy.rowStride),
        DX_OFFSET: u32(dx.offset),
        DX_STRIDE: u32(dx.rowStride),
        W_ROW_UNITS: u32(vec ? K / 4 : K),
      },
      workgroupSize: size,
      workgroups: Math.ceil(threads / size),
      loopIterations: c.end - c.begin + 1,
      body,
    },
    target,
  );
}
