import type { PlanBuilder, Placement } from './plan-builder.js';

/** Row stride and offset of a placement, as the kernels' row-view options take them. */
export function rowViewOf(at: Placement): { rowStride: number; offset: number } {
  return { rowStride: at.rowStride, offset: at.offset };
}

/**
 * Where the gradient of each IR value lives during the backward pass, and which of it has been
 * written. A gradient mirrors its value's placement: the gradient of a value held in buffer X is held
 * in `∂X` at the same row stride and offset, so the gradients of views (x_m and z inside proj_up's
 * output, q/k/v inside their concat) are views of one gradient buffer, exactly what the backward
 * kernels read and write in place. Handlers may place a gradient elsewhere (`place`), or share one
 * (`alias`: both operands of a residual add get the sum's gradient, so the residual stream's gradient
 * is one buffer that every block adds into).
 *
 * Writes are tracked per buffer as covered column ranges: the first contribution to a gradient
 * overwrites, later ones add (`accumulates`), and a kernel reading a gradient requires it whole.
 */
export class GradientViews {
  private readonly views = new Map<number, Placement>();
  /** Per gradient buffer, the column ranges [begin, end) written so far (every row). */
  private readonly covered = new Map<string, [number, number][]>();

  constructor(private readonly p: PlanBuilder) {}

  /** The gradient's placement: given by a handler, or mirrored from the value's own. */
  view(id: number): Placement {
    const r = this.p.resolve(id);
    const known = this.views.get(r);
    if (known !== undefined) return known;
    const forward = this.p.placement(r);
    const source = this.p.buffers.get(forward.buffer)!;
    const buffer = this.p.declare(`∂${forward.buffer}`, source.elements, 'f32', 'scratch');
    const view = { ...forward, buffer };
    this.views.set(r, view);
    return view;
  }

  /** The gradient as a whole contiguous buffer, as most kernels bind it. */
  contiguous(id: number, what: string): string {
    const v = this.view(id);
    if (v.offset !== 0 || v.rowStride !== v.width) throw new Error(`plan: ${what} needs the gradient of %${id} contiguous, it is a strided view`);
    return v.buffer;
  }

  /** Gives a value's gradient a placement of the handler's choosing (before anything used it). */
  place(id: number, view: Placement): void {
    const r = this.p.resolve(id);
    if (this.views.has(r)) throw new Error(`plan: the gradient of %${id} is already placed`);
    this.views.set(r, view);
  }

  /** `id`'s gradient is `other`'s: both refer to one buffer region from now on. */
  alias(id: number, other: number): void {
    this.place(id, this.view(other));
  }

  /** Whether contributions to the gradient must add to what is there (false: the first overwrites). */
  accumulates(id: number): boolean {
    const v = this.view(id);
    const covered = this.coveredColumns(v);
    if (covered !== 0 && covered !== v.width) throw new Error(`plan: the gradient of %${id} is partly written; no kernel adds into part of a view`);
    return covered === v.width;
  }

  /** A gradient a kernel reads: it must be complete. */
  read(id: number, what: string): Placement {
    const v = this.view(id);
    if (this.coveredColumns(v) !== v.width) throw new Error(`plan: ${what} reads the gradient of %${id} (${this.p.ir.values[id]?.name}) before all of it was computed`);
    return v;
  }

  /** Records that a kernel wrote (or added into) the whole of `id`'s gradient. */
  written(id: number): void {
    const v = this.view(id);
    const list = this.covered.get(v.buffer) ?? [];
    list.push([v.offset, v.offset + v.width]);
    this.covered.set(v.buffer, list);
  }

  /** How many of the view's columns are already written. */
  private coveredColumns(v: Placement): number {
    let n = 0;
    for (let c = v.offset; c < v.offset + v.width; c++) {
      if ((this.covered.get(v.buffer) ?? []).some(([b, e]) => c >= b && c < e)) n++;
    }
    return n;
  }
}
