import type { KernelSpec, KernelTarget } from './kernel.js';
import { assignOp, loopChunks, type LoopChunk } from './loop-chunks.js';
import { spreadWorkgroupSize } from './register-tile.js';
import { buildKernel, range, u32 } from './wgsl.js';

/**
 * Backward of `embedding_gather`: the scatter-add dTable[v, :] (+)= Σ_{t: ids[t] = v} dy[t, :].
 *
 * WGSL has no float atomics, and atomically ordered float sums would differ from run to run, so each
 * invocation owns one (vocab row, slice of up to 8 vec4 columns) and walks all tokens in order, adding
 * the rows whose id matches: deterministic, every row of the table written (zero where no token has
 * its id). The id test is shared by the slice's columns and uniform across neighbouring invocations,
 * and only matching rows are read: vocab·tokens·dim/32 compares, far below the LM head's weight
 * gradient (vocab·tokens·dim multiply-adds), which training computes anyway. The token loop is split across dispatches under the
 * device's loop cap; later dispatches add to the output.
 *
 * Tied weights: the LM head's weight gradient (`linear_backward` with dw bound to the same tensor)
 * and this scatter both land in dTable; whichever runs second sets `accumulate`. An id outside
 * [0, vocab) matches no row: its gradient is dropped (the forward gather already made that token's
 * output, and so the loss, NaN).
 *
 * Bindings: ids [tokens] (u32), dy [tokens·dim], dTable [vocab·dim].
 */
export interface EmbeddingBackwardOptions {
  tokens: number;
  vocab: number;
  dim: number;
  /** Add to dTable instead of overwriting it. */
  accumulate?: boolean;
  name?: string;
  source?: string;
}

export function embeddingBackwardKernels(o: EmbeddingBackwardOptions, target: KernelTarget): KernelSpec[] {
  for (const [dim, v] of Object.entries({ tokens: o.tokens, vocab: o.vocab, dim: o.dim })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`embedding backward: ${dim} must be a positive integer, got ${v}`);
  }
  const name = o.name ?? `embedding_backward_${o.tokens}x${o.vocab}x${o.dim}`;
  const chunks = loopChunks(o.tokens, target, name);
  return chunks.map((c) => chunkKernel(o, chunks.length > 1 ? `${name}_t${c.index}` : name, c, target));
}

/** vec4 columns (or scalar ones) one invocation sums: the id test per token is shared by all of them. */
const COLUMNS_PER_INVOCATION = 8;

function chunkKernel(o: EmbeddingBackwardOptions, name: string, c: LoopChunk, target: KernelTarget): KernelSpec {
  const vec = o.dim % 4 === 0;
  const units = vec ? o.dim / 4 : o.dim;
  const per = Math.min(units, COLUMNS_PER_INVOCATION);
  const slices = Math.ceil(units / per);
  const total = o.vocab * slices;
  const view = vec ? { view: 'vec4' as const } : {};
  const op = assignOp(o.accumulate === true || !c.first);
  const size = spreadWorkgroupSize(total, target);
  const cols = range(per);
  const zero = vec ? 'vec4<f32>(0.0)' : '0.0';
  const guard = units % per !== 0;
  // Clamped columns of the last slice add duplicates that are never stored.
  const body = [
    'if (gid >= TOTAL) { return; }',
    'let v = gid / SLICES;',
    'let col0 = (gid % SLICES) * PER;',
    ...cols.map((j) => `let c${j} = min(col0 + ${j}u, UNITS - 1u);`),
    ...cols.map((j) => `var acc${j} = ${zero};`),
    `for (var t = ${c.begin}u; t < ${c.end}u; t++) {`,
    '  if (ids[t] == v) {',
    '    let row = t * UNITS;',
    ...cols.map((j) => `    acc${j} += dy[row + c${j}];`),
    '  }',
    '}',
    ...cols.map((j) => {
      const store = `dTable[v * UNITS + col0 + ${j}u] ${op} acc${j};`;
      return guard && j > 0 ? `if (col0 + ${j}u < UNITS) { ${store} }` : store;
    }),
  ];
  return buildKernel(
    {
      name,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `dTable[${o.vocab},${o.dim}] ${op} Σ_t [ids[t] = v] dy[t, :] over tokens ${c.begin}..${c.end - 1} of ${o.tokens}`,
      bindings: [
        { name: 'ids', access: 'read', type: 'u32', elements: o.tokens },
        { name: 'dy', access: 'read', type: 'f32', elements: o.tokens * o.dim, ...view },
        { name: 'dTable', access: 'read_write', type: 'f32', elements: o.vocab * o.dim, ...view },
      ],
      constants: { TOTAL: u32(total), UNITS: u32(units), SLICES: u32(slices), PER: u32(per) },
      workgroupSize: size,
      workgroups: Math.ceil(total / size),
      loopIterations: c.end - c.begin + 1,
      body,
    },
    target,
  );
}
