import type { KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, f32, u32 } from './wgsl.js';
import { reductionWorkgroupSize, workgroupReduce } from './workgroup-reduce.js';

/**
 * The global L2 norm of all gradients (one flat buffer) on the device, with the clip factor of
 * `torch.nn.utils.clip_grad_norm_(max_norm)` and a non-finite flag for the trainer:
 *
 *   gradNorm[0] = ‖grads‖₂
 *   gradNorm[1] = min(1, maxNorm / (‖grads‖₂ + 1e-6))      (1 without maxNorm)
 *   gradNorm[2] = 1 if any gradient is NaN or ±Inf, or the norm overflows f32; else 0
 *
 * `adamw` with `clip` reads this buffer: it scales the gradients by [1] and skips the step when [2]
 * is set. Two passes in a fixed pairing order, so the norm is the same bits on every run: each
 * workgroup sums the squares of a grid-strided slice (its invocations' loops kept under the loop cap),
 * then one workgroup adds the workgroup sums.
 *
 * Bindings: grads [elements], partial [2·workgroups] (scratch), gradNorm [3]. Two dispatches.
 */
export interface GradNormOptions {
  elements: number;
  maxNorm?: number;
  name?: string;
  source?: string;
}

/**
 * First-pass shape: few workgroups of 64, each invocation summing a long strided run. Workgroup
 * barriers are costly on llvmpipe (it switches between the invocations of a workgroup at each one),
 * so the reductions should be few and small; 64 workgroups still occupy every core.
 */
const FIRST_PASS_SIZE = 64;
const FIRST_PASS_WORKGROUPS = 64;
/** Elements an invocation should sum at least before another workgroup is worth starting. */
const MIN_RUN = 64;

export function gradNormKernels(o: GradNormOptions, target: KernelTarget): KernelSpec[] {
  const n = o.elements;
  if (!Number.isInteger(n) || n < 1) throw new Error(`grad norm: elements must be a positive integer, got ${n}`);
  if (o.maxNorm !== undefined && !(o.maxNorm > 0)) throw new Error(`grad norm: max norm must be positive, got ${o.maxNorm}`);
  const name = o.name ?? `grad_norm_${n}`;
  const src = o.source !== undefined ? { source: o.source } : {};
  const vec = n % 4 === 0;
  const units = vec ? n / 4 : n;
  const size = reductionWorkgroupSize(units, FIRST_PASS_SIZE, target.maxComputeInvocationsPerWorkgroup);
  const perInvocation = target.maxLoopIterationsPerInvocation - 1;
  const workgroups = Math.max(Math.min(FIRST_PASS_WORKGROUPS, Math.ceil(units / (size * MIN_RUN))), Math.ceil(units / (size * perInvocation)));
  const finalSize = reductionWorkgroupSize(workgroups, 256, target.maxComputeInvocationsPerWorkgroup);
  // (sum of squares, non-finite seen) pairs
  const combine = (a: string, b: string): string => `vec2<f32>(${a}.x + ${b}.x, max(${a}.y, ${b}.y))`;
  const nonFinite = vec
    ? 'any((bitcast<vec4<u32>>(gv) & vec4<u32>(0x7f800000u)) == vec4<u32>(0x7f800000u))'
    : '(bitcast<u32>(gv) & 0x7f800000u) == 0x7f800000u';

  const partials = buildKernel(
    {
      name: `${name}_partials`,
      ...src,
      summary: `per-workgroup sums of squares (and non-finite flags) of ${n} gradients, ${workgroups} workgroups`,
      bindings: [
        { name: 'grads', access: 'read', type: 'f32', elements: n, ...(vec ? { view: 'vec4' as const } : {}) },
        { name: 'partial', access: 'read_write', type: 'f32', elements: 2 * workgroups },
      ],
      constants: { UNITS: u32(units), STRIDE: u32(workgroups * size) },
      workgroupVars: { red: `array<vec2<f32>, ${size}>` },
      workgroupSize: size,
      workgroups,
      loopIterations: Math.ceil(units / (workgroups * size)) + 1,
      body: [
        'var acc = vec2<f32>(0.0);',
        'for (var k = gid; k < UNITS; k += STRIDE) {',
        '  let gv = grads[k];',
        `  acc += vec2<f32>(${vec ? 'dot(gv, gv)' : 'gv * gv'}, 0.0);`,
        `  if (${nonFinite}) { acc.y = 1.0; }`,
        '}',
        'red[lid] = acc;',
        ...workgroupReduce('red', size, combine),
        'if (lid == 0u) {',
        '  partial[2u * wg] = red[0].x;',
        '  partial[2u * wg + 1u] = red[0].y;',
        '}',
      ],
    },
    target,
  );

  const finish = buildKernel(
    {
      name: `${name}_finish`,
      ...src,
      summary: `gradNorm = (‖g‖₂, clip factor${o.maxNorm !== undefined ? ` for max norm ${o.maxNorm}` : ' 1'}, non-finite flag)`,
      bindings: [
        { name: 'partial', access: 'read', type: 'f32', elements: 2 * workgroups },
        { name: 'gradNorm', access: 'read_write', type: 'f32', elements: 3 },
      ],
      constants: { PARTIALS: u32(workgroups), ...(o.maxNorm !== undefined ? { MAX_NORM: f32(o.maxNorm) } : {}) },
      workgroupVars: { red: `array<vec2<f32>, ${finalSize}>` },
      workgroupSize: finalSize,
      workgroups: 1,
      loopIterations: Math.ceil(workgroups / finalSize) + 1,
      body: [
        'var acc = vec2<f32>(0.0);',
        'for (var k = lid; k < PARTIALS; k += WORKGROUP_INVOCATIONS) {',
        `  acc = ${combine('acc', 'vec2<f32>(partial[2u * k], partial[2u * k + 1u])')};`,
        '}',
        'red[lid] = acc;',
        ...workgroupReduce('red', finalSize, combine),
        'if (lid == 0u) {',
        '  let norm = sqrt(red[0].x);',
        '  let overflow = (bitcast<u32>(norm) & 0x7f800000u) == 0x7f800000u;',
        '  gradNorm[0] = norm;',
        `  gradNorm[1] = ${o.maxNorm !== undefined ? 'min(1.0, MAX_NORM / (norm + 1e-6))' : '1.0'};`,
        '  gradNorm[2] = select(0.0, 1.0, red[0].y != 0.0 || overflow);',
        '}',
      ],
    },
    target,
  );
  return [partials, finish];
}
