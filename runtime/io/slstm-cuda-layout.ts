/**
 * The official sLSTM stores `_recurrent_kernel_` and `_bias_` in a backend-specific layout
 * (`xlstm/blocks/slstm/cell.py`, `_recurrent_kernel_ext2int` / `_bias_ext2int`). Both derive from
 * the "external" layout kernel [NH, DH in, 4 gates, DH out], bias [NH, 4 gates, DH]:
 *
 *   vanilla: kernel [NH, 4·DH, DH]  = [head, gate·DH + out, in];  bias [4·E] = gate·E + head·DH + unit
 *   cuda:    kernel [NH, DH, 4·DH]  = [head, in, gate·DH + out];  bias [4·E] = head·4·DH + gate·DH + unit
 *
 * The runtime computes in the vanilla layout; these convert a CUDA-backend checkpoint (and back, for
 * gradients written under the checkpoint's own layout).
 */

const GATES = 4;

export interface SlstmHeads {
  numHeads: number;
  headDim: number;
}

/** The `_recurrent_kernel_` shape the CUDA backend stores. */
export function cudaKernelShape({ numHeads, headDim }: SlstmHeads): number[] {
  return [numHeads, headDim, GATES * headDim];
}

/** Visits every kernel entry: `v` indexes the vanilla layout, `c` the CUDA layout. */
function forEachKernelEntry({ numHeads: NH, headDim: DH }: SlstmHeads, visit: (v: number, c: number) => void): void {
  const rows = GATES * DH;
  for (let h = 0; h < NH; h++) {
    for (let row = 0; row < rows; row++) {
      for (let i = 0; i < DH; i++) visit((h * rows + row) * DH + i, (h * DH + i) * rows + row);
    }
  }
}

/** Visits every bias entry: `v` indexes the vanilla layout, `c` the CUDA layout. */
function forEachBiasEntry({ numHeads: NH, headDim: DH }: SlstmHeads, visit: (v: number, c: number) => void): void {
  const E = NH * DH;
  for (let g = 0; g < GATES; g++) {
    for (let h = 0; h < NH; h++) {
      for (let u = 0; u < DH; u++) visit(g * E + h * DH + u, (h * GATES + g) * DH + u);
    }
  }
}

type EntryVisitor = (heads: SlstmHeads, visit: (v: number, c: number) => void) => void;

function relayout(heads: SlstmHeads, values: Float64Array, forEachEntry: EntryVisitor, toVanilla: boolean): Float64Array {
  const out = new Float64Array(values.length);
  forEachEntry(heads, toVanilla ? (v, c) => (out[v] = values[c]!) : (v, c) => (out[c] = values[v]!));
  return out;
}

export function cudaKernelToVanilla(heads: SlstmHeads, cuda: Float64Array): Float64Array {
  return relayout(heads, cuda, forEachKernelEntry, true);
}

export function vanillaKernelToCuda(heads: SlstmHeads, vanilla: Float64Array): Float64Array {
  return relayout(heads, vanilla, forEachKernelEntry, false);
}

export function cudaBiasToVanilla(heads: SlstmHeads, cuda: Float64Array): Float64Array {
  return relayout(heads, cuda, forEachBiasEntry, true);
}

export function vanillaBiasToCuda(heads: SlstmHeads, vanilla: Float64Array): Float64Array {
  return relayout(heads, vanilla, forEachBiasEntry, false);
}
