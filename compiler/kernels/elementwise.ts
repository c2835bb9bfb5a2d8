import type { Activation } from '../spec.js';
import { activationWgsl } from './activation.js';
import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * One elementwise op over a [rows, cols] result: `y = a + b`, `y = a · b` or `y = act(a)`, each
 * operand read through a view, so a slice of a wider row (x_m or z inside proj_up's output) or a
 * per-feature vector broadcast over the rows (learnable_skip) needs no copy. It is what an IR op
 * becomes when the planner does not fuse it into a neighbour (`fuse: false`, the fused-vs-unfused
 * comparison), so it favours generality over speed: scalar, one invocation per element.
 *
 * Bindings: a (and b for add/mul) [the extent of their views], y [rows·cols].
 */
export interface ElementwiseOperand {
  /** Elements from one row to the next (default cols); ignored when broadcast. */
  rowStride?: number;
  /** Where the view starts (default 0). */
  offset?: number;
  /** One row of cols values used for every row. */
  broadcast?: boolean;
}

export type ElementwiseOp = { kind: 'add' } | { kind: 'mul' } | { kind: 'activation'; activation: Activation };

export interface ElementwiseOptions {
  rows: number;
  cols: number;
  op: ElementwiseOp;
  a?: ElementwiseOperand;
  b?: ElementwiseOperand;
  name?: string;
  source?: string;
}

export function elementwiseKernel(o: ElementwiseOptions, target: KernelTarget): KernelSpec {
  const { rows, cols } = o;
  for (const [dim, v] of Object.entries({ rows, cols })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`elementwise: ${dim} must be a positive integer, got ${v}`);
  }
  const binary = o.op.kind !== 'activation';
  const operands = binary ? (['a', 'b'] as const) : (['a'] as const);
  const constants: Record<string, ReturnType<typeof u32>> = { TOTAL: u32(rows * cols), COLS: u32(cols) };
  const bindings: KernelBinding[] = [];
  const reads: string[] = [];
  for (const name of operands) {
    const view = o[name] ?? {};
    const stride = view.rowStride ?? cols;
    const offset = view.offset ?? 0;
    if (!Number.isInteger(stride) || stride < cols || !Number.isInteger(offset) || offset < 0) {
      throw new Error(`elementwise: operand ${name} has row stride ${stride} and offset ${offset} for rows of ${cols}`);
    }
    const extent = view.broadcast ? offset + cols : (rows - 1) * stride + offset + cols;
    bindings.push({ name, access: 'read', type: 'f32', elements: extent });
    const upper = name.toUpperCase();
    constants[`${upper}_STRIDE`] = u32(view.broadcast ? 0 : stride);
    constants[`${upper}_OFFSET`] = u32(offset);
    reads.push(`let ${name}v = ${name}[${upper}_OFFSET + r * ${upper}_STRIDE + c];`);
  }
  bindings.push({ name: 'y', access: 'read_write', type: 'f32', elements: rows * cols });
  const act = o.op.kind === 'activation' ? activationWgsl(o.op.activation) : undefined;
  const expression = o.op.kind === 'add' ? 'av + bv' : o.op.kind === 'mul' ? 'av * bv' : act!.apply('av');
  const what = o.op.kind === 'activation' ? `${o.op.activation}(a)` : o.op.kind === 'add' ? 'a + b' : 'a * b';
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  return buildKernel(
    {
      name: o.name ?? `elementwise_${o.op.kind === 'activation' ? o.op.activation.replace('^', '') : o.op.kind}_${rows}x${cols}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `y[${rows},${cols}] = ${what}`,
      bindings,
      constants,
      helpers: act?.helpers ?? [],
      workgroupSize: size,
      workgroups: Math.ceil((rows * cols) / size),
      loopIterations: 0,
      body: ['if (gid >= TOTAL) { return; }', 'let r = gid / COLS;', 'let c = gid % COLS;', ...reads, `y[gid] = ${expression};`],
    },
    target,
  );
}
