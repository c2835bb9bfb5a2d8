import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * Gradients of the sLSTM recurrent kernel and bias from the per-step gate gradients dx (what the
 * backward-through-time kernel writes), summed over batch rows and steps:
 *
 *   dR[h, g·DH + o, i] = Σ_{b,t} dx[b, t, g·E + h·DH + o] · y_{t−1}[b, h·DH + i],   dBias[g·E + e] = Σ_{b,t} dx[b, t, g·E + e]
 *
 * with y_{−1} the incoming state's y (zero from the zero state). One invocation per output element
 * (the bias as input column DH, against a constant 1) loops over the B·T positions in a fixed order:
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
  const count = NH * 4 * DH * (DH + 1);
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
  return Array.from({ length: dispatches }, (_, d) => {
    const begin = d * perDispatch;
    const end = Math.min(positions, begin + perDispatch);
    const op = d === 0 && !o.accumulate ? '=' : '+=';
    return buildKernel(
      {
        name: dispatches > 1 ? `${name}_${d}` : name,
        ...(o.source !== undefined ? { source: o.source } : {}),
        summary: `sLSTM backward: dR and dBias summed over positions ${begin}..${end - 1} of ${B} rows x ${T} steps, ${NH} heads of ${DH}`,
        bindings,
        constants: { T: u32(T), DH: u32(DH), E: u32(E), COUNT: u32(count), BEGIN: u32(begin), END: u32(end) },
        workgroupSize: size,
        workgroups: Math.ceil(count / size),
        loopIterations: end - begin + 1,
        body: [
          'if (gid >= COUNT) { return; }',
          'let i = gid % (DH + 1u);',
          'let row = gid / (DH + 1u);',
          'let o = row % DH;',
          'let g = (row / DH) % 4u;',
          'let h = row / (4u * DH);',
          'let dxCol = g * E + h * DH + o;',
          'let yCol = h * DH + min(i, DH - 1u);',
          'let isBias = i == DH;',
          'var acc = 0.0;',
          'for (var p = BEGIN; p < END; p++) {',
          '  let t = p % T;',
          `  let initial = ${o.inputState ? 'stateIn[(p / T) * E + yCol]' : '0.0'};`,
          '  let yPrev = select(select(y[(max(p, 1u) - 1u) * E + yCol], initial, t == 0u), 1.0, isBias);',
          '  acc += dx[p * 4u * E + dxCol] * yPrev;',
          '}',
          `if (isBias) { dBias[dxCol] ${op} acc; } else { dRecurrentKernel[row * DH + i] ${op} acc; }`,
        ],
      },
      target,
    );
  });
}
