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
 * Each step one invocation per (gate, unit) row computes raw (R·y_{t−1} over the head's DH inputs),
 * a barrier, one invocation per unit updates (c, n, m) and y, a barrier. The head's R rows sit in
 * workgroup memory when they fit the device (16·DH² bytes; DH ≤ 44 at 32 KiB), else they are read
 * from the storage buffer every step.
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
  /** Where R lives during the loop; default workgroup memory when it fits the target. */
  recurrentWeights?: 'workgroup' | 'storage';
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

/** Uniform values for each launch of the plan, in order, when the run starts from `start`. */
export function slstmCellUniforms(plan: SlstmCellPlan, start: SlstmStart): Record<string, number>[] {
  if (start === 'input' && !plan.kernel.bindings.some((b) => b.name === 'stateIn')) {
    throw new Error(`${plan.kernel.name} was generated without inputState; it cannot start from 'input'`);
  }
  return plan.launches.map((l, i) => ({ t0: l.t0, steps: l.steps, init: i === 0 ? INIT_CODE[start] : INIT_CODE.carried }));
}

/**
 * Lines running `body` for every `index` in [0, count) spread over the workgroup, and the loop-header
 * executions that costs each time (an `if` when one pass covers it).
 */
function strided(index: string, count: number, size: number, body: string[]): { lines: string[]; cost: number; passes: number } {
  const inner = body.map((l) => `  ${l}`);
  if (count <= size) {
    const open = count === size ? '{' : `if (lid < ${count}u) {`;
    return { lines: [open, `  let ${index} = lid;`, ...inner, '}'], cost: 0, passes: 1 };
  }
  const passes = Math.ceil(count / size);
  return { lines: [`for (var ${index} = lid; ${index} < ${count}u; ${index} += ${size}u) {`, ...inner, '}'], cost: passes + 1, passes };
}

export function slstmCellKernel(o: SlstmCellOptions, target: KernelTarget): SlstmCellPlan {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ B, T, NH, DH })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`slstm cell: ${dim} must be a positive integer, got ${v}`);
  }
  const E = NH * DH;
  const BE = B * E;
  const ROWS = 4 * DH;
  const vec = DH % 4 === 0;
  const KU = vec ? DH / 4 : DH;
  const size = Math.min(ROWS, target.maxComputeInvocationsPerWorkgroup);
  const weightBytes = 4 * ROWS * DH;
  const sharedBytes = 4 * (ROWS + 4 * DH) + 4;
  const shared = o.recurrentWeights ?? (weightBytes + sharedBytes <= target.maxComputeWorkgroupStorageSize ? 'workgroup' : 'storage');
  const name = o.name ?? `slstm_cell_${B}x${T}x${NH}x${DH}`;

  const element = vec ? 'vec4<f32>' : 'f32';
  const rowOf = (i: string): string => (shared === 'workgroup' ? `rS[${i}]` : `recurrentKernel[h * R_UNITS + ${i}]`);
  const yAt = (k: string): string => (vec ? `vec4<f32>(yS[4u * ${k}], yS[4u * ${k} + 1u], yS[4u * ${k} + 2u], yS[4u * ${k} + 3u])` : `yS[${k}]`);

  const copy = strided('i', ROWS * KU, size, ['rS[i] = recurrentKernel[h * R_UNITS + i];']);
  const scan = strided('i', BE, size, ['if (stateIn[2u * BE + i] != 0.0) { nonzero = true; }']);
  const load = strided('j', DH, size, [
    'let s = b * E + h * DH + j;',
    'var st = vec4<f32>(0.0);',
    'if (u.init == 1u) {',
    '  st = vec4<f32>(state[s], state[BE + s], state[2u * BE + s], state[3u * BE + s]);',
    ...(o.inputState ? ['} else if (u.init == 2u) {', '  st = vec4<f32>(stateIn[s], stateIn[BE + s], stateIn[2u * BE + s], stateIn[3u * BE + s]);'] : []),
    '}',
    'yS[j] = st.x;',
    'cS[j] = st.y;',
    'nS[j] = st.z;',
    'mS[j] = st.w;',
  ]);
  const rows = strided('r', ROWS, size, [
    'let at = (r / DH) * E + r % DH;',
    `var acc = ${vec ? 'vec4<f32>(0.0)' : '0.0'};`,
    'for (var k = 0u; k < KU; k++) {',
    `  acc += ${rowOf('r * KU + k')} * ${yAt('k')};`,
    '}',
    `raw[r] = ${vec ? 'dot(acc, vec4<f32>(1.0))' : 'acc'} + x[xb + at] + bias[h * DH + at];`,
  ]);
  const units = strided('j', DH, size, [
    'let iRaw = raw[j];',
    'let logFPlusM = mS[j] + log_sigmoid(raw[DH + j]);',
    'let m = select(max(iRaw, logFPlusM), iRaw, first);',
    'let iGate = min(exp(iRaw - m), 1.0);',
    'let fGate = min(exp(logFPlusM - m), 1.0);',
    'let c = fGate * cS[j] + iGate * tanh(raw[2u * DH + j]);',
    'let n = fGate * nS[j] + iGate;',
    'let yv = c / (n * (1.0 + exp(-raw[3u * DH + j])));',
    'cS[j] = c;',
    'nS[j] = n;',
    'mS[j] = m;',
    'yS[j] = yv;',
    'y[yb + h * DH + j] = yv;',
  ]);
  const store = strided('j', DH, size, [
    'let s = b * E + h * DH + j;',
    'state[s] = yS[j];',
    'state[BE + s] = cS[j];',
    'state[2u * BE + s] = nS[j];',
    'state[3u * BE + s] = mS[j];',
  ]);

  // Loop-header executions per invocation: the fixed parts, then each step.
  const fixed = (shared === 'workgroup' ? copy.cost : 0) + (o.inputState ? scan.cost : 0) + load.cost + store.cost + 1;
  const perStep = 1 + rows.cost + rows.passes * (KU + 1) + units.cost;
  const capSteps = Math.floor((target.maxLoopIterationsPerInvocation - fixed) / perStep);
  if (capSteps < 1) throw new Error(`slstm cell ${name}: one step needs ${fixed + perStep} loop iterations, above the device's cap`);
  const stepsPerLaunch = Math.min(T, capSteps, o.maxStepsPerLaunch ?? Infinity);
  const launches: { t0: number; steps: number }[] = [];
  for (let t0 = 0; t0 < T; t0 += stepsPerLaunch) launches.push({ t0, steps: Math.min(stepsPerLaunch, T - t0) });

  const workgroupVars: Record<string, string> = {
    yS: `array<f32, ${DH}>`,
    cS: `array<f32, ${DH}>`,
    nS: `array<f32, ${DH}>`,
    mS: `array<f32, ${DH}>`,
    raw: `array<f32, ${ROWS}>`,
  };
  if (shared === 'workgroup') workgroupVars.rS = `array<${element}, ${ROWS * KU}>`;
  if (o.inputState) workgroupVars.anyNonzero = 'atomic<u32>';

  const body = [
    'let b = wg / NH;',
    'let h = wg % NH;',
    ...(shared === 'workgroup' ? copy.lines : []),
    'var first = u.init == 0u;',
  ];
  if (o.inputState) {
    body.push(
      'if (u.init == 2u) {',
      '  var nonzero = false;',
      ...scan.lines.map((l) => `  ${l}`),
      '  if (nonzero) { atomicStore(&anyNonzero, 1u); }',
      '}',
    );
  }
  body.push(...load.lines, 'workgroupBarrier();');
  if (o.inputState) body.push('if (u.init == 2u) { first = atomicLoad(&anyNonzero) == 0u; }');
  body.push(
    // bounded by the planned steps whatever the uniform says: the loop cap was counted for those
    'for (var ts = 0u; ts < min(u.steps, MAX_STEPS); ts++) {',
    '  let t = u.t0 + ts;',
    '  let xb = (b * T + t) * 4u * E + h * DH;',
    '  let yb = (b * T + t) * E;',
    ...rows.lines.map((l) => `  ${l}`),
    '  workgroupBarrier();',
    ...units.lines.map((l) => `  ${l}`),
    '  first = false;',
    '  workgroupBarrier();',
    '}',
    ...store.lines,
  );

  const bindings = [
    { name: 'x', access: 'read' as const, type: 'f32' as const, elements: B * T * 4 * E },
    { name: 'recurrentKernel', access: 'read' as const, type: 'f32' as const, elements: NH * ROWS * DH, ...(vec ? { view: 'vec4' as const } : {}) },
    { name: 'bias', access: 'read' as const, type: 'f32' as const, elements: 4 * E },
    { name: 'y', access: 'read_write' as const, type: 'f32' as const, elements: B * T * E },
    { name: 'state', access: 'read_write' as const, type: 'f32' as const, elements: 4 * BE },
    ...(o.inputState ? [{ name: 'stateIn', access: 'read' as const, type: 'f32' as const, elements: 4 * BE }] : []),
  ];
  const kernel = buildKernel(
    {
      name,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary:
        `sLSTM cell over ${T} steps, ${B} rows x ${NH} heads of ${DH} (one workgroup each), ` +
        `R in ${shared === 'workgroup' ? 'workgroup memory' : 'the storage buffer'}, up to ${stepsPerLaunch} steps per launch`,
      bindings,
      uniforms: [
        { name: 't0', type: 'u32' },
        { name: 'steps', type: 'u32' },
        { name: 'init', type: 'u32' },
      ],
      constants: { NH: u32(NH), DH: u32(DH), E: u32(E), BE: u32(BE), T: u32(T), KU: u32(KU), R_UNITS: u32(ROWS * KU), MAX_STEPS: u32(stepsPerLaunch) },
      workgroupVars,
      helpers: [LOG_SIGMOID_WGSL],
      workgroupSize: size,
      workgroups: B * NH,
      loopIterations: fixed + stepsPerLaunch * perStep,
      body,
    },
    target,
  );
  return { kernel, launches };
}
