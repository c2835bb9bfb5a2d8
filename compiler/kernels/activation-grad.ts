import type { Activation } from '../spec.js';
import { activationWgsl, type ActivationWgsl } from './activation.js';

/**
 * WGSL derivatives of the official activations, matching `activation.ts` (exact-erf gelu, SiLU as
 * swish, relu² as relu(x)²) and the float64 reference (`runtime/reference/ops/activations.ts`). The
 * erf and sigmoid helpers come from the forward module, so both directions share one approximation.
 */

const GELU_GRAD = `fn gelu_grad(x: f32) -> f32 {
  return 0.5 * erfc_approx(-x * 0.70710678118654752) + x * 0.3989422804014327 * exp(-0.5 * x * x);
}`;

const SILU_GRAD = `fn silu_grad(x: f32) -> f32 {
  let s = sigmoid(x);
  return s * (1.0 + x * (1.0 - s));
}`;

const SELU_GRAD = `fn selu_grad(x: f32) -> f32 {
  return 1.0507009873554805 * select(1.6732632423543772 * exp(x), 1.0, x > 0.0);
}`;

const GRADS: Record<Activation, { helpers: string[]; apply(x: string): string }> = {
  gelu: { helpers: [...activationWgsl('gelu').helpers, GELU_GRAD], apply: (x) => `gelu_grad(${x})` },
  swish: { helpers: [...activationWgsl('sigmoid').helpers, SILU_GRAD], apply: (x) => `silu_grad(${x})` },
  relu: { helpers: [], apply: (x) => `select(0.0, 1.0, ${x} > 0.0)` },
  'relu^2': { helpers: [], apply: (x) => `(2.0 * max(${x}, 0.0))` },
  sigmoid: {
    helpers: activationWgsl('sigmoid').helpers,
    apply: (x) => `(sigmoid(${x}) * (1.0 - sigmoid(${x})))`,
  },
  selu: { helpers: [SELU_GRAD], apply: (x) => `selu_grad(${x})` },
};

/** The derivative act'(x) as a scalar WGSL expression; `apply` may repeat its argument (pass a name). */
export function activationGradWgsl(act: Activation): ActivationWgsl {
  return GRADS[act];
}
