import type { KernelSpec, KernelTarget } from './kernel.js';
import { LOG_SIGMOID_WGSL } from './log-sigmoid.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * The official sLSTM cell (vanilla backend, `golden/README.md` "sLSTM cell, vanilla") as one
 * persistent workgroup per (batch row, head) looping over time:
 *
 *   raw_g = x_g + R_g·y_{t−1} + b_g     (gates i, f, z, o; R [NH, 4·DH, DH] = [head, g·DH + out, in])
 *   m_t = raw_i on the first step, else max(raw_i, m_{t−1} + log σ(raw_f))
 *   i = min(e^{raw_i − m_t}, 1),  f = min(e^{m_{t−1} + log σ(raw_f) − m_t}, 1)
 *   c_t = f c_{t−1} + i tanh(raw_z),  n_t = f n_{t−1} + i,  y_t = σ(raw_o) · c_t / n_t
 *
 * An invocation owns one unit (or a few, when DH exceeds the workgroup) for the whole sequence, its
 * (c, n, m) in registers: per step it computes the unit's four gates at once as mat4x4 · vec4 products
 * (four inputs of y_{t−1} against the four gates' weights), updates the state and publishes y_t in
 * workgroup memory, alternating halves by step parity, so one barrier per step suffices (and no value
 * read before a barrier is overwritten after it: see sample-token.ts). The head's R is used as one
 * 4×4 block per (unit, 4 inputs), held in registers, workgroup memory or the storage buffer
 * (`RecurrentWeightPlacement`).
 *
 * "First step" is the official `torch.all(n == 0)` over the WHOLE previous n [B, E] (every batch row
 * at once), which workgroups cannot evaluate together mid-dispatch. It is exact as follows:
 *   - start 'zero': the state is zero, so the first step takes the branch;
 *   - start 'input': every workgroup scans the whole n of `stateIn` before its first step;
 *   - after any step n ≥ min(i, …) > 0 for every unit (i = 1 or f = 1, so n_t ≥ min(1, n_{t−1})),
 *     so every later step, and a 'carried' start (a state this kernel wrote), takes the other branch.
 *
 * Time is split into launches of the same pipeline (uniforms t0, steps, init) so that no invocation
 * passes the device's silent loop cap; the state is carried between them in `state`. Generation is
 * the T = 1 kernel launched once per token with start 'carried' after the first.
 *
 * Bindings: x [B·T·4E] gate-major per position (`slstm-gates` output), recurrentKernel [NH·4DH·DH],
 * bias [4E] (g·E + h·DH + unit), y [B·T·E], state [4·B·E] (y, c, n, m: the official
 * `slstm_state` layout; the final state is written here, and read from here by a 'carried' start),
 * stateIn [4·B·E] with `inputState` (read by an 'input' start; must not be `state`).
 * Uniforms (per launch, from `slstmCellUniforms`): t0, steps, init.
 */
export interface SlstmCellOptions {
  batch: number;
  time: number;
  heads: number;
  headDim: number;
  /** Bind a `stateIn` tensor so a launch can start from a caller's state ('input'). */
  inputState?: boolean;
  /** Where R lives during the loop; default from `recurrentWeightPlacement`. */
  recurrentWeights?: RecurrentWeightPlacement;
  /** Cap on steps per launch below what the loop cap allows (tests use it to force chunking). */
  maxStepsPerLaunch?: number;
  name?: string;
  source?: string;
}

/** Where a run's state comes from: zeros, the caller's `stateIn`, or what the last launch left in `state`. */
export type SlstmStart = 'zero' | 'input' | 'carried';

export interface SlstmCellPlan {
  kernel: KernelSpec;
  /** Consecutive launches of `kernel` covering time steps [t0, t0 + steps). */
  launches: readonly { t0: number; steps: number }[];
}

const INIT_CODE: Record<SlstmStart, number> = { zero: 0, carried: 1, input: 2 };

/**
 * 'registers': each invocation keeps its units' R blocks in registers, the per-step product unrolled
 * (no loop; on llvmpipe 3x faster than workgroup memory at DH = 32, but 16 floats per block per
 * unit, so only for up to REGISTER_BLOCKS blocks); 'workgroup': the head's blocks in workgroup
 * memory (16·DH² bytes); 'storage': gathered from the storage buffer every step.
 */
export type RecurrentWeightPlacement = 'registers' | 'workgroup' | 'storage';

/** 8 blocks = 128 floats per invocation: DH ≤ 32 with one unit per invocation. */
const REGISTER_BLOCKS = 8;

/** The default placement: registers when few, else workgroup memory when it fits the target, else storage. */
export function recurrentWeightPlacement(headDim: number, target: KernelTarget): RecurrentWeightPlacement {
  const { groups, perInvocation } = cellGeometry(headDim, target);
  if (groups * perInvocation <= REGISTER_BLOCKS) return 'registers';
  const bytes = 64 * headDim * groups + 4 * 2 * 4 * groups + 4;
  return bytes <= target.maxComputeWorkgroupStorageSize ? 'workgroup' : 'storage';
}

/** Inputs in groups of 4 (KQ), invocations per workgroup, units each invocation owns. */
function cellGeometry(headDim: number, target: KernelTarget): { groups: number; size: number; perInvocation: number } {
  const size = Math.min(headDim, 64, target.maxComputeInvocationsPerWorkgroup);
  return { groups: Math.ceil(headDim / 4), size, perInvocation: Math.ceil(headDim / size) };
}

/** Uniform values for each launch of the plan, in order, when the run starts from `start`. */
export function slstmCellUniforms(plan: SlstmCellPlan, start: SlstmStart): Record<string, number>[] {
  if (start === 'input' && !plan.kernel.bindings.some((b) => b.name === 'stateIn')) {
    throw new Error(`${plan.kernel.name} was generated without inputState; it cannot start from 'input'`);
  }
  return plan.launches.map((l, i) => ({ t0: l.t0, steps: l.steps, init: i === 0 ? INIT_CODE[start] : INIT_CODE.carried }));
}

export function slstmCellKernel(o: SlstmCellOptions, target: KernelTarget): SlstmCellPlan {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ B, T, NH, DH })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`slstm cell: ${dim} must be a positive integer, got ${v}`);
  }
  const E = NH * DH;
  const BE = B * E;
  const { groups: KQ, size, perInvocation } = cellGeometry(DH, target);
  const DHP = 4 * KQ; // DH padded: y's padding stays 0, so padded weights never count
  const placement = o.recurrentWeights ?? recurrentWeightPlacement(DH, target);
  const name = o.name ?? `slstm_cell_${B}x${T}x${NH}x${DH}`;
  const loopCost = (count: number): number => Math.ceil(count / size) + 1;

  // Lines for each unit this invocation owns: `j` is the unit, the suffix names its registers.
  const units = (lines: (suffix: string) => string[]): string[] =>
    Array.from({ length: perInvocation }, (_, u) => {
      const guard = (u + 1) * size > DH;
      const inner = [`let j = lid + ${u * size}u;`, ...lines(`${u}`)];
      return guard ? [`if (lid + ${u * size}u < DH) {`, ...inner.map((l) => `  ${l}`), '}'] : ['{', ...inner.map((l) => `  ${l}`), '}'];
    }).flat();
  const yGroup = (q: string): string => `vec4<f32>(yS[read + 4u * ${q}], yS[read + 4u * ${q} + 1u], yS[read + 4u * ${q} + 2u], yS[read + 4u * ${q} + 3u])`;
  const product = (k: string): string[] =>
    placement === 'registers'
      ? Array.from({ length: KQ }, (_, q) => `raw += w${k}_${q} * ${yGroup(`${q}u`)};`)
      : ['for (var q = 0u; q < KQ; q++) {', `  raw += ${placement === 'workgroup' ? 'rS[j * KQ + q]' : 'gate_block(h, j, 4u * q)'} * ${yGroup('q')};`, '}'];

  const body = ['let b = wg / NH;', 'let h = wg % NH;'];
  if (placement === 'workgroup') {
    body.push('for (var i = lid; i < DH * KQ; i += WORKGROUP_INVOCATIONS) { rS[i] = gate_block(h, i / KQ, 4u * (i % KQ)); }');
  }
  body.push('var first = u.init == 0u;');
  if (o.inputState) {
    body.push(
      'if (u.init == 2u) {',
      '  var nonzero = false;',
      '  for (var i = lid; i < BE; i += WORKGROUP_INVOCATIONS) { if (stateIn[2u * BE + i] != 0.0) { nonzero = true; } }',
      '  if (nonzero) { atomicStore(&anyNonzero, 1u); }',
      '}',
    );
  }
  for (let u = 0; u < perInvocation; u++) body.push(`var y${u} = 0.0;`, `var c${u} = 0.0;`, `var n${u} = 0.0;`, `var m${u} = 0.0;`);
  if (placement === 'registers') {
    for (let u = 0; u < perInvocation; u++) {
      for (let q = 0; q < KQ; q++) body.push(`let w${u}_${q} = gate_block(h, min(lid + ${u * size}u, DH - 1u), ${4 * q}u);`);
    }
  }
  body.push(
    ...units((k) => [
      'let s = b * E + h * DH + j;',
      'if (u.init == 1u) {',
      `  y${k} = state[s]; c${k} = state[BE + s]; n${k} = state[2u * BE + s]; m${k} = state[3u * BE + s];`,
      ...(o.inputState
        ? ['} else if (u.init == 2u) {', `  y${k} = stateIn[s]; c${k} = stateIn[BE + s]; n${k} = stateIn[2u * BE + s]; m${k} = stateIn[3u * BE + s];`]
        : []),
      '}',
      `yS[j] = y${k};`,
    ]),
    'workgroupBarrier();',
  );
  if (o.inputState) body.push('if (u.init == 2u) { first = atomicLoad(&anyNonzero) == 0u; }');
  body.push(
    // bounded by the planned steps whatever the uniform says: the loop cap was counted for those
    'for (var ts = 0u; ts < min(u.steps, MAX_STEPS); ts++) {',
    '  let t = u.t0 + ts;',
    '  let read = (ts & 1u) * DHP;',
    '  let write = DHP - read;',
    ...units((k) => [
      'let xi = (b * T + t) * 4u * E + h * DH + j;',
      'let bi = h * DH + j;',
      'var raw = vec4<f32>(x[xi], x[xi + E], x[xi + 2u * E], x[xi + 3u * E]) + vec4<f32>(bias[bi], bias[bi + E], bias[bi + 2u * E], bias[bi + 3u * E]);',
      ...product(k),
      `let logFPlusM = m${k} + log_sigmoid(raw.y);`,
      'let m = select(max(raw.x, logFPlusM), raw.x, first);',
      'let iGate = min(exp(raw.x - m), 1.0);',
      'let fGate = min(exp(logFPlusM - m), 1.0);',
      `c${k} = fGate * c${k} + iGate * tanh(raw.z);`,
      `n${k} = fGate * n${k} + iGate;`,
      `m${k} = m;`,
      `y${k} = c${k} / (n${k} * (1.0 + exp(-raw.w)));`,
      `yS[write + j] = y${k};`,
      `y[(b * T + t) * E + h * DH + j] = y${k};`,
    ]).map((l) => `  ${l}`),
    '  first = false;',
    '  workgroupBarrier();',
    '}',
    ...units((k) => [
      'let s = b * E + h * DH + j;',
      `state[s] = y${k};`,
      `state[BE + s] = c${k};`,
      `state[2u * BE + s] = n${k};`,
      `state[3u * BE + s] = m${k};`,
    ]),
  );

  // Loop-header executions per invocation: the fixed parts, then each step.
  const fixed = (placement === 'workgroup' ? loopCost(DH * KQ) : 0) + (o.inputState ? loopCost(BE) : 0) + 1;
  const perStep = 1 + (placement === 'registers' ? 0 : perInvocation * (KQ + 1));
  const capSteps = Math.floor((target.maxLoopIterationsPerInvocation - fixed) / perStep);
  if (capSteps < 1) throw new Error(`slstm cell ${name}: one step needs ${fixed + perStep} loop iterations, above the device's cap`);
  const stepsPerLaunch = Math.min(T, capSteps, o.maxStepsPerLaunch ?? Infinity);
  const launches: { t0: number; steps: number }[] = [];
  for (let t0 = 0; t0 < T; t0 += stepsPerLaunch) launches.push({ t0, steps: Math.min(stepsPerLaunch, T - t0) });

  const workgroupVars: Record<string, string> = { yS: `array<f32, ${2 * DHP}>` };
  if (placement === 'workgroup') workgroupVars.rS = `array<mat4x4<f32>, ${DH * KQ}>`;
  if (o.inputState) workgroupVars.anyNonzero = 'atomic<u32>';

  const bindings = [
    { name: 'x', access: 'read' as const, type: 'f32' as const, elements: B * T * 4 * E },
    { name: 'recurrentKernel', access: 'read' as const, type: 'f32' as const, elements: NH * 4 * DH * DH },
    { name: 'bias', access: 'read' as const, type: 'f32' as const, elements: 4 * E },
    { name: 'y', access: 'read_write' as const, type: 'f32' as const, elements: B * T * E },
    { name: 'state', access: 'read_write' as const, type: 'f32' as const, elements: 4 * BE },
    ...(o.inputState ? [{ name: 'stateIn', access: 'read' as const, type: 'f32' as const, elements: 4 * BE }] : []),
  ];
  // Column c of the block for (unit o, inputs k0..k0+3): the four gates' weights on input k0 + c.
  // Inputs past DH read a clamped (finite) weight that meets y's zero padding.
  // Column c of the block for (unit o, inputs k0..k0+3): the four gates' weights on input k0 + c.
  // Inputs past DH read a clamped (finite) weight that meets y's zero padding.
  const column = (c: number): string =>
    [0, 1, 2, 3].map((g) => `recurrentKernel[base + ${g}u * DH * DH + min(k0 + ${c}u, DH - 1u)]`).join(', ');
  const gateBlock = [
    'fn gate_block(h: u32, o: u32, k0: u32) -> mat4x4<f32> {',
    '  let base = h * 4u * DH * DH + o * DH;',
    `  return mat4x4<f32>(${[0, 1, 2, 3].map((c) => `\n    vec4<f32>(${column(c)})`).join(',')},\n  );`,
    '}',
  ].join('\n');
  const kernel = buildKernel(
    {
      name,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary:
        `sLSTM cell over ${T} steps, ${B} rows x ${NH} heads of ${DH} (one workgroup each, ${perInvocation} unit(s) per invocation), ` +
        `R in ${placement === 'storage' ? 'the storage buffer' : placement}, up to ${stepsPerLaunch} steps per launch`,
      bindings,
      uniforms: [
        { name: 't0', type: 'u32' },
        { name: 'steps', type: 'u32' },
        { name: 'init', type: 'u32' },
      ],
      constants: { NH: u32(NH), DH: u32(DH), E: u32(E), BE: u32(BE), T: u32(T), KQ: u32(KQ), DHP: u32(DHP), MAX_STEPS: u32(stepsPerLaunch) },
      workgroupVars,
      helpers: [LOG_SIGMOID_WGSL, gateBlock],
      workgroupSize: size,
      workgroups: B * NH,
      loopIterations: fixed + stepsPerLaunch * perStep,
      body,
    },
    target,
  );
  return { kernel, launches };
}
