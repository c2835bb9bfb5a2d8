/** Splitting and joining row-major matrices along their last dim (torch.split / torch.cat on dim −1). */

export function splitColumns(x: Float64Array, rows: number, widths: readonly number[]): Float64Array[] {
  const total = widths.reduce((a, b) => a + b, 0);
  const parts = widths.map((w) => new Float64Array(rows * w));
  for (let r = 0; r < rows; r++) {
    let offset = r * total;
    widths.forEach((w, p) => {
      parts[p].set(x.subarray(offset, offset + w), r * w);
      offset += w;
    });
  }
  return parts;
}

export function concatColumns(parts: readonly Float64Array[], rows: number, widths: readonly number[]): Float64Array {
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let offset = r * total;
    widths.forEach((w, p) => {
      out.set(parts[p].subarray(r * w, (r + 1) * w), offset);
      offset += w;
    });
  }
  return out;
}
