/** Cutting [B, T, width] sequences into pieces along time and joining them back, for streaming tests. */

/** Steps [t0, t0 + len) of a [B, T, width] array, as [B, len, width]. */
export function sliceTime<A extends Float32Array | Float64Array>(x: A, B: number, T: number, width: number, t0: number, len: number): A {
  const out = new (x.constructor as new (n: number) => A)(B * len * width);
  for (let b = 0; b < B; b++) out.set(x.subarray((b * T + t0) * width, (b * T + t0 + len) * width), b * len * width);
  return out;
}

/** Consecutive pieces [B, len_i, width] joined into [B, Σ len_i, width]. */
export function joinTime(pieces: readonly { data: Float32Array; len: number }[], B: number, width: number): Float32Array {
  const T = pieces.reduce((s, p) => s + p.len, 0);
  const out = new Float32Array(B * T * width);
  let t0 = 0;
  for (const p of pieces) {
    for (let b = 0; b < B; b++) out.set(p.data.subarray(b * p.len * width, (b + 1) * p.len * width), (b * T + t0) * width);
    t0 += p.len;
  }
  return out;
}
