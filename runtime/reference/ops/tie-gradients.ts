/**
 * How PyTorch autograd splits the gradient of `torch.maximum`/`torch.minimum` (and binary `torch.max`):
 * all of it to the winning argument, half to each at an exact tie. Ties are not hypothetical in the
 * sLSTM cell: min(e^{raw − m}, 1) ties whenever that gate set the stabiliser m.
 */

/** Shares of the gradient of maximum(a, b) that reach a and b. */
export function maximumShares(a: number, b: number): [number, number] {
  if (a > b) return [1, 0];
  if (a < b) return [0, 1];
  return [0.5, 0.5];
}

/** Share of the gradient of minimum(u, 1) that reaches u. */
export function minWithOneShare(u: number): number {
  if (u < 1) return 1;
  return u === 1 ? 0.5 : 0;
}
