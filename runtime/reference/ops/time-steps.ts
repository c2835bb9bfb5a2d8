/** Moving single time steps in and out of row-major [B, T, width] sequences. */

/** The rows of time step t from [B, T, width] arrays, as [B, width]. */
export function timeStep(src: Float64Array, batch: number, time: number, width: number, t: number): Float64Array {
  const out = new Float64Array(batch * width);
  for (let b = 0; b < batch; b++) out.set(src.subarray((b * time + t) * width, (b * time + t + 1) * width), b * width);
  return out;
}

/** Writes [B, width] rows into time step t of a [B, T, width] array. */
export function setTimeStep(dst: Float64Array, src: Float64Array, batch: number, time: number, width: number, t: number): void {
  for (let b = 0; b < batch; b++) dst.set(src.subarray(b * width, (b + 1) * width), (b * time + t) * width);
}
