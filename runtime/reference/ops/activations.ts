import type { Activation } from '../../../compiler/spec.js';
import { erf } from './erf.js';

/**
 * Elementwise functions of the official model, each with its derivative, written as PyTorch computes
 * them (float64 formulas of `torch.sigmoid`, `F.logsigmoid`, `F.silu`, `F.gelu` with the exact erf,
 * `F.selu`, `relu`, `relu(x)²`).
 */

const SQRT1_2 = Math.SQRT1_2;
/** 1/√(2π), the peak of the standard normal density. */
const INV_SQRT_2PI = 0.3989422804014327;
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function sigmoidGrad(x: number): number {
  const s = sigmoid(x);
  return s * (1 - s);
}

/** log σ(x) = min(x, 0) − log1p(e^{−|x|}): no overflow, no cancellation. */
export function logSigmoid(x: number): number {
  return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
}

/** d/dx log σ(x) = σ(−x). */
export function logSigmoidGrad(x: number): number {
  return sigmoid(-x);
}

export function silu(x: number): number {
  return x * sigmoid(x);
}

export function siluGrad(x: number): number {
  const s = sigmoid(x);
  return s * (1 + x * (1 - s));
}

/** Exact GELU: x·Φ(x), Φ the standard normal CDF (not the tanh approximation). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * SQRT1_2));
}

export function geluGrad(x: number): number {
  return 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

export function reluGrad(x: number): number {
  return x > 0 ? 1 : 0;
}

export function reluSquared(x: number): number {
  return x > 0 ? x * x : 0;
}

export function reluSquaredGrad(x: number): number {
  return x > 0 ? 2 * x : 0;
}

export function selu(x: number): number {
  return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
}

export function seluGrad(x: number): number {
  return SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x));
}

interface ScalarFn {
  f(x: number): number;
  df(x: number): number;
}

/** The FFN activations by their official `act_fn` names (`swish` is SiLU). */
const FFN_ACTIVATIONS: Record<Activation, ScalarFn> = {
  gelu: { f: gelu, df: geluGrad },
  swish: { f: silu, df: siluGrad },
  relu: { f: relu, df: reluGrad },
  'relu^2': { f: reluSquared, df: reluSquaredGrad },
  sigmoid: { f: sigmoid, df: sigmoidGrad },
  selu: { f: selu, df: seluGrad },
};

export function activationForward(act: Activation, x: Float64Array): Float64Array {
  const { f } = FFN_ACTIVATIONS[act];
  return x.map(f);
}

/** dx = act'(x) ⊙ dy. */
export function activationBackward(act: Activation, x: Float64Array, dy: Float64Array): Float64Array {
  const { df } = FFN_ACTIVATIONS[act];
  return x.map((v, i) => df(v) * dy[i]);
}
