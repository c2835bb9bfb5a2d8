import type { KernelTarget } from './kernel.js';
import { u32, type WgslConstant } from './wgsl.js';

/**
 * What the sLSTM replay and backward-through-time kernels share: one workgroup per (batch row, head),
 * each invocation owning one unit (or a few, when DH exceeds the workgroup) for the whole sequence;
 * the head's recurrent weights as gate columns R[h, ·, o, i] (a vec4 over the gates i, f, z, o) in
 * registers, workgroup memory or the storage buffer; the official first-step test; and the split of
 * time into launches under the loop cap.
 */
export interface SlstmHeadOptions {
  batch: number;
  time: number;
  heads: number;
  headDim: number;
  /** The forward started from `stateIn` [4·B·E] (y, c, n, m); else from the zero state. */
  inputState?: boolean;
  /**
   * Where R lives during the loop: each invocation's DH gate columns in registers (default up to 64
   * columns: on llvmpipe every workgroup-memory load costs about as much as a storage load), the
   * head's in workgroup memory, or read from the storage buffer every step.
   */
  recurrentWeights?: SlstmWeightsIn;
  /** Cap on steps per launch below what the loop cap allows (tests use it to force chunking). */
  maxStepsPerLaunch?: number;
  name?: string;
  source?: string;
}

export type SlstmWeightsIn = 'registers' | 'workgroup' | 'storage';

export interface SlstmHeadFrame {
  B: number;
  T: number;
  NH: number;
  DH: number;
  E: number;
  BE: number;
  /** Invocations per workgroup and units each owns. */
  size: number;
  perInvocation: number;
  weights: SlstmWeightsIn;
  /**
   * Declarations of the register copies `w{unit}_{n}` of gate columns, n = 0..DH−1, where
   * `at(j, n)` gives the (output unit, input) pair of column n for unit j; empty unless in registers.
   */
  registerColumns(at: (j: string, n: number) => [string, string]): string[];
  /**
   * WGSL for gate column n of unit register set `u` (unit j): vec4(R[h, g, o, i] for g = i, f, z, o)
   * with (o, i) = at(j, n).
   */
  column(u: string, n: number, at: (j: string, n: number) => [string, string]): string;
  /** Entry statements: b, h, the weights into workgroup memory, `first` (the t = 0 step takes the first-step branch), one barrier. */
  prologue(scanFirst: boolean): string[];
  /** Loop-header executions of a launch of `steps` steps, one loop iteration each. */
  loopIterations(scanFirst: boolean, steps: number): number;
  workgroupVars(extra: Record<string, string>, scanFirst: boolean): Record<string, string>;
  helpers: string[];
  /** `lines` for each unit this invocation owns, `j` being the unit and the suffix naming its registers. */
  units(lines: (suffix: string) => string[]): string[];
  /** Consecutive launches covering the sequence, each as long as the loop cap allows. */
  launches(what: string): { begin: number; steps: number }[];
  constants: Record<string, WgslConstant>;
}

/**
 * Loop-header executions llvmpipe spends beyond the shader's own loops in a workgroup that has a
 * barrier: 3 measured (Mesa 22.3, workgroups narrower than its 8-wide SIMD; none at 64 invocations),
 * so a launch planned to the exact cap lost its last steps. Counted as a margin in every launch.
 */
const BARRIER_LOOP_MARGIN = 8;

export function slstmHeadFrame(o: SlstmHeadOptions, target: KernelTarget, extraWorkgroupBytes: number): SlstmHeadFrame {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ B, T, NH, DH })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`slstm backward: ${dim} must be a positive integer, got ${v}`);
  }
  const E = NH * DH;
  const BE = B * E;
  const size = Math.min(DH, 64, target.maxComputeInvocationsPerWorkgroup);
  const perInvocation = Math.ceil(DH / size);
  const weightBytes = 16 * DH * DH;
  const fits = weightBytes + extraWorkgroupBytes + 4 <= target.maxComputeWorkgroupStorageSize;
  const weights = o.recurrentWeights ?? (DH * perInvocation <= 64 ? 'registers' : fits ? 'workgroup' : 'storage');
  const loopCost = (count: number): number => Math.ceil(count / size) + 1;
  const prologueIterations = (scanFirst: boolean): number => (weights === 'workgroup' ? loopCost(DH * DH) : 0) + (scanFirst ? loopCost(BE) : 0);
  const inputs = Array.from({ length: DH }, (_, n) => n);
  const gateColumn = [
    'fn gate_column(h: u32, o: u32, i: u32) -> vec4<f32> {',
    '  let at = h * 4u * DH * DH + o * DH + i;',
    '  return vec4<f32>(recurrentKernel[at], recurrentKernel[at + DH * DH], recurrentKernel[at + 2u * DH * DH], recurrentKernel[at + 3u * DH * DH]);',
    '}',
  ].join('\n');
  return {
    B,
    T,
    NH,
    DH,
    E,
    BE,
    size,
    perInvocation,
    weights,
    registerColumns: (at) =>
      weights !== 'registers'
        ? []
        : Array.from({ length: perInvocation }, (_, u) =>
            inputs.map((n) => {
              const [o, i] = at(`min(lid + ${u * size}u, DH - 1u)`, n);
              return `let w${u}_${n} = gate_column(h, ${o}, ${i});`;
            }),
          ).flat(),
    column: (u, n, at) => {
      if (weights === 'registers') return `w${u}_${n}`;
      const [o, i] = at('j', n);
      return weights === 'workgroup' ? `rS[(${o}) * DH + ${i}]` : `gate_column(h, ${o}, ${i})`;
    },
    prologue: (scanFirst) => [
      'let b = wg / NH;',
      'let h = wg % NH;',
      ...(weights === 'workgroup' ? ['for (var i = lid; i < DH * DH; i += WORKGROUP_INVOCATIONS) { rS[i] = gate_column(h, i / DH, i % DH); }'] : []),
      // The official torch.all(n == 0) looks at every batch row's incoming n.
      ...(scanFirst
        ? [
            'var nonzero = false;',
            'for (var i = lid; i < BE; i += WORKGROUP_INVOCATIONS) { if (stateIn[2u * BE + i] != 0.0) { nonzero = true; } }',
            'if (nonzero) { atomicStore(&anyNonzero, 1u); }',
          ]
        : []),
      'workgroupBarrier();',
      `let first = ${scanFirst ? 'atomicLoad(&anyNonzero) == 0u' : o.inputState ? 'false' : 'true'};`,
    ],
    loopIterations: (scanFirst, steps) => prologueIterations(scanFirst) + steps + 1 + BARRIER_LOOP_MARGIN,
    workgroupVars: (extra, scanFirst) => ({
      ...(weights === 'workgroup' ? { rS: `array<vec4<f32>, ${DH * DH}>` } : {}),
      ...(scanFirst ? { anyNonzero: 'atomic<u32>' } : {}),
      ...extra,
    }),
    helpers: [gateColumn],
    units: (lines) =>
      Array.from({ length: perInvocation }, (_, u) => {
        const inner = [`let j = lid + ${u * size}u;`, ...lines(`${u}`)].map((l) => `  ${l}`);
        return (u + 1) * size > DH ? [`if (lid + ${u * size}u < DH) {`, ...inner, '}'] : ['{', ...inner, '}'];
      }).flat(),
    launches: (what) => {
      const fixed = prologueIterations(!!o.inputState) + 1 + BARRIER_LOOP_MARGIN;
      const cap = Math.min(target.maxLoopIterationsPerInvocation - fixed, o.maxStepsPerLaunch ?? Infinity);
      if (cap < 1) throw new Error(`slstm backward: the ${what} needs more loop iterations per step than the device allows`);
      const out: { begin: number; steps: number }[] = [];
      for (let begin = 0; begin < T; begin += cap) out.push({ begin, steps: Math.min(cap, T - begin) });
      return out;
    },
    constants: { T: u32(T), NH: u32(NH), DH: u32(DH), E: u32(E), BE: u32(BE) },
  };
}

/** Rows of the replay tape [B, T, 7, E]: the raw gate pre-activations i, f, z, o, then c, n, m after the step. */
export const TAPE = { raw: 0, c: 4, n: 5, m: 6 } as const;
export const TAPE_ROWS = 7;
