/** numpy-style `x.transpose(perm)` of a row-major array, written out with strides. */
export function permute(data: Float64Array, shape: number[], perm: number[]): Float64Array {
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const outShape = perm.map((p) => shape[p]!);
  const out = new Float64Array(data.length);
  const index = new Array<number>(outShape.length).fill(0);
  for (let k = 0; k < data.length; k++) {
    out[k] = data[index.reduce((sum, i, d) => sum + i * strides[perm[d]!]!, 0)]!;
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}
