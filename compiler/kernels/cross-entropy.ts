import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, f32, u32 } from './wgsl.js';
import { reductionWorkgroupSize, workgroupReduce } from './workgroup-reduce.js';

/**
 * Softmax cross-entropy, as `F.cross_entropy(logits, targets)` with the mean reduction
 * (`golden/README.md`, "Inputs, targets, loss"):
 *
 *   rowLoss[r] = logsumexp_v logits[r, v] − logits[r, targets[r]]        (kernel 1, a workgroup per row)
 *   loss[0]    = (1/rows) Σ_r rowLoss[r]                                   (kernel 2, one workgroup)
 *
 * Both reductions pair terms in a fixed order, so the loss is the same bits on every run. With
 * `gradient`, kernel 1 also writes dLogits = (softmax(logits) − onehot(target)) / rows, the gradient
 * of the mean loss. A target outside [0, V) (the official ignore_index −1 included) makes its row's
 * loss, and so the mean, NaN: the official training data never has one, and a silent skip would hide
 * a data bug.
 *
 * Bindings: logits [rows·V], targets [rows] (i32), rowLoss [rows] (scratch), loss [1],
 * dLogits [rows·V] with `gradient`. Two dispatches, in order.
 */
export interface CrossEntropyOptions {
  rows: number;
  vocab: number;
  gradient?: boolean;
  name?: string;
  source?: string;
}

export function crossEntropyKernels(o: CrossEntropyOptions, target: KernelTarget): KernelSpec[] {
  const { rows, vocab: V } = o;
  for (const [dim, v] of Object.entries({ rows, V })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`cross-entropy: ${dim} must be a positive integer, got ${v}`);
  }
  const name = o.name ?? `cross_entropy_${rows}x${V}`;
  return [rowKernel(o, name, target), meanKernel(o, name, target)];
}

function rowKernel(o: CrossEntropyOptions, name: string, target: KernelTarget): KernelSpec {
  const { rows, vocab: V } = o;
  const vec = V % 4 === 0;
  const units = vec ? V / 4 : V;
  const size = reductionWorkgroupSize(units, 256, target.maxComputeInvocationsPerWorkgroup);
  const passes = o.gradient ? 3 : 2;
  const view = vec ? { view: 'vec4' as const } : {};
  const scalar = vec ? 'vec4<f32>' : 'f32';
  const bindings: KernelBinding[] = [
    { name: 'logits', access: 'read', type: 'f32', elements: rows * V, ...view },
    { name: 'targets', access: 'read', type: 'i32', elements: rows },
    { name: 'rowLoss', access: 'read_write', type: 'f32', elements: rows },
  ];
  if (o.gradient) bindings.push({ name: 'dLogits', access: 'read_write', type: 'f32', elements: rows * V, ...view });
  const lanes = (v: string, combine: string): string => (vec ? `${combine}(${combine}(${v}.x, ${v}.y), ${combine}(${v}.z, ${v}.w))` : v);
  const index = vec ? 'vec4<i32>(4 * i32(k)) + vec4<i32>(0, 1, 2, 3)' : 'i32(k)';
  const isTarget = `${index} == ${vec ? 'vec4<i32>(t)' : 't'}`;
  const horizontal = (v: string): string => (vec ? `dot(${v}, vec4<f32>(1.0))` : v);
  const body = [
    'let base = wg * UNITS;',
    // any element of the row is a valid start for its maximum (invocations past the row repeat one)
    'var top = logits[base + min(lid, UNITS - 1u)];',
    'for (var k = lid; k < UNITS; k += WORKGROUP_INVOCATIONS) { top = max(top, logits[base + k]); }',
    `redMax[lid] = ${lanes('top', 'max')};`,
    ...workgroupReduce('redMax', size, (a, b) => `max(${a}, ${b})`),
    'let rowMax = redMax[0];',
    'let t = targets[wg];',
    `var total = ${scalar}(0.0);`,
    // with the gradient, also the sum over the non-target entries: the target's p − 1 = −rest / total
    // then needs no subtraction that cancels when p is close to 1
    ...(o.gradient ? [`var rest = ${scalar}(0.0);`] : []),
    'for (var k = lid; k < UNITS; k += WORKGROUP_INVOCATIONS) {',
    `  let e = exp(logits[base + k] - ${scalar}(rowMax));`,
    '  total += e;',
    ...(o.gradient ? [`  rest += select(e, ${scalar}(0.0), ${isTarget});`] : []),
    '}',
    `redSum[lid] = ${horizontal('total')};`,
    ...(o.gradient ? [`redRest[lid] = ${horizontal('rest')};`] : []),
    ...workgroupReduce('redSum', size, (a, b) => `${a} + ${b}`),
    ...(o.gradient ? workgroupReduce('redRest', size, (a, b) => `${a} + ${b}`) : []),
    'let lse = rowMax + log(redSum[0]);',
    'let valid = t >= 0 && t < i32(V);',
    'if (lid == 0u) {',
    '  let at = wg * V + u32(clamp(t, 0, i32(V) - 1));',
    `  let picked = ${vec ? 'logits[at / 4u][at % 4u]' : 'logits[at]'};`,
    // A NaN constant is a WGSL compile error, so the bits become a run-time value through `t`.
    '  rowLoss[wg] = select(bitcast<f32>(0x7fc00000u | (u32(t) & 0u)), lse - picked, valid);',
    '}',
  ];
  if (o.gradient) {
    body.push(
      'let targetGrad = -(redRest[0] / redSum[0]) * INV_ROWS;',
      'for (var k = lid; k < UNITS; k += WORKGROUP_INVOCATIONS) {',
      `  dLogits[base + k] = select(exp(logits[base + k] - ${scalar}(lse)) * INV_ROWS, ${scalar}(targetGrad), ${isTarget});`,
      '}',
    );
  }
  return buildKernel(
    {
      name: `${name}_rows`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `rowLoss[r] = logsumexp(logits[r, :]) - logits[r, targets[r]] for ${rows} rows of ${V}${o.gradient ? ', and dLogits' : ''}`,
      bindings,
      constants: { UNITS: u32(units), V: u32(V), INV_ROWS: f32(1 / rows) },
      // one array per reduction: a value read before a barrier is never overwritten after it (see
      // sample-token.ts for the llvmpipe behaviour this avoids)
      workgroupVars: { redMax: `array<f32, ${size}>`, redSum: `array<f32, ${size}>`, ...(o.gradient ? { redRest: `array<f32, ${size}>` } : {}) },
      workgroupSize: size,
      workgroups: rows,
      loopIterations: passes * (Math.ceil(units / size) + 1),
      body,
    },
    target,
  );
}

function meanKernel(o: CrossEntropyOptions, name: string, target: KernelTarget): KernelSpec {
  const size = reductionWorkgroupSize(o.rows, 256, target.maxComputeInvocationsPerWorkgroup);
  return buildKernel(
    {
      name: `${name}_mean`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `loss = mean of rowLoss over ${o.rows} rows (fixed summation order)`,
      bindings: [
        { name: 'rowLoss', access: 'read', type: 'f32', elements: o.rows },
        { name: 'loss', access: 'read_write', type: 'f32', elements: 1 },
      ],
      constants: { ROWS: u32(o.rows), INV_ROWS: f32(1 / o.rows) },
      workgroupVars: { red: `array<f32, ${size}>` },
      workgroupSize: size,
      workgroups: 1,
      loopIterations: Math.ceil(o.rows / size) + 1,
      body: [
        'var total = 0.0;',
        'for (var r = lid; r < ROWS; r += WORKGROUP_INVOCATIONS) { total += rowLoss[r]; }',
        'red[lid] = total;',
        ...workgroupReduce('red', size, (a, b) => `${a} + ${b}`),
        'if (lid == 0u) { loss[0] = red[0] * INV_ROWS; }',
      ],
    },
    target,
  );
}
