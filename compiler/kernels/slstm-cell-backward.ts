import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { LOG_SIGMOID_WGSL } from './log-sigmoid.js';
import { slstmCellReplayKernels } from './slstm-cell-replay.js';
import { slstmHeadFrame, TAPE, TAPE_ROWS, type SlstmHeadOptions } from './slstm-head-frame.js';
import { slstmRecurrentGradKernels } from './slstm-recurrent-grad.js';
import { MAXIMUM_SHARE_WGSL, MIN_ONE_SHARE_WGSL } from './tie-shares.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * Backward pass of the official sLSTM cell (`slstm-cell.ts`; the math of
 * runtime/reference/ops/slstm.ts `slstmBackward`, PyTorch autograd's tie splits included), in order:
 *
 *   1. replay (`slstm-cell-replay.ts`): the tape of raw gates and (c, n, m) per step, from the
 *      forward's y;
 *   2. backward through time (here): one persistent workgroup per (batch row, head) looping t from
 *      T − 1 down to 0, each invocation carrying its unit's gradients (dy through R, dc, dn, dm) in
 *      registers; per step it writes the unit's four gate gradients dx and publishes them in
 *      workgroup memory, and after one barrier takes dy_{t−1}[j] = Σ_{g,o} R[h, g, o, j] dx_g[o] over
 *      the head's gate columns (halves of the shared buffer alternate by step parity, so one barrier
 *      per step suffices);
 *   3. dR and dBias (`slstm-recurrent-grad.ts`), summed over batch rows and steps from dx.
 *
 * Time splits into launches under the loop cap (newest steps first), the running gradient carried in
 * `dState` [4·B·E] (the official state layout y, c, n, m). After the last launch dState holds the
 * gradient w.r.t. the incoming state; with `finalStateGrad` the first launch starts from the
 * gradient w.r.t. the final state found in dState, for truncated backprop over streamed pieces.
 *
 * Bindings (by name across the kernels): x [B·T·4E], recurrentKernel [NH·4DH·DH], bias [4E], y [B·T·E]
 * (the forward's output), dy [B·T·E], stateIn [4·B·E] with `inputState`; outputs dx [B·T·4E] (the gate
 * pre-activation gradients, gate-major like x), dState [4·B·E], dRecurrentKernel, dBias; scratch tape
 * [slstmTapeElements].
 */
export interface SlstmCellBackwardOptions extends SlstmHeadOptions {
  /** dState holds the gradient w.r.t. the forward's final state on entry; else that gradient is zero. */
  finalStateGrad?: boolean;
  /** Add into dRecurrentKernel and dBias instead of overwriting them. */
  accumulate?: boolean;
}

/** Elements of the `tape` scratch tensor. */
export function slstmTapeElements(o: SlstmHeadOptions): number {
  return o.batch * o.time * TAPE_ROWS * o.heads * o.headDim;
}

/** Every kernel of the backward pass in dispatch order: replay, backward through time, dR and dBias. */
export function slstmCellBackwardKernels(o: SlstmCellBackwardOptions, target: KernelTarget): KernelSpec[] {
  const base = o.name ?? `slstm_cell_backward_${o.batch}x${o.time}x${o.heads}x${o.headDim}`;
  return [
    ...slstmCellReplayKernels({ ...o, name: `${base}_replay` }, target),
    ...slstmBpttKernels({ ...o, name: `${base}_bptt` }, target),
    ...slstmRecurrentGradKernels({ ...o, name: `${base}_recurrent` }, target),
  ];
}

/** The backward-through-time launches alone (for a forward that writes the tape itself). */
export function slstmBpttKernels(o: SlstmCellBackwardOptions, target: KernelTarget): KernelSpec[] {
  const f = slstmHeadFrame(o, target, 2 * 16 * o.headDim);
  const { B, T, NH, DH, E, BE } = f;
  const name = o.name ?? `slstm_bptt_${B}x${T}x${NH}x${DH}`;
  const units = Array.from({ length: DH }, (_, i) => i);
  const initial = (row: number): string => (o.inputState ? `stateIn[${row}u * BE + s]` : '0.0');
  const grads = ['gY', 'gC', 'gN', 'gM'];
  const intoUnit = (j: string, out: number): [string, string] => [`${out}u`, j];

  const kernel = (lo: number, steps: number, index: number, count: number): KernelSpec => {
    const scanFirst = !!o.inputState && lo === 0;
    const readCarry = lo + steps < T || !!o.finalStateGrad;
    // The unit's gradients live across the whole loop: declared at function scope.
    const body = [...f.prologue(scanFirst), ...grads.flatMap((g) => Array.from({ length: f.perInvocation }, (_, u) => `var ${g}${u} = 0.0;`))];
    // dy_{t−1}[j] sums over the gate columns (o, j) of every output unit o.
    body.push(...f.registerColumns(intoUnit));
    if (readCarry) body.push(...f.units((k) => ['let s = b * E + h * DH + j;', ...grads.map((g, row) => `${g}${k} = dState[${row}u * BE + s];`)]));
    body.push(
      'for (var ts = 0u; ts < STEPS; ts++) {',
      '  let t = HI - 1u - ts;',
      '  let half = (ts & 1u) * DH;',
      ...f
        .units((k) => [
          'let s = b * E + h * DH + j;',
          'let e = h * DH + j;',
          'let at = (b * T + t) * ROWS * E + e;',
          'let iRaw = tape[at];',
          'let fRaw = tape[at + E];',
          'let zRaw = tape[at + 2u * E];',
          'let oRaw = tape[at + 3u * E];',
          `let c = tape[at + ${TAPE.c}u * E];`,
          `let n = tape[at + ${TAPE.n}u * E];`,
          `let m = tape[at + ${TAPE.m}u * E];`,
          // the state before the step: the tape's previous row, or the incoming state at t = 0
          'let before = (b * T + max(t, 1u) - 1u) * ROWS * E + e;',
          `let cPrev = select(tape[before + ${TAPE.c}u * E], ${initial(1)}, t == 0u);`,
          `let nPrev = select(tape[before + ${TAPE.n}u * E], ${initial(2)}, t == 0u);`,
          `let mPrev = select(tape[before + ${TAPE.m}u * E], ${initial(3)}, t == 0u);`,
          `let dyT = dy[(b * T + t) * E + e] + gY${k};`,
          'let logFPlusM = mPrev + log_sigmoid(fRaw);',
          'let iExp = exp(iRaw - m);',
          'let fExp = exp(logFPlusM - m);',
          'let iGate = min(iExp, 1.0);',
          'let fGate = min(fExp, 1.0);',
          'let zAct = tanh(zRaw);',
          'let oGate = 1.0 / (1.0 + exp(-oRaw));',
          'let dO = dyT * c / n;',
          `let dcT = gC${k} + dyT * oGate / n;`,
          `let dnT = gN${k} - dyT * oGate * c / (n * n);`,
          'let dF = dcT * cPrev + dnT * nPrev;',
          'let dI = dcT * zAct + dnT;',
          `gC${k} = dcT * fGate;`,
          `gN${k} = dnT * fGate;`,
          'let dIArg = dI * min_one_share(iExp) * iExp;',
          'let dFArg = dF * min_one_share(fExp) * fExp;',
          `let dM = gM${k} - dIArg - dFArg;`,
          // the first step's stabiliser is raw_i alone; later ones max(raw_i, m + log σ(raw_f))
          'let toI = select(maximum_share(iRaw, logFPlusM), 1.0, first && t == 0u);',
          'let dLogFPlusM = dFArg + (1.0 - toI) * dM;',
          `gM${k} = dLogFPlusM;`,
          'let dRaw = vec4<f32>(dIArg + toI * dM, dLogFPlusM / (1.0 + exp(fRaw)), dcT * iGate * (1.0 - zAct * zAct), dO * oGate * (1.0 - oGate));',
          'let xi = (b * T + t) * 4u * E + e;',
          'dx[xi] = dRaw.x;',
          'dx[xi + E] = dRaw.y;',
          'dx[xi + 2u * E] = dRaw.z;',
          'dx[xi + 3u * E] = dRaw.w;',
          'dRawS[half + j] = dRaw;',
        ])
        .map((l) => `  ${l}`),
      '  workgroupBarrier();',
      ...f.units((k) => [`gY${k} = ${units.map((out) => `dot(${f.column(k, out, intoUnit)}, dRawS[half + ${out}u])`).join(' + ')};`]).map((l) => `  ${l}`),
      '}',
      ...f.units((k) => ['let s = b * E + h * DH + j;', ...grads.map((g, row) => `dState[${row}u * BE + s] = ${g}${k};`)]),
    );
    const bindings: KernelBinding[] = [
      { name: 'dy', access: 'read', type: 'f32', elements: B * T * E },
      { name: 'tape', access: 'read', type: 'f32', elements: B * T * TAPE_ROWS * E },
      { name: 'recurrentKernel', access: 'read', type: 'f32', elements: NH * 4 * DH * DH },
      { name: 'dx', access: 'read_write', type: 'f32', elements: B * T * 4 * E },
      { name: 'dState', access: 'read_write', type: 'f32', elements: 4 * BE },
      ...(o.inputState ? [{ name: 'stateIn', access: 'read' as const, type: 'f32' as const, elements: 4 * BE }] : []),
    ];
    return buildKernel(
      {
        name: count > 1 ? `${name}_${index}` : name,
        ...(o.source !== undefined ? { source: o.source } : {}),
        summary: `sLSTM backward through time, steps ${lo + steps - 1} down to ${lo} of ${T}, ${B} rows x ${NH} heads of ${DH}, R in ${f.weights}`,
        bindings,
        constants: { ...f.constants, ROWS: u32(TAPE_ROWS), HI: u32(lo + steps), STEPS: u32(steps) },
        workgroupVars: f.workgroupVars({ dRawS: `array<vec4<f32>, ${2 * DH}>` }, scanFirst),
        helpers: [LOG_SIGMOID_WGSL, MAXIMUM_SHARE_WGSL, MIN_ONE_SHARE_WGSL, ...f.helpers],
        workgroupSize: f.size,
        workgroups: B * NH,
        loopIterations: f.loopIterations(scanFirst, steps),
        body,
      },
      target,
    );
  };
  // Launches run newest steps first; each reads the gradient the previous one left in dState.
  const launches = f.launches('backward through time').reverse();
  return launches.map((l, i) => kernel(l.begin, l.steps, i, launches.length));
}
