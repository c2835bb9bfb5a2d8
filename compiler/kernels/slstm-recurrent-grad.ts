import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * Gradients of the sLSTM recurrent kernel and bias from the per-step gate gradients dx (what the
 * backward-through-time kernel writes), summed over batch rows and steps:
 *
 *   dR[h, g·DH + o, i] = Σ_{b,t} dx[b, t, g·E + h·DH + o] · y_{t−1}[b, h·DH + i],   dBias[g·E + e] = Σ_{b,t} dx[b, t, g·E + e]
 *
 * with y_{−1} the incoming state's y (zero from the zero state). One invocation per 4 × 4 block of
 * dR (the bias as one more block column) loops over the B·T positions in a fixed order:
 * deterministic, no atomics. Positions split over dispatches under the loop cap, adding into the output.
 *
 * Bindings: dx [B·T·4E], y [B·T·E] (the forward's output), stateIn [4·B·E] with `inputState`;
 * outputs dRecurrentKernel [NH·4DH·DH], dBias [4E] (added to when `accumulate`).
 */
export interface SlstmRecurrentGradOptions {
  batch: number;
  time: number;
  heads: number;
  headDim: number;
  inputState?: boolean;
  /** Add into dRecurrentKernel and dBias instead of overwriting them. */
  accumulate?: boolean;
  name?: string;
  source?: string;
}

export function slstmRecurrentGradKernels(o: SlstmRecurrentGradOptions, target: KernelTarget): KernelSpec[] {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  const E = NH * DH;
  const positions = B * T;
  // Each invocation owns a 4 × 4 block (units o0.., inputs i0..), so a position's 4 + 4 loads feed 16
  // products; block column QB (one past the inputs) is the bias, against a constant 1.
  const QB = Math.ceil(DH / 4);
  const count = NH * 4 * QB * (QB + 1);
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  const perDispatch = target.maxLoopIterationsPerInvocation - 1;
  const dispatches = Math.ceil(positions / perDispatch);
  const name = o.name ?? `slstm_recurrent_grad_${B}x${T}x${NH}x${DH}`;
  const bindings: KernelBinding[] = [
    { name: 'dx', access: 'read', type: 'f32', elements: positions * 4 * E },
    { name: 'y', access: 'read', type: 'f32', elements: positions * E },
    ...(o.inputState ? [{ name: 'stateIn', access: 'read' as const, type: 'f32' as const, elements: 4 * B * E }] : []),
    { name: 'dRecurrentKernel', access: 'read_write', type: 'f32', elements: NH * 4 * DH * DH },
    { name: 'dBias', access: 'read_write', type: 'f32', elements: 4 * E },
  ];
  const lanes = [0, 1, 2, 3];
  const yPrev = [
    // y_{t−1} at head column `col` for position p = b·T + t: the incoming state's y at t = 0.
    'fn y_prev(p: u32, col: u32) -> f32 {',
    `  if (p % T == 0u) { return ${o.inputState ? 'stateIn[(p / T) * E + col]' : '0.0'}; }`,
    '  return y[(p - 1u) * E + col];',
    '}',
  ].join('\n');
  return Array.from({ length: dispatches }, (_, d) => {
    const begin = d * perDispatch;
    const end = Math.min(positions, begin + perDispatch);
    const op = d === 0 && !o.accumulate ? '=' : '+=';
    return buildKernel(
      {
        name: dispatches > 1 ? `${name}_${d}` : name,
        ...(o.source !== undefined ? { source: o.source } : {}),
        summary: `sLSTM backward: dR and dBias summed over positions ${begin}..${end - 1} of ${B} rows x ${T} steps, ${NH} heads of ${DH}, 4 x 4 per invocation`,
        bindings,
        constants: { T: u32(T), DH: u32(DH), E: u32(E), QB: u32(QB), COUNT: u32(count), BEGIN: u32(begin), END: u32(end) },
        helpers: [yPrev],
        workgroupSize: size,
        workgroups: Math.ceil(count / size),
        loopIterations: end - begin + 1,
        body: [
          'if (gid >= COUNT) { return; }',
          'let ib = gid % (QB + 1u);',
          'let ob = (gid / (QB + 1u)) % QB;',
          'let hg = gid / ((QB + 1u) * QB);',
          'let g = hg % 4u;',
          'let h = hg / 4u;',
          'let isBias = ib == QB;',
          // Columns past DH read a clamped (valid) element and are never written.
          ...lanes.map((r) => `let o${r} = min(ob * 4u + ${r}u, DH - 1u);`),
          ...lanes.map((c) => `let i${c} = h * DH + min(ib * 4u + ${c}u, DH - 1u);`),
          'let dxAt = g * E + h * DH;',
          ...lanes.map((r) => `var acc${r} = vec4<f32>(0.0);`),
          'for (var p = BEGIN; p < END; p++) {',
          '  let row = p * 4u * E + dxAt;',
          `  let d = vec4<f32>(${lanes.map((r) => `dx[row + o${r}]`).join(', ')});`,
          `  let yv = select(vec4<f32>(${lanes.map((c) => `y_prev(p, i${c})`).join(', ')}), vec4<f32>(1.0), isBias);`,
          ...lanes.map((r) => `  acc${r} += d[${r}] * yv;`),
          '}',
          ...lanes.flatMap((r) => [
            `if (ob * 4u + ${r}u < DH) {`,
            `  let unit = dxAt + ob * 4u + ${r}u;`,
            `  if (isBias) { dBias[unit] ${op} acc${r}.x; }`,
            ...lanes.map((c) => `  if (!isBias && ib * 4u + ${c}u < DH) { dRecurrentKernel[((h * 4u + g) * DH + ob * 4u + ${r}u) * DH + ib * 4u + ${c}u] ${op} acc${r}[${c}]; }`),
            '}',
          ]),
        ],
      },
      target,
    );
  });
}
