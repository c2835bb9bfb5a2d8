/**
 * WGSL lines folding `array[0 .. size)` (workgroup memory, one slot per invocation, `size` a power of
 * two) into `array[0]` by halving, with the barriers around it: a fixed pairing, so the result is
 * deterministic, and no loop, so it costs nothing against the loop cap. Must run in uniform control
 * flow; every invocation may read `array[0]` afterwards and must pass another barrier before the
 * array is written again.
 */
export function workgroupReduce(array: string, size: number, combine: (a: string, b: string) => string): string[] {
  if (!Number.isInteger(Math.log2(size))) throw new Error(`workgroup reduction over ${size} slots: not a power of two`);
  const lines = ['workgroupBarrier();'];
  for (let half = size / 2; half >= 1; half /= 2) {
    lines.push(`if (lid < ${half}u) { ${array}[lid] = ${combine(`${array}[lid]`, `${array}[lid + ${half}u]`)}; }`, 'workgroupBarrier();');
  }
  return lines;
}

/** A power-of-two workgroup size: enough invocations for `work` items, at most `cap` and the device's limit. */
export function reductionWorkgroupSize(work: number, cap: number, deviceLimit: number): number {
  const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(n));
  return Math.max(1, Math.min(2 ** Math.ceil(Math.log2(Math.max(1, work))), floorPow2(cap), floorPow2(deviceLimit)));
}
