import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, f32, u32 } from './wgsl.js';

/**
 * One fused AdamW step over every parameter, with PyTorch's `torch.optim.AdamW` semantics
 * (amsgrad off), on flat buffers holding all parameters, their gradients and both moments:
 *
 *   g = grad · clip                 (clip = gradNorm[1] from `grad_norm`, with `clip`; else 1)
 *   p ← p · (1 − lr · weightDecay)  (decoupled decay, only where the decay mask's bit is set)
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / bc1) · m / (√v / √bc2 + eps),   bc1 = 1 − β1^step,  bc2 = 1 − β2^step
 *
 * lr and the bias corrections are uniforms (`adamwUniforms` computes them in float64 from the step
 * count), so one pipeline serves every step and any learning-rate schedule. With `clip`, a set
 * non-finite flag (gradNorm[2]) leaves parameters and moments untouched: a NaN or Inf gradient skips
 * the step instead of poisoning the model, and the trainer sees the flag. With `zeroGrads` the
 * gradients are cleared after use (skipped step or not), ready for a backward pass that accumulates.
 *
 * The decay mask has one bit per element (`packDecayMask`), so any official grouping over any
 * layout costs 1/32 of a gradient read. Padding between parameters (zero gradients) stays zero.
 *
 * Bindings: params, grads, m, v [elements], decayMask [⌈elements/32⌉] (u32, with weightDecay > 0),
 * gradNorm [3] (with clip). Uniforms: lr, bc1, bc2Sqrt (f32). One dispatch, one invocation per
 * element (per vec4 when elements % 4 == 0).
 */
export interface AdamwOptions {
  elements: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  clip?: boolean;
  zeroGrads?: boolean;
  name?: string;
  source?: string;
}

const DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export function adamwKernel(o: AdamwOptions, target: KernelTarget): KernelSpec {
  const n = o.elements;
  if (!Number.isInteger(n) || n < 1) throw new Error(`adamw: elements must be a positive integer, got ${n}`);
  const { beta1, beta2, eps } = { ...DEFAULTS, ...o };
  for (const [what, v] of Object.entries({ beta1, beta2 })) {
    if (!(v >= 0 && v < 1)) throw new Error(`adamw: ${what} must be in [0, 1), got ${v}`);
  }
  const wd = o.weightDecay ?? 0;
  if (!(wd >= 0) || !(eps > 0)) throw new Error(`adamw: weight decay ${wd} and eps ${eps} must be non-negative and positive`);
  const vec = n % 4 === 0;
  const units = vec ? n / 4 : n;
  const T = vec ? 'vec4<f32>' : 'f32';
  const view = vec ? { view: 'vec4' as const } : {};
  const slot = (name: string, access: KernelBinding['access']): KernelBinding => ({ name, access, type: 'f32', elements: n, ...view });
  const bindings = [slot('params', 'read_write'), slot('grads', o.zeroGrads ? 'read_write' : 'read'), slot('m', 'read_write'), slot('v', 'read_write')];
  if (wd > 0) bindings.push({ name: 'decayMask', access: 'read', type: 'u32', elements: Math.ceil(n / 32) });
  if (o.clip) bindings.push({ name: 'gradNorm', access: 'read', type: 'f32', elements: 3 });

  const body = ['if (gid >= UNITS) { return; }', `let g = grads[gid]${o.clip ? ' * gradNorm[1]' : ''};`];
  if (o.zeroGrads) body.push(`grads[gid] = ${T}(0.0);`);
  if (o.clip) body.push('if (gradNorm[2] != 0.0) { return; }');
  body.push('var p = params[gid];');
  if (wd > 0) {
    // bit e of the mask is element e: a vec4 unit's four bits sit together in one word
    body.push(
      vec
        ? 'let decays = vec4<f32>((vec4<u32>(decayMask[gid / 8u] >> ((gid % 8u) * 4u)) >> vec4<u32>(0u, 1u, 2u, 3u)) & vec4<u32>(1u));'
        : 'let decays = f32((decayMask[gid / 32u] >> (gid % 32u)) & 1u);',
      `p *= ${T}(1.0) - u.lr * WEIGHT_DECAY * decays;`,
    );
  }
  body.push(
    // 1 − β baked from float64: in f32, 1 − 0.999f is off by 1.3e-5
    'let m1 = BETA1 * m[gid] + ONE_MINUS_BETA1 * g;',
    'let v1 = BETA2 * v[gid] + ONE_MINUS_BETA2 * g * g;',
    'm[gid] = m1;',
    'v[gid] = v1;',
    `params[gid] = p - (u.lr / u.bc1) * m1 / (sqrt(v1) / u.bc2Sqrt + ${T}(EPS));`,
  );
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  return buildKernel(
    {
      name: o.name ?? `adamw_${n}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary:
        `AdamW over ${n} parameters (β1 ${beta1}, β2 ${beta2}, eps ${eps}, weight decay ${wd}${wd > 0 ? ' where masked' : ''})` +
        `${o.clip ? ', gradients clipped by gradNorm[1], step skipped when gradNorm[2] flags non-finite' : ''}${o.zeroGrads ? ', gradients zeroed' : ''}`,
      bindings,
      uniforms: [
        { name: 'lr', type: 'f32' },
        { name: 'bc1', type: 'f32' },
        { name: 'bc2Sqrt', type: 'f32' },
      ],
      constants: {
        UNITS: u32(units),
        BETA1: f32(beta1),
        BETA2: f32(beta2),
        ONE_MINUS_BETA1: f32(1 - beta1),
        ONE_MINUS_BETA2: f32(1 - beta2),
        EPS: f32(eps),
        WEIGHT_DECAY: f32(wd),
      },
      workgroupSize: size,
      workgroups: Math.ceil(units / size),
      loopIterations: 0,
      body,
    },
    target,
  );
}

/** The uniforms of step `step` (1 for the first update, as torch counts) at learning rate `lr`. */
export function adamwUniforms(o: Pick<AdamwOptions, 'beta1' | 'beta2'>, lr: number, step: number): Record<'lr' | 'bc1' | 'bc2Sqrt', number> {
  if (!Number.isInteger(step) || step < 1) throw new Error(`adamw: step must be a positive integer, got ${step}`);
  const { beta1, beta2 } = { ...DEFAULTS, ...o };
  // 1 − β^t as −expm1(t·ln β): exact where 1 − β^t would cancel (β2 = 0.999, t small)
  return { lr, bc1: -Math.expm1(step * Math.log(beta1)), bc2Sqrt: Math.sqrt(-Math.expm1(step * Math.log(beta2))) };
}

/** The decay mask for `adamwKernel`: bit e set iff element e lies in one of the `decayed` ranges. */
export function packDecayMask(elements: number, decayed: readonly { offset: number; length: number }[]): Uint32Array {
  const mask = new Uint32Array(Math.ceil(elements / 32));
  for (const { offset, length } of decayed) {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > elements) {
      throw new Error(`decay range [${offset}, ${offset + length}) is outside the ${elements} parameters`);
    }
    for (let e = offset; e < offset + length; e++) mask[e >>> 5]! |= 1 << (e & 31);
  }
  return mask;
}
