import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { LOG_SIGMOID_WGSL } from './log-sigmoid.js';
import { slstmHeadFrame, TAPE, TAPE_ROWS, type SlstmHeadOptions } from './slstm-head-frame.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * Replays the sLSTM forward (`slstm-cell.ts`) from its output y, writing the tape the backward pass
 * reads: per step the raw gate pre-activations raw_g = x_g + R_g·y_{t−1} + b_g and the state (c, n, m)
 * after the step. Given y, every step's raw is known, so units need not exchange anything: each
 * invocation reads y_{t−1} of its head from the storage buffer and runs its own (c, n, m) recurrence,
 * with no barrier in the loop. (The forward kernel computes all of this and keeps only y; a forward
 * that wrote the tape would make this kernel unnecessary.)
 *
 * Launches split time under the loop cap; a launch starts from the tape row before it.
 *
 * Bindings: x [B·T·4E] (gate-major per position), recurrentKernel [NH·4DH·DH], bias [4E], y [B·T·E]
 * (the forward's output), tape [B·T·7E] (written), stateIn [4·B·E] with `inputState`.
 */
const STATE = ['c', 'n', 'm'] as const;

export function slstmCellReplayKernels(o: SlstmHeadOptions, target: KernelTarget): KernelSpec[] {
  const f = slstmHeadFrame(o, target, 0);
  const { B, T, DH, E, BE } = f;
  const name = o.name ?? `slstm_cell_replay_${B}x${T}x${o.heads}x${DH}`;
  const inputs = Array.from({ length: DH }, (_, i) => i);
  // raw_g[j] sums over the gate columns (j, i) of every input unit i.
  const fromUnit = (j: string, i: number): [string, string] => [j, `${i}u`];

  const kernel = (begin: number, steps: number, index: number, count: number): KernelSpec => {
    const scanFirst = !!o.inputState && begin === 0;
    const body = [
      ...f.prologue(scanFirst),
      // The unit's state lives across the whole loop: declared at function scope.
      ...STATE.flatMap((state) => Array.from({ length: f.perInvocation }, (_, u) => `var ${state}${u} = 0.0;`)),
      ...(begin > 0 || o.inputState
        ? f.units((k) => [
            'let s = b * E + h * DH + j;',
            ...STATE.map((state, i) =>
              begin === 0 ? `${state}${k} = stateIn[${i + 1}u * BE + s];` : `${state}${k} = tape[((b * T + ${begin - 1}u) * ROWS + ${TAPE[state]}u) * E + h * DH + j];`,
            ),
          ])
        : []),
      ...f.registerColumns(fromUnit),
      'for (var t = BEGIN; t < END; t++) {',
      // y_{t−1} of the head: the forward's output, or the incoming state at t = 0.
      '  let yAt = (b * T + max(t, 1u) - 1u) * E + h * DH;',
      ...(o.inputState ? ['  let sAt = b * E + h * DH;'] : []),
      ...inputs.map((i) => `  let y${i} = select(y[yAt + ${i}u], ${o.inputState ? `stateIn[sAt + ${i}u]` : '0.0'}, t == 0u);`),
      ...f
        .units((k) => [
          'let xi = (b * T + t) * 4u * E + h * DH + j;',
          'let bi = h * DH + j;',
          'var raw = vec4<f32>(x[xi], x[xi + E], x[xi + 2u * E], x[xi + 3u * E]) + vec4<f32>(bias[bi], bias[bi + E], bias[bi + 2u * E], bias[bi + 3u * E]);',
          ...inputs.map((i) => `raw += ${f.column(k, i, fromUnit)} * y${i};`),
          `let logFPlusM = m${k} + log_sigmoid(raw.y);`,
          `let mNew = select(max(raw.x, logFPlusM), raw.x, first && t == 0u);`,
          'let iGate = min(exp(raw.x - mNew), 1.0);',
          'let fGate = min(exp(logFPlusM - mNew), 1.0);',
          `c${k} = fGate * c${k} + iGate * tanh(raw.z);`,
          `n${k} = fGate * n${k} + iGate;`,
          `m${k} = mNew;`,
          'let at = (b * T + t) * ROWS * E + h * DH + j;',
          'tape[at] = raw.x;',
          'tape[at + E] = raw.y;',
          'tape[at + 2u * E] = raw.z;',
          'tape[at + 3u * E] = raw.w;',
          `tape[at + ${TAPE.c}u * E] = c${k};`,
          `tape[at + ${TAPE.n}u * E] = n${k};`,
          `tape[at + ${TAPE.m}u * E] = m${k};`,
        ])
        .map((l) => `  ${l}`),
      '}',
    ];
    const bindings: KernelBinding[] = [
      { name: 'x', access: 'read', type: 'f32', elements: B * T * 4 * E },
      { name: 'recurrentKernel', access: 'read', type: 'f32', elements: o.heads * 4 * DH * DH },
      { name: 'bias', access: 'read', type: 'f32', elements: 4 * E },
      { name: 'y', access: 'read', type: 'f32', elements: B * T * E },
      { name: 'tape', access: 'read_write', type: 'f32', elements: B * T * TAPE_ROWS * E },
      ...(o.inputState ? [{ name: 'stateIn', access: 'read' as const, type: 'f32' as const, elements: 4 * BE }] : []),
    ];
    return buildKernel(
      {
        name: count > 1 ? `${name}_${index}` : name,
        ...(o.source !== undefined ? { source: o.source } : {}),
        summary: `sLSTM backward: replay of the forward from y into the tape (raw gates, c, n, m), steps ${begin}..${begin + steps - 1} of ${T}, ${B} rows x ${o.heads} heads of ${DH}`,
        bindings,
        constants: { ...f.constants, ROWS: u32(TAPE_ROWS), BEGIN: u32(begin), END: u32(begin + steps) },
        workgroupVars: f.workgroupVars({}, scanFirst),
        helpers: [LOG_SIGMOID_WGSL, ...f.helpers],
        workgroupSize: f.size,
        workgroups: B * o.heads,
        loopIterations: f.loopIterations(scanFirst, steps),
        body,
      },
      target,
    );
  };
  const launches = f.launches('replay');
  return launches.map((l, i) => kernel(l.begin, l.steps, i, launches.length));
}
