import type { Activation } from '../spec.js';

/**
 * WGSL for the official activations (`golden/README.md`: gelu is the exact erf form, swish is SiLU,
 * relu^2 is relu(x)²), as helper functions a kernel adds to its `helpers` and calls in its epilogue.
 */

export interface ActivationWgsl {
  /** The helper functions to emit. */
  helpers: string[];
  /** The WGSL expression applying the activation to the f32 expression `x`. */
  apply(x: string): string;
}

/**
 * erf with |error| ≤ 1.5e-7 (Abramowitz & Stegun 7.1.26); WGSL has no erf. llvmpipe's exp adds up to
 * 4e-6 relative error on top.
 */
const ERF = `fn erf_approx(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(x) * (1.0 - poly * exp(-a * a));
}`;

const SIGMOID = `fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}`;

const ACTIVATIONS: Record<Activation, ActivationWgsl> = {
  gelu: {
    helpers: [ERF, `fn gelu(x: f32) -> f32 {\n  return 0.5 * x * (1.0 + erf_approx(x * 0.70710678118654752));\n}`],
    apply: (x) => `gelu(${x})`,
  },
  swish: { helpers: [SIGMOID], apply: (x) => `${x} * sigmoid(${x})` },
  relu: { helpers: [], apply: (x) => `max(${x}, 0.0)` },
  'relu^2': { helpers: [`fn relu_squared(x: f32) -> f32 {\n  let r = max(x, 0.0);\n  return r * r;\n}`], apply: (x) => `relu_squared(${x})` },
  sigmoid: { helpers: [SIGMOID], apply: (x) => `sigmoid(${x})` },
  selu: {
    helpers: [
      `fn selu(x: f32) -> f32 {\n  return 1.0507009873554805 * select(1.6732632423543772 * (exp(x) - 1.0), x, x > 0.0);\n}`,
    ],
    apply: (x) => `selu(${x})`,
  },
};

/** `apply` may repeat its argument: pass a variable name, not an expression with side effects. */
export function activationWgsl(act: Activation): ActivationWgsl {
  return ACTIVATIONS[act];
}
