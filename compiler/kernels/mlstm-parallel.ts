import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { LOG_SIGMOID_WGSL } from './log-sigmoid.js';
import { buildKernel, f32, u32 } from './wgsl.js';

/**
 * The mLSTM cell in the official parallel stabilised form, flash-attention style: one workgroup per
 * (batch, head, tile of TT query rows) walks the key tiles, building the decay tile on the fly and
 * never storing a T×T matrix. Per head, with L_r = log σ(f̃_r) and F_t = Σ_{r≤t} L_r:
 *   D[t,s] = F_t − F_s + ĩ_s (s ≤ t),  m_t = max_s D[t,s],  C[t,s] = (q_t·k_s/√DH) e^{D[t,s] − m_t}
 *   n_t = max(|Σ_s C[t,s]|, e^{−m_t}),  h_t = Σ_s C[t,s] v_s / (n_t + eps)
 *
 * Online form. After some keys, a row holds M (their max D), Z = Σ S e^{D−M} and A = Σ S e^{D−M} v
 * (S the scaled score). A tile of keys with max M' moves M to max(M, M') and rescales Z and A by
 * e^{M_old − M}. Maxima are exact and order-free, so once every key s ≤ t is in, M = m_t exactly and
 * Z, A are the final-max sums of the official form: Z = Σ_s C[t,s] (signed, so |Z| is the official
 * |Σ C|) and A = Σ_s C[t,s] v_s. The official n_t and h_t then follow from M, Z, A with the e^{−m_t}
 * floor and eps as written; nothing about the result depends on the running maxima on the way.
 *
 * Decays without F. Key tiles are walked from the diagonal backwards, and D is formed from sums
 * relative to the tile's first query q0: R_s = F_s − F_{q0}, D[t,s] = R_t + (ĩ_s − R_s). R of the
 * query rows is a prefix sum inside the tile; R of earlier keys is accumulated backwards from q0,
 * so the keys that matter most (near the diagonal) get small, accurate sums instead of the
 * difference of two long cumulative sums (f32 F_t alone loses ~1e-4 of the decay by t ≈ 1000).
 *
 * Per key tile: the first TT invocations compute ĩ_s − R_s for its keys; every invocation computes
 * the scores of its query row for TT/LV keys; barrier; each row's invocations take the tile's max and
 * the weights S·e^{D−M} of their keys into workgroup memory; barrier; each of a row's LV invocations
 * accumulates its DH/LV value columns over the tile's keys.
 *
 * Loop cap: when one invocation's walk over all key tiles would pass the device's loop cap, the walk
 * is split over consecutive dispatches that carry M, Z, A per row and the backward sum per tile in the
 * `carry` scratch tensor; the dispatch that reaches key tile 0 normalises and writes h.
 *
 * Bindings: qkv [B·T·3I] (concat(q,k,v), as `mlstmQkvGatesKernels` writes it), igate, fgate [B·T·NH],
 * h [B·T·I]; carry [mlstmParallelCarryElements(o)] (scratch) when the work is split.
 */
export interface MlstmParallelOptions {
  batch: number;
  time: number;
  heads: number;
  headDim: number;
  /** The official 1e-6 by default. */
  eps?: number;
  /** Query rows per workgroup, which is also the key tile (default 16, at most T). */
  tile?: number;
  name?: string;
  source?: string;
}

/** Sentinel for "no key yet": finite, so e^{M − M'} stays a number; far below any real D. */
const NO_MAX = -1e30;

interface Layout {
  B: number;
  T: number;
  NH: number;
  DH: number;
  I: number;
  /** Vector width of the q/k/v/h accesses: 4 when DH allows vec4, else 1. */
  VW: number;
  DHV: number;
  TT: number;
  /** Invocations per query row, and value vectors each of them accumulates. */
  LV: number;
  DCV: number;
  /** Keys per tile whose scores one invocation computes. */
  NK: number;
  QT: number;
  /** Key tiles one dispatch walks at most. */
  tilesPerDispatch: number;
  dispatches: number;
}

function layoutOf(o: MlstmParallelOptions, target: KernelTarget): Layout {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ B, T, NH, DH })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`mLSTM parallel: ${dim} must be a positive integer, got ${v}`);
  }
  const VW = DH % 4 === 0 ? 4 : 1;
  const DHV = DH / VW;
  // 16 accumulated floats per invocation keeps its registers bounded for any DH
  const LV = Math.ceil(DHV / (16 / VW));
  const DCV = Math.ceil(DHV / LV);
  const maxInvocations = target.maxComputeInvocationsPerWorkgroup;
  if (LV > maxInvocations) throw new Error(`mLSTM parallel: head dim ${DH} needs more invocations per row than a workgroup holds`);
  const TT = Math.max(1, Math.min(o.tile ?? 16, T, Math.floor(maxInvocations / LV)));
  const NK = Math.ceil(TT / LV);
  const QT = Math.ceil(T / TT);
  // Loop headers per invocation: the row prefix loop and the tile loop's exit, then per key tile
  // its header, the backward-sum loop, the score loop, the max loop and the accumulation loop.
  const fixed = TT + 1;
  const perTile = 3 * (TT + 1) + DHV + 2;
  const tilesPerDispatch = Math.floor((target.maxLoopIterationsPerInvocation - fixed) / perTile);
  if (tilesPerDispatch < 1) throw new Error(`mLSTM parallel: one key tile needs more loop iterations than the device allows`);
  const dispatches = Math.ceil(QT / Math.min(tilesPerDispatch, QT));
  return { B, T, NH, DH, I: NH * DH, VW, DHV, TT, LV, DCV, NK, QT, tilesPerDispatch: Math.min(tilesPerDispatch, QT), dispatches };
}

/** Elements of the `carry` scratch tensor (0 when the kernel runs as one dispatch). */
export function mlstmParallelCarryElements(o: MlstmParallelOptions, target: KernelTarget): number {
  const l = layoutOf(o, target);
  return l.dispatches > 1 ? l.B * l.NH * (l.T * (l.DH + 2) + l.QT) : 0;
}

export function mlstmParallelKernels(o: MlstmParallelOptions, target: KernelTarget): KernelSpec[] {
  const l = layoutOf(o, target);
  const name = o.name ?? `mlstm_parallel_${l.B}x${l.T}x${l.NH}x${l.DH}`;
  return Array.from({ length: l.dispatches }, (_, d) => dispatchKernel(o, l, target, l.dispatches > 1 ? `${name}_${d}` : name, d));
}

function dispatchKernel(o: MlstmParallelOptions, l: Layout, target: KernelTarget, name: string, d: number): KernelSpec {
  const { B, T, NH, I, VW, DHV, TT, LV, DCV, NK, QT, tilesPerDispatch: n } = l;
  const first = d === 0;
  const last = d === l.dispatches - 1;
  const vec = VW === 4 ? 'vec4<f32>' : 'f32';
  const dotv = (a: string, b: string): string => (VW === 4 ? `dot(${a}, ${b})` : `${a} * ${b}`);
  const cols = range(DCV);
  const keys = range(NK);
  // Guards for lanes whose keys or columns run past the tile or the head (when LV does not divide them).
  const keyGuard = (i: number): string => (LV * NK > TT ? `if (c + ${LV * i}u < TT) ` : '');
  const colOf = (j: number): string => (LV * DCV > DHV ? `min(c * DCV + ${j}u, DHV - 1u)` : `c * DCV + ${j}u`);
  const colGuard = LV * DCV > DHV;

  /** Lines for one key tile starting at `s0`; `diagonal` masks keys after the row. */
  const tile = (diagonal: boolean): string[] => [
    // Scores of this row against keys c, c+LV, … of the tile.
    ...keys.map((i) => `var sc${i} = 0.0;`),
    ...keys.map((i) => `let kRow${i} = headBase + min(s0 + c + ${LV * i}u, T - 1u) * ROW_V + K_OFF;`),
    'for (var j = 0u; j < DHV; j++) {',
    '  let qj = qkv[qRow + j];',
    ...keys.map((i) => `  sc${i} += ${dotv('qj', `qkv[kRow${i} + j]`)};`),
    '}',
    'workgroupBarrier();',
    'var mTile = M;',
    `for (var s = 0u; s < TT; s++) {${diagonal ? ' if (s <= r) {' : ''} mTile = max(mTile, rRow + keyBias[s]);${diagonal ? ' }' : ''} }`,
    ...keys.map((i) => {
      const w = `sc${i} * SCALE * exp(rRow + keyBias[c + ${LV * i}u] - mTile)`;
      return `${keyGuard(i)}{ weights[r * TT + c + ${LV * i}u] = ${diagonal ? `select(0.0, ${w}, c + ${LV * i}u <= r)` : w}; }`;
    }),
    'let alpha = exp(M - mTile);',
    'M = mTile;',
    'Z *= alpha;',
    ...cols.map((j) => `acc${j} *= alpha;`),
    'workgroupBarrier();',
    'for (var s = 0u; s < TT; s++) {',
    '  let w = weights[r * TT + s];',
    '  Z += w;',
    '  let vRow = headBase + min(s0 + s, T - 1u) * ROW_V + V_OFF;',
    ...cols.map((j) => `  acc${j} += w * qkv[vRow + ${colOf(j)}];`),
    '}',
  ];

  const body: string[] = [
    'let bh = wg / QT;',
    // Longest walks first: llvmpipe hands out workgroups in order.
    'let qt = QT - 1u - wg % QT;',
    'let b = bh / NH;',
    'let hd = bh % NH;',
    'let gateBase = b * T * NH + hd;',
    'let headBase = b * T * ROW_V + hd * DHV;',
    'let r = lid / LV;',
    'let c = lid % LV;',
    'let q0 = qt * TT;',
    'let t = q0 + r;',
    `let qRow = headBase + min(t, T - 1u) * ROW_V;`,
    // This dispatch walks key tiles qt − k for k in [K_BEGIN, kEnd): k = 0 is the diagonal.
    ...(first ? [] : ['if (K_BEGIN > qt) { return; }']),
    'let kEnd = min(K_BEGIN + TILES, qt + 1u);',
    // R of this row and (for the first TT invocations) of key q0 + lid, in the same order of sums.
    'var rRow = 0.0;',
    ...(first ? ['var rKey = 0.0;'] : []),
    'for (var i = 1u; i < TT; i++) {',
    '  let l = log_sigmoid(fgate[gateBase + min(q0 + i, T - 1u) * NH]);',
    '  if (i <= r) { rRow += l; }',
    ...(first ? ['  if (i <= lid) { rKey += l; }'] : []),
    '}',
  ];
  if (first) {
    body.push(
      'var M = NO_MAX;',
      'var Z = 0.0;',
      ...cols.map((j) => `var acc${j} = ${vec}(0.0);`),
      'var kappa = 0.0;',
      '{',
      '  let s0 = q0;',
      '  if (lid < TT) {',
      '    let s = q0 + lid;',
      '    keyBias[lid] = select(NO_MAX, igate[gateBase + min(s, T - 1u) * NH] - rKey, s < T);',
      // R_{q0−1}, where the backward walk over earlier tiles starts.
      '    kappa = -log_sigmoid(fgate[gateBase + q0 * NH]);',
      '  }',
      ...tile(true).map((x) => `  ${x}`),
      '}',
    );
  } else {
    body.push(
      'let rowCarry = bh * T + min(t, T - 1u);',
      'var M = carry[MZ_AT + 2u * rowCarry];',
      'var Z = carry[MZ_AT + 2u * rowCarry + 1u];',
      ...cols.map((j) => `var acc${j} = ${loadCarry(VW, colOf(j))};`),
      'var kappa = carry[KAPPA_AT + bh * QT + qt];',
    );
  }
  body.push(
    `for (var k = ${first ? 'K_BEGIN + 1u' : 'K_BEGIN'}; k < kEnd; k++) {`,
    '  let s0 = (qt - k) * TT;',
    // R_s = kappa − Σ_{r=s+1}^{s0+TT−1} L_r, summed from the top; kappa moves to R_{s0−1}.
    '  if (lid < TT) {',
    '    let s = s0 + lid;',
    '    var above = 0.0;',
    '    var all = 0.0;',
    '    for (var e = 0u; e < TT; e++) {',
    '      let rr = s0 + TT - 1u - e;',
    '      let l = log_sigmoid(fgate[gateBase + rr * NH]);',
    '      all += l;',
    '      if (rr > s) { above += l; }',
    '    }',
    '    keyBias[lid] = igate[gateBase + s * NH] - (kappa - above);',
    '    kappa -= all;',
    '  }',
    ...tile(false).map((x) => `  ${x}`),
    '}',
  );
  const finish = [
    'if (t < T) {',
    '  let inv = 1.0 / (max(abs(Z), exp(-M)) + EPS);',
    '  let hRow = ((b * T + t) * I) / VW + hd * DHV;',
    ...cols.map((j) => `  ${colGuard ? `if (c * DCV + ${j}u < DHV) ` : ''}{ h[hRow + c * DCV + ${j}u] = acc${j} * inv; }`),
    '}',
  ];
  const store = [
    'if (t < T) {',
    '  let rowCarry = bh * T + t;',
    '  if (c == 0u) {',
    '    carry[MZ_AT + 2u * rowCarry] = M;',
    '    carry[MZ_AT + 2u * rowCarry + 1u] = Z;',
    '  }',
    ...cols.flatMap((j) => {
      const lines = storeCarry(VW, `c * DCV + ${j}u`, `acc${j}`);
      return colGuard ? [`  if (c * DCV + ${j}u < DHV) {`, ...lines.map((x) => `    ${x}`), '  }'] : lines.map((x) => `  ${x}`);
    }),
    '}',
    'if (lid == 0u) { carry[KAPPA_AT + bh * QT + qt] = kappa; }',
  ];
  if (last) body.push(...finish);
  else body.push('if (kEnd == qt + 1u) {', ...finish.map((x) => `  ${x}`), '} else {', ...store.map((x) => `  ${x}`), '}');

  const split = l.dispatches > 1;
  const bindings: KernelBinding[] = [
    { name: 'qkv', access: 'read', type: 'f32', elements: B * T * 3 * I, ...(VW === 4 ? { view: 'vec4' as const } : {}) },
    { name: 'igate', access: 'read', type: 'f32', elements: B * T * NH },
    { name: 'fgate', access: 'read', type: 'f32', elements: B * T * NH },
    { name: 'h', access: 'read_write', type: 'f32', elements: B * T * I, ...(VW === 4 ? { view: 'vec4' as const } : {}) },
  ];
  if (split) bindings.push({ name: 'carry', access: 'read_write', type: 'f32', elements: mlstmParallelCarryElements(o, target) });
  const walked = Math.min(n, QT - d * n);
  return buildKernel(
    {
      name,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary:
        `mLSTM parallel stabilised cell, ${B} batch rows × ${NH} heads of ${l.DH}, T=${T}, ${TT}-row tiles, ` +
        `${split ? `key tiles ${d * n}..${d * n + walked - 1} from the diagonal (dispatch ${d + 1} of ${l.dispatches})` : 'all key tiles'}`,
      bindings,
      constants: {
        T: u32(T),
        NH: u32(NH),
        I: u32(I),
        VW: u32(VW),
        DHV: u32(DHV),
        TT: u32(TT),
        LV: u32(LV),
        DCV: u32(DCV),
        QT: u32(QT),
        ROW_V: u32((3 * I) / VW),
        K_OFF: u32(I / VW),
        V_OFF: u32((2 * I) / VW),
        K_BEGIN: u32(d * n),
        TILES: u32(n),
        SCALE: f32(1 / Math.sqrt(l.DH)),
        EPS: f32(o.eps ?? 1e-6),
        NO_MAX: f32(NO_MAX),
        MZ_AT: u32(B * NH * T * l.DH),
        KAPPA_AT: u32(B * NH * T * (l.DH + 2)),
      },
      workgroupVars: { keyBias: `array<f32, ${TT}>`, weights: `array<f32, ${TT * TT}>` },
      helpers: [LOG_SIGMOID_WGSL],
      workgroupSize: TT * LV,
      workgroups: B * NH * QT,
      loopIterations: TT + 1 + walked * (3 * (TT + 1) + DHV + 2),
      body,
    },
    target,
  );
}

function loadCarry(VW: number, col: string): string {
  const at = (lane: number): string => `carry[(rowCarry * DHV + ${col}) * VW + ${lane}u]`;
  return VW === 4 ? `vec4<f32>(${[0, 1, 2, 3].map(at).join(', ')})` : at(0);
}

function storeCarry(VW: number, col: string, value: string): string[] {
  if (VW === 1) return [`carry[rowCarry * DHV + ${col}] = ${value};`];
  return ['x', 'y', 'z', 'w'].map((lane, i) => `carry[(rowCarry * DHV + ${col}) * 4u + ${i}u] = ${value}.${lane};`);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
