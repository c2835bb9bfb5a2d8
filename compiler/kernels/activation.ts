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
 * erfc with fractional error < 1.2e-7 everywhere (the Chebyshev fit known as `erfcc`, Numerical
 * Recipes 6.2); WGSL has no erf. GELU is written through erfc, `0.5·x·erfc(−x/√2)`, because the
 * `1 + erf(x/√2)` form cancels in f32 for negative x and loses all relative accuracy in the tail.
 * llvmpipe's exp adds up to 4e-6 relative error on top.
 */
const ERFC = `fn erfc_approx(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(2.0 - r, r, x >= 0.0);
}`;

const SIGMOID = `fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}`;

const ACTIVATIONS: Record<Activation, ActivationWgsl> = {
  gelu: {
    helpers: [ERFC, `fn gelu(x: f32) -> f32 {\n  return 0.5 * x * erfc_approx(-x * 0.70710678118654752);\n}`],
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
