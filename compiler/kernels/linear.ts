import type { Activation } from '../spec.js';
import { activationWgsl } from './activation.js';
import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { layerNormStatsKernel } from './layer-norm-stats.js';
import { buildKernel, range, u32 } from './wgsl.js';

/**
 * `y[M,N] = act(LN(x)·Wᵀ + bias) + residual`, an `nn.Linear` (W stored [N, K]) with an optional
 * fused LayerNorm prologue (scale 1 + lnWeight, no bias; statistics from a `layer_norm_stats` pass),
 * bias, activation and residual epilogue. Every part but the matmul is optional.
 *
 * Register-blocked without workgroup memory (DESIGN.md §7): each invocation computes a TM×TN tile
 * of y, reading K in vec4 steps. On llvmpipe 8×8 tiles ran at 10–14 GFLOP/s against 5–7 for 4×4
 * (M=1024, N=512, K=128). Rows and columns past M, N are clamped on load and skipped on store,
 * so no shape needs to divide the tile.
 *
 * The device's silent loop cap bounds the K loop: when ⌈K/4⌉ iterations would exceed it, K is split
 * into chunks run as consecutive dispatches that accumulate through the `partial` scratch tensor;
 * only the last applies the epilogue.
 *
 * Bindings (bind all that the returned kernels name; the same map serves every kernel):
 *   x [M·K], w [N·K], lnWeight [K] and stats [2M] (scratch) with layerNorm, bias [N],
 *   residual [M·N] with residual 'buffer', partial [M·N] (scratch) when split, y [M·N].
 */
/** The layer both directions (`linearKernels`, `linearBackwardKernels`) describe: [M, K] in, [M, N] out. */
export interface LinearLayerOptions {
  m: number;
  n: number;
  k: number;
  bias?: boolean;
  layerNorm?: { eps: number };
  activation?: Activation;
  name?: string;
  source?: string;
}

export interface LinearOptions extends LinearLayerOptions {
  /** 'buffer': add the `residual` tensor; 'in-place': add y's previous contents (y += …). */
  residual?: 'buffer' | 'in-place';
  /** Outputs per invocation, rows × columns; default 8×8 (less when M or N is smaller). */
  tile?: [number, number];
  workgroupSize?: number;
}

export function linearKernels(o: LinearOptions, target: KernelTarget): KernelSpec[] {
  const { m: M, n: N, k: K } = o;
  for (const [dim, v] of Object.entries({ M, N, K })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`linear: ${dim} must be a positive integer, got ${v}`);
  }
  const name = o.name ?? `linear_${M}x${N}x${K}`;
  const vec = K % 4 === 0;
  // K in vec4 groups; a partial last group (K % 4 != 0) is unrolled after the loop of the last chunk
  const fullGroups = Math.floor(K / 4);
  const perChunk = target.maxLoopIterationsPerInvocation - 1; // each loop also spends one exit test
  if (perChunk < 1) throw new Error(`linear ${name}: loop cap ${target.maxLoopIterationsPerInvocation} is too small`);
  const chunks = Math.max(1, Math.ceil(fullGroups / perChunk));
  const kernels: KernelSpec[] = [];
  if (o.layerNorm) {
    kernels.push(layerNormStatsKernel({ rows: M, cols: K, eps: o.layerNorm.eps, name: `${name}_ln_stats`, ...src(o) }, target));
  }
  for (let c = 0; c < chunks; c++) {
    const begin = c * perChunk;
    const end = c === chunks - 1 ? fullGroups : begin + perChunk;
    kernels.push(matmulChunk(o, target, { name: chunks > 1 ? `${name}_k${c}` : name, vec, begin, end, first: c === 0, last: c === chunks - 1 }));
  }
  return kernels;
}

interface Chunk {
  name: string;
  vec: boolean;
  /** vec4 groups [begin, end) of K this dispatch sums. */
  begin: number;
  end: number;
  first: boolean;
  last: boolean;
}

function matmulChunk(o: LinearOptions, target: KernelTarget, c: Chunk): KernelSpec {
  const { m: M, n: N, k: K } = o;
  const [TM, TN] = o.tile ?? [Math.min(8, M), Math.min(8, N)];
  const rowBlocks = Math.ceil(M / TM);
  const colBlocks = Math.ceil(N / TN);
  const threads = rowBlocks * colBlocks;
  const size = Math.min(o.workgroupSize ?? 64, target.maxComputeInvocationsPerWorkgroup);
  const ln = o.layerNorm !== undefined;
  const tail = c.last ? K % 4 : 0;
  const split = !(c.first && c.last);
  const vec4 = c.vec ? { view: 'vec4' as const } : {};

  const bindings: KernelBinding[] = [
    { name: 'x', access: 'read', type: 'f32', elements: M * K, ...vec4 },
    { name: 'w', access: 'read', type: 'f32', elements: N * K, ...vec4 },
  ];
  if (ln) {
    bindings.push({ name: 'lnWeight', access: 'read', type: 'f32', elements: K, ...vec4 });
    bindings.push({ name: 'stats', access: 'read', type: 'f32', elements: 2 * M });
  }
  if (c.last && o.bias) bindings.push({ name: 'bias', access: 'read', type: 'f32', elements: N });
  if (c.last && o.residual === 'buffer') bindings.push({ name: 'residual', access: 'read', type: 'f32', elements: M * N });
  if (split) bindings.push({ name: 'partial', access: 'read_write', type: 'f32', elements: M * N });
  if (c.last) bindings.push({ name: 'y', access: 'read_write', type: 'f32', elements: M * N });

  const rows = range(TM);
  const cols = range(TN);
  const m = (i: number): string => (i ? `m0 + ${i}u` : 'm0');
  const n = (j: number): string => (j ? `n0 + ${j}u` : 'n0');
  const body: string[] = [
    'if (gid >= THREADS) { return; }',
    'let m0 = (gid / COL_BLOCKS) * TM;',
    'let n0 = (gid % COL_BLOCKS) * TN;',
    // Clamped rows/columns compute duplicates that are never stored: no branch in the inner loop.
    ...rows.map((i) => `let xr${i} = min(${m(i)}, M - 1u) * ROW_UNITS;`),
    ...cols.map((j) => `let wr${j} = min(${n(j)}, N - 1u) * ROW_UNITS;`),
  ];
  if (ln) {
    body.push(
      ...rows.map((i) => `let st${i} = 2u * min(${m(i)}, M - 1u);`),
      ...rows.map((i) => `let mean${i} = stats[st${i}];`),
      ...rows.map((i) => `let rstd${i} = stats[st${i} + 1u];`),
    );
  }
  for (const i of rows) for (const j of cols) body.push(`var acc${i}_${j} = 0.0;`);

  // The loop body, for vec4 group `k` (a loop variable or a literal).
  const step = (k: string, lanes: number): string[] => {
    const load = (arr: string, base?: string): string => {
      const from = base ? `${base} + ` : '';
      if (c.vec) return `${arr}[${from}${k}]`;
      const at = (l: number): string => (l < lanes ? `${arr}[${from}4u * ${k}${l ? ` + ${l}u` : ''}]` : '0.0');
      return `vec4<f32>(${[0, 1, 2, 3].map(at).join(', ')})`;
    };
    const lines: string[] = [];
    if (ln) lines.push(`let g = vec4<f32>(1.0) + ${load('lnWeight')};`);
    for (const i of rows) {
      lines.push(ln ? `let a${i} = (${load('x', `xr${i}`)} - vec4<f32>(mean${i})) * (rstd${i} * g);` : `let a${i} = ${load('x', `xr${i}`)};`);
    }
    for (const j of cols) lines.push(`let b${j} = ${load('w', `wr${j}`)};`);
    for (const i of rows) for (const j of cols) lines.push(`acc${i}_${j} += dot(a${i}, b${j});`);
    return lines;
  };
  if (c.end > c.begin) {
    body.push(`for (var k = ${c.begin}u; k < ${c.end}u; k++) {`, ...step('k', 4).map((l) => `  ${l}`), '}');
  }
  if (tail) body.push('{', ...step(`${Math.floor(K / 4)}u`, tail).map((l) => `  ${l}`), '}');

  const act = c.last && o.activation ? activationWgsl(o.activation) : undefined;
  const guardRows = M % TM !== 0;
  const guardCols = N % TN !== 0;
  for (const i of rows) {
    for (const j of cols) {
      const conds = [guardRows ? `${m(i)} < M` : '', guardCols ? `${n(j)} < N` : ''].filter(Boolean);
      const lines = [`let o = (${m(i)}) * N + ${n(j)};`, `var v = acc${i}_${j};`];
      if (!c.first) lines.push('v += partial[o];');
      if (c.last) {
        if (o.bias) lines.push(`v += bias[${n(j)}];`);
        if (act) lines.push(`v = ${act.apply('v')};`);
        if (o.residual === 'buffer') lines.push('v += residual[o];');
        if (o.residual === 'in-place') lines.push('v += y[o];');
        lines.push('y[o] = v;');
      } else {
        lines.push('partial[o] = v;');
      }
      body.push(conds.length ? `if (${conds.join(' && ')}) {` : '{', ...lines.map((l) => `  ${l}`), '}');
    }
  }

  const parts = [
    ln ? 'LN(x)' : 'x',
    '·Wᵀ',
    c.last && o.bias ? ' + b' : '',
  ].join('');
  const summary =
    `${c.last ? 'y' : 'partial'}[${M},${N}] = ${c.last && o.activation ? `${o.activation}(${parts})` : parts}` +
    `${c.last && o.residual ? (o.residual === 'buffer' ? ' + residual' : ' + y') : ''}` +
    `${c.first ? '' : ' + partial'}, K=${K}${split ? ` (groups ${c.begin}..${c.end - 1}${tail ? ' and the tail' : ''})` : ''}, ` +
    `${TM}x${TN} outputs per invocation`;
  return buildKernel(
    {
      name: c.name,
      ...src(o),
      summary,
      bindings,
      constants: {
        M: u32(M),
        N: u32(N),
        TM: u32(TM),
        TN: u32(TN),
        COL_BLOCKS: u32(colBlocks),
        THREADS: u32(threads),
        ROW_UNITS: u32(c.vec ? K / 4 : K),
      },
      helpers: act?.helpers ?? [],
      workgroupSize: size,
      workgroups: Math.ceil(threads / size),
      loopIterations: c.end > c.begin ? c.end - c.begin + 1 : 0,
      body,
    },
    target,
  );
}

function src(o: LinearOptions): { source?: string } {
  return o.source !== undefined ? { source: o.source } : {};
}
