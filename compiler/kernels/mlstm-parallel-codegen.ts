import { range } from './wgsl.js';

/**
 * WGSL text pieces shared by the mLSTM parallel kernels (forward and backward passes): head rows are
 * DHV vectors of VW floats (vec4 when DH allows), unrolled into named registers, and spilled to the
 * scalar `carry` tensor when a walk is split over dispatches; every kernel takes a (batch, head, tile)
 * per workgroup and builds its decays from sums relative to the tile's first position.
 */

/** Sentinel for "no key yet": finite, so e^{M − M'} stays a number; far below any real D. */
export const NO_MAX = -1e30;

export interface VectorCode {
  /** The WGSL type of one vector of a head row. */
  vec: string;
  dot(a: string, b: string): string;
  /** Loads vector `c` of the head row starting at scalar offset `at` of the scalar tensor `buffer`. */
  load(buffer: string, at: string, c: number): string;
  /** Statements storing `value` as vector `c` of the head row at scalar offset `at`. */
  store(buffer: string, at: string, c: number, value: string): string[];
}

export function vectorCode(VW: number): VectorCode {
  const lanes = range(VW);
  const element = (buffer: string, at: string, c: number, lane: number): string => `${buffer}[${at} + ${c * VW + lane}u]`;
  return {
    vec: VW === 4 ? 'vec4<f32>' : 'f32',
    dot: (a, b) => (VW === 4 ? `dot(${a}, ${b})` : `${a} * ${b}`),
    load: (buffer, at, c) =>
      VW === 4 ? `vec4<f32>(${lanes.map((i) => element(buffer, at, c, i)).join(', ')})` : element(buffer, at, c, 0),
    store: (buffer, at, c, value) =>
      VW === 4 ? ['x', 'y', 'z', 'w'].map((x, i) => `${element(buffer, at, c, i)} = ${value}.${x};`) : [`${element(buffer, at, c, 0)} = ${value};`],
  };
}

/** Indents lines by two spaces per level. */
export function indent(lines: string[], levels = 1): string[] {
  const pad = '  '.repeat(levels);
  return lines.map((l) => (l ? pad + l : l));
}

/**
 * The workgroup's (batch, head) `bh` = (b, hd) out of `tiles` tiles per head, its tile (`tileLine`
 * declares it), and the head's bases in the gate and qkv tensors.
 */
export function workgroupHead(tiles: string, tileLine: string): string[] {
  return [
    `let bh = wg / ${tiles};`,
    tileLine,
    'let b = bh / NH;',
    'let hd = bh % NH;',
    'let gateBase = b * T * NH + hd;',
    'let headBase = b * T * ROW_V + hd * DHV;',
  ];
}

/** This dispatch's slice [STEP_BEGIN, stepEnd) of a walk of `steps` steps (later dispatches may have nothing left). */
export function walkSlice(first: boolean, steps: string): string[] {
  return [`let steps = ${steps};`, ...(first ? [] : ['if (STEP_BEGIN >= steps) { return; }']), 'let stepEnd = min(STEP_BEGIN + STEPS, steps);'];
}

/**
 * Decay sums inside a tile of `size` positions from `start`: each `[sum, position]` declares `sum` =
 * Σ log σ(f̃) over start+1..position, and `total`, when given, the sum over the whole tile (clipped at T).
 */
export function tileDecaySums(size: string, start: string, sums: readonly (readonly [string, string])[], total?: string): string[] {
  const totals = total === undefined ? [] : [total];
  return [
    ...[...sums.map(([sum]) => sum), ...totals].map((sum) => `var ${sum} = 0.0;`),
    `for (var i = 1u; i < ${size}; i++) {`,
    `  if (${start} + i < T) {`,
    `    let l = log_sigmoid(fgate[gateBase + (${start} + i) * NH]);`,
    ...sums.map(([sum, position]) => `    ${sum} += select(0.0, l, ${start} + i <= ${position});`),
    ...totals.map((sum) => `    ${sum} += l;`),
    '  }',
    '}',
  ];
}
