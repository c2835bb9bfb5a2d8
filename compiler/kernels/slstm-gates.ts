import type { KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * The four headwise (block-diagonal, NH blocks of DH) gate projections of the official sLSTM layer,
 * with its swap (`golden/README.md`, "sLSTM layer"): the module named fgate makes the INPUT-gate
 * pre-activation and igate the FORGET-gate one, both from the conv output; zgate and ogate read the
 * un-convolved input. No biases (the cell adds its own `_bias_`).
 *
 *   gates[r, 0·E + h·DH + o] = Σ_k fgate[h, o, k] · xConv[r, h·DH + k]     (ĩ)
 *   gates[r, 1·E + h·DH + o] = Σ_k igate[h, o, k] · xConv[r, h·DH + k]     (f̃)
 *   gates[r, 2·E + h·DH + o] = Σ_k zgate[h, o, k] · x[r, h·DH + k]         (z̃)
 *   gates[r, 3·E + h·DH + o] = Σ_k ogate[h, o, k] · x[r, h·DH + k]         (õ)
 *
 * The output is [rows, 4E] gate-major (g·E + h·DH + o, gates i, f, z, o): the layout of the cell's
 * `_bias_` and the cell kernel's `x` input. One invocation per (row, head, unit) computes all four
 * gates, so each input row chunk is read once for four dot products (vec4 loads when DH % 4 == 0).
 *
 * Bindings: x [rows·E], xConv [rows·E] (bind x here too when the layer has no conv), fgate, igate,
 * zgate, ogate [NH·DH·DH] (official [NH, DH(out), DH(in)]), gates [rows·4E]. One dispatch.
 */
export interface SlstmGatesOptions {
  /** B·T positions. */
  rows: number;
  heads: number;
  headDim: number;
  name?: string;
  source?: string;
  workgroupSize?: number;
}

export function slstmGatesKernel(o: SlstmGatesOptions, target: KernelTarget): KernelSpec {
  const { rows, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ rows, NH, DH })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`slstm gates: ${dim} must be a positive integer, got ${v}`);
  }
  const E = NH * DH;
  const vec = DH % 4 === 0;
  const units = vec ? DH / 4 : DH;
  const view = vec ? { view: 'vec4' as const } : {};
  const size = Math.min(o.workgroupSize ?? 64, target.maxComputeInvocationsPerWorkgroup);
  const total = rows * E;
  const sum = (v: string): string => (vec ? `dot(${v}, vec4<f32>(1.0))` : v);
  const zero = vec ? 'vec4<f32>(0.0)' : '0.0';
  const weight = (name: string) => ({ name, access: 'read' as const, type: 'f32' as const, elements: NH * DH * DH, ...view });
  return buildKernel(
    {
      name: o.name ?? `slstm_gates_${rows}x${NH}x${DH}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `sLSTM gate pre-activations [${rows}, 4·${E}] (i, f from fgate, igate on xConv; z, o from zgate, ogate on x), ${NH} heads of ${DH}`,
      bindings: [
        { name: 'x', access: 'read', type: 'f32', elements: rows * E, ...view },
        { name: 'xConv', access: 'read', type: 'f32', elements: rows * E, ...view },
        weight('fgate'),
        weight('igate'),
        weight('zgate'),
        weight('ogate'),
        { name: 'gates', access: 'read_write', type: 'f32', elements: rows * 4 * E },
      ],
      constants: { TOTAL: u32(total), E: u32(E), DH: u32(DH), UNITS: u32(units) },
      workgroupSize: size,
      workgroups: Math.ceil(total / size),
      loopIterations: units + 1,
      body: [
        'if (gid >= TOTAL) { return; }',
        'let row = gid / E;',
        'let e = gid % E;',
        // gid / DH = row·NH + head: the start of this head's input chunk
        'let xb = (gid / DH) * UNITS;',
        'let wb = e * UNITS;',
        `var ai = ${zero};`,
        `var af = ${zero};`,
        `var az = ${zero};`,
        `var ao = ${zero};`,
        'for (var k = 0u; k < UNITS; k++) {',
        '  let c = xConv[xb + k];',
        '  let v = x[xb + k];',
        '  ai += fgate[wb + k] * c;',
        '  af += igate[wb + k] * c;',
        '  az += zgate[wb + k] * v;',
        '  ao += ogate[wb + k] * v;',
        '}',
        'let out = row * 4u * E + e;',
        `gates[out] = ${sum('ai')};`,
        `gates[out + E] = ${sum('af')};`,
        `gates[out + 2u * E] = ${sum('az')};`,
        `gates[out + 3u * E] = ${sum('ao')};`,
      ],
    },
    target,
  );
}
