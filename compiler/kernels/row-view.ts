import type { KernelBinding } from './kernel.js';

/**
 * A [rows, width] matrix read or written inside a wider buffer: row r starts at `offset + r·rowStride`.
 * The mLSTM's gradients live in such views (dz inside proj_up's [rows, 2I] gradient, dq/dk/dv inside
 * dqkv [rows, 3I]), so backward kernels write them in place with no copy.
 */
export interface RowView {
  /** The binding's name. */
  name: string;
  rowStride: number;
  offset: number;
}

export interface RowViewOptions {
  name?: string;
  rowStride?: number;
  offset?: number;
}

export function rowView(o: RowViewOptions | undefined, name: string, width: number, what: string): RowView {
  const v = { name: o?.name ?? name, rowStride: o?.rowStride ?? width, offset: o?.offset ?? 0 };
  if (!Number.isInteger(v.rowStride) || !Number.isInteger(v.offset) || v.offset < 0 || v.offset + width > v.rowStride) {
    throw new Error(`${what}: ${v.name} at offset ${v.offset} with ${width} features does not fit rows of ${v.rowStride}`);
  }
  return v;
}

/** Elements a binding spans for `rows` rows of the view. */
function viewElements(v: RowView, rows: number, width: number): number {
  return (rows - 1) * v.rowStride + v.offset + width;
}

/** Whether vec4 loads of whole 4-groups of the view's features are aligned. */
export function vec4Aligned(v: RowView, width: number): boolean {
  return v.rowStride % 4 === 0 && v.offset % 4 === 0 && width % 4 === 0;
}

export function viewBinding(v: RowView, rows: number, width: number, access: KernelBinding['access'], vec4 = false): KernelBinding {
  const elements = viewElements(v, rows, width);
  // A vec4 view must span whole vec4s; an aligned view's extent is a multiple of 4.
  return { name: v.name, access, type: 'f32', elements, ...(vec4 ? { view: 'vec4' as const } : {}) };
}
