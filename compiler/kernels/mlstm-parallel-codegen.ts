/**
 * WGSL text pieces shared by the mLSTM backward passes: head rows are DHV vectors of VW floats
 * (vec4 when DH allows), unrolled into named registers, and spilled to the scalar `carry` tensor
 * when a walk is split over dispatches.
 */

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

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
