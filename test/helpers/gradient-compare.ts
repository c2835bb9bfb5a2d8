/**
 * f32 gradients against float64 ones, per tensor: max |g − ref| / max(max |ref|, floor), where the
 * floor is a fraction of the largest gradient of the whole model. The floor matters only for tensors
 * whose true gradient is ~0 everywhere (the sLSTM input-gate bias from the zero state, an mLSTM
 * input-gate bias whose heads barely matter): there any f32 rounding is a large fraction of nothing.
 */
export const GRADIENT_TOLERANCE = 1e-3;
const FLOOR_FRACTION = 1e-3;

export interface TensorError {
  name: string;
  error: number;
}

export function gradientErrors(ours: ReadonlyMap<string, ArrayLike<number>>, reference: ReadonlyMap<string, Float64Array>): TensorError[] {
  const maxAbs = (values: ArrayLike<number>) => {
    let m = 0;
    for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
    return m;
  };
  const floor = FLOOR_FRACTION * Math.max(...[...reference.values()].map(maxAbs));
  return [...reference].map(([name, ref]) => {
    const g = ours.get(name);
    if (g === undefined || g.length !== ref.length) return { name, error: Infinity };
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Number.isNaN(g[i]!) ? Infinity : Math.abs(g[i]! - ref[i]!));
    return { name, error: diff / Math.max(maxAbs(ref), floor) };
  });
}

/** The tensors over the tolerance, as text for an assertion message (empty when all pass). */
export function failingTensors(errors: readonly TensorError[], tolerance = GRADIENT_TOLERANCE): string {
  return errors
    .filter((e) => !(e.error <= tolerance))
    .map((e) => `${e.name}: ${e.error.toExponential(2)}`)
    .join('; ');
}
