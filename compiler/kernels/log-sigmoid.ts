/**
 * WGSL `log_sigmoid(x)` = min(x, 0) − log(1 + e^{−|x|}): no overflow for any x. For x ≫ 0 the true
 * value −e^{−x} rounds to 0 (absolute error below 1.2e-7), which is harmless in the mLSTM's forget
 * gate sums. Add it to a kernel's `helpers`.
 */
export const LOG_SIGMOID_WGSL = `fn log_sigmoid(x: f32) -> f32 {
  return min(x, 0.0) - log(1.0 + exp(-abs(x)));
}`;
