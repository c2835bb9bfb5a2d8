import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { assignOp } from './loop-chunks.js';
import { spreadWorkgroupSize } from './register-tile.js';
import { buildKernel, u32, type WgslConstant } from './wgsl.js';

/**
 * Per-column sums over many rows, the shape of every bias, norm-weight and depthwise-filter gradient:
 *
 *   out_o[index_o(c)] (+)= Σ_{r < rows} term_o(r, c)      for each output o and column c < cols
 *
 * Deterministic and under the loop cap without atomics: stage 1 gives each invocation one column of
 * one segment of rows (segments short enough for the cap, numerous enough to occupy the device) and
 * writes the segment's sum to `partial`; stage 2 adds the segments in order. With a single segment
 * stage 1 writes the outputs directly.
 *
 * The terms are WGSL f32 expressions over `r` and `c` (u32), after the `prelude` statements.
 */
export interface ColumnReduceOutput {
  binding: string;
  elements: number;
  /** WGSL index into `binding` for column `c` (default `c`). */
  index?: string;
  term: string;
}

export interface ColumnReduceOptions {
  name: string;
  source?: string;
  summary: string;
  rows: number;
  cols: number;
  /** Bindings the prelude and terms read. */
  inputs: KernelBinding[];
  prelude?: string[];
  outputs: ColumnReduceOutput[];
  constants?: Record<string, WgslConstant>;
  helpers?: string[];
  /** Add to the outputs instead of overwriting them. */
  accumulate?: boolean;
  /** Name of the scratch binding of segment sums (default `partial`). */
  partial?: string;
  /** Rows per segment (default: chosen for the device); for tests of the two-stage path. */
  segmentRows?: number;
}

/** Invocations worth having in stage 1 before segments get shorter than `MIN_SEGMENT`. */
const WANTED_INVOCATIONS = 1024;
const MIN_SEGMENT = 32;

export function columnReduceKernels(o: ColumnReduceOptions, target: KernelTarget): KernelSpec[] {
  const { rows, cols } = o;
  const cap = target.maxLoopIterationsPerInvocation - 1;
  let segment = o.segmentRows ?? Math.ceil(rows / Math.min(Math.ceil(WANTED_INVOCATIONS / cols), Math.ceil(rows / MIN_SEGMENT)));
  segment = Math.min(segment, cap);
  const segments = Math.ceil(rows / segment);
  if (segments > cap) throw new Error(`${o.name}: ${rows} rows need more than ${cap} segments of ${cap}`);
  if (segments === 1) return [segmentKernel(o, rows, 1, target)];
  return [segmentKernel(o, segment, segments, target), combineKernel(o, segments, target)];
}

function partialName(o: ColumnReduceOptions): string {
  return o.partial ?? 'partial';
}

function outputBindings(o: ColumnReduceOptions): KernelBinding[] {
  const seen = new Map<string, number>();
  for (const out of o.outputs) seen.set(out.binding, Math.max(seen.get(out.binding) ?? 0, out.elements));
  return [...seen].map(([name, elements]) => ({ name, access: 'read_write', type: 'f32', elements }));
}

function store(o: ColumnReduceOptions, out: ColumnReduceOutput, value: string): string {
  return `${out.binding}[${out.index ?? 'c'}] ${assignOp(o.accumulate === true)} ${value};`;
}

function segmentKernel(o: ColumnReduceOptions, segment: number, segments: number, target: KernelTarget): KernelSpec {
  const threads = segments * o.cols;
  const size = spreadWorkgroupSize(threads, target);
  const direct = segments === 1;
  const bindings = [...o.inputs];
  if (direct) bindings.push(...outputBindings(o));
  else bindings.push({ name: partialName(o), access: 'read_write', type: 'f32', elements: o.outputs.length * threads });
  const body = [
    'if (gid >= THREADS) { return; }',
    'let c = gid % COLS;',
    'let s = gid / COLS;',
    ...o.outputs.map((_, i) => `var sum${i} = 0.0;`),
    'for (var r = s * SEGMENT; r < min(s * SEGMENT + SEGMENT, ROWS); r++) {',
    ...(o.prelude ?? []).map((l) => `  ${l}`),
    ...o.outputs.map((out, i) => `  sum${i} += ${out.term};`),
    '}',
    ...o.outputs.map((out, i) => (direct ? store(o, out, `sum${i}`) : `${partialName(o)}[${i}u * THREADS + gid] = sum${i};`)),
  ];
  return buildKernel(
    {
      name: direct ? o.name : `${o.name}_segments`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: direct ? o.summary : `${o.summary}: sums of ${segments} segments of ${segment} rows`,
      bindings,
      constants: { ...o.constants, THREADS: u32(threads), COLS: u32(o.cols), ROWS: u32(o.rows), SEGMENT: u32(segment) },
      ...(o.helpers ? { helpers: o.helpers } : {}),
      workgroupSize: size,
      workgroups: Math.ceil(threads / size),
      loopIterations: segment + 1,
      body,
    },
    target,
  );
}

function combineKernel(o: ColumnReduceOptions, segments: number, target: KernelTarget): KernelSpec {
  const size = spreadWorkgroupSize(o.cols, target);
  const partial = partialName(o);
  const body = [
    'if (gid >= COLS) { return; }',
    'let c = gid;',
    ...o.outputs.map((_, i) => `var sum${i} = 0.0;`),
    'for (var s = 0u; s < SEGMENTS; s++) {',
    ...o.outputs.map((_, i) => `  sum${i} += ${partial}[${i}u * SEGMENTS * COLS + s * COLS + c];`),
    '}',
    ...o.outputs.map((out, i) => store(o, out, `sum${i}`)),
  ];
  return buildKernel(
    {
      name: `${o.name}_combine`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `${o.summary}: adds the ${segments} segment sums in order`,
      bindings: [{ name: partial, access: 'read', type: 'f32', elements: o.outputs.length * segments * o.cols }, ...outputBindings(o)],
      constants: { ...o.constants, COLS: u32(o.cols), SEGMENTS: u32(segments) },
      workgroupSize: size,
      workgroups: Math.ceil(o.cols / size),
      loopIterations: segments + 1,
      body,
    },
    target,
  );
}

