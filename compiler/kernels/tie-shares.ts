/**
 * WGSL twins of runtime/reference/ops/tie-gradients.ts: how PyTorch autograd splits the gradient of
 * `torch.maximum` (all to the larger argument, half each at an exact tie) and of `min(u, 1)`. Ties
 * are routine, not rare: min(e^{raw − m}, 1) meets exactly 1 whenever that gate set the stabiliser.
 * Add the ones a kernel calls to its `helpers`.
 */

/** `maximum_share(a, b)`: the share of the gradient of max(a, b) that reaches a (b gets the rest). */
export const MAXIMUM_SHARE_WGSL = `fn maximum_share(a: f32, b: f32) -> f32 {
  return select(select(0.0, 0.5, a == b), 1.0, a > b);
}`;

/** `min_one_share(u)`: the share of the gradient of min(u, 1) that reaches u. */
export const MIN_ONE_SHARE_WGSL = `fn min_one_share(u: f32) -> f32 {
  return select(select(0.0, 0.5, u == 1.0), 1.0, u < 1.0);
}`;
