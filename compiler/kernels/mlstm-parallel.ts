import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { LOG_SIGMOID_WGSL } from './log-sigmoid.js';
import { NO_MAX, tileDecaySums, vectorCode, walkSlice, workgroupHead } from './mlstm-parallel-codegen.js';
import { mlstmHeadShape, positiveInteger, splitWalk, walkedSteps, walkSummary, type MlstmCellDims, type MlstmHeadShape, type Walk } from './mlstm-parallel-layout.js';
import { buildKernel, f32, range, u32 } from './wgsl.js';

/**
 * The mLSTM cell in the official parallel stabilised form, flash-attention style: one workgroup per
 * (batch, head, tile of TQ query rows), RB rows per invocation, walking the keys and building the
 * decays on the fly, never storing a T×T matrix. Per head, with L_r = log σ(f̃_r), F_t = Σ_{r≤t} L_r:
 *   D[t,s] = F_t − F_s + ĩ_s (s ≤ t),  m_t = max_s D[t,s],  C[t,s] = (q_t·k_s/√DH) e^{D[t,s] − m_t}
 *   n_t = max(|Σ_s C[t,s]|, e^{−m_t}),  h_t = Σ_s C[t,s] v_s / (n_t + eps)
 *
 * Online form. After some keys, a row holds M (their max D), Z = Σ S e^{D−M} and A = Σ S e^{D−M} v
 * (S the scaled score). A step of keys with max M' moves M to max(M, M') and rescales Z and A by
 * e^{M_old − M}. Maxima are exact and order-free, so once every key s ≤ t is in, M = m_t exactly and
 * Z, A are the final-max sums of the official form: Z = Σ_s C[t,s] (signed, so |Z| is the official
 * |Σ C|) and A = Σ_s C[t,s] v_s. The official n_t and h_t then follow from M, Z, A with the e^{−m_t}
 * floor and eps as written; nothing in the result depends on the running maxima on the way.
 *
 * Decays without F. Keys are walked from the tile's last row backwards, and D is formed from sums
 * relative to the tile's first row q0: R_s = F_s − F_{q0}, D[t,s] = R_t − R_s + ĩ_s. R of the rows is a
 * prefix sum inside the tile; R of the keys is carried down one L at a time, so the keys near the
 * diagonal, which matter most, get short accurate sums instead of the difference of two long
 * cumulative sums (in f32, F_t alone loses ~1e-4 of the decay by t ≈ 1000).
 *
 * Speed on llvmpipe (a workgroup's invocations run as 8-wide SIMD on one CPU thread, and Mesa 22's
 * gallivm loads storage memory lane by lane, so loads, not arithmetic, set the pace): each invocation
 * carries RB query rows, q and the DH accumulators of each in registers (DH loops unrolled), so every
 * key and value vector it loads serves RB rows. No workgroup memory or barriers: every invocation of
 * a workgroup walks the same keys, and rows past their own diagonal mask them out.
 *
 * Loop cap: each step of KB keys is one loop iteration; when one invocation's walk would pass the
 * device's loop cap, it is split over consecutive dispatches that carry M, Z, A per row and the key
 * sum R per tile in the `carry` scratch tensor; the dispatch that reaches key 0 writes h.
 *
 * Bindings: qkv [B·T·3I] (concat(q,k,v), as `mlstmQkvGatesKernels` writes it), igate, fgate [B·T·NH],
 * h [B·T·I]; with `initialState` cState [B·NH·DH·DH], nState [B·NH·DH], mState [B·NH] (read only);
 * carry [mlstmParallelCarryElements(o, target)] (scratch) when the work is split.
 */
export interface MlstmParallelOptions extends MlstmCellDims {
  /** Query rows each invocation carries (default 8, fewer for wide heads or short sequences). */
  rowsPerInvocation?: number;
  /** Invocations per workgroup (default 8, the SIMD width llvmpipe runs them at). */
  lanes?: number;
  /** Keys per step of the walk, sharing one rescale (default 1). */
  keysPerStep?: number;
  /**
   * Start from a carried recurrent state (C₀, n₀, m₀) in `cState`, `nState`, `mState` (the layout of
   * `mlstmRecurrentStepKernels`), as a chunk of the chunkwise form: the state enters as one more key
   * with D = F_t + m₀, score q_t·n₀ and value q_tᵀC₀, so the stabiliser is the recurrent one,
   * m_t = max(F_t + m₀, max_s D[t,s]), and the output that of the recurrent form, also from a zero
   * state (then it matches the step API's `logits_step`; without a state it matches `logits`). The
   * state itself is not updated.
   */
  initialState?: boolean;
  name?: string;
  source?: string;
}

const KERNEL = 'mLSTM parallel';

interface Layout extends MlstmHeadShape {
  /** Rows per invocation, invocations per workgroup, rows per workgroup (the query tile), tiles. */
  RB: number;
  lanes: number;
  TQ: number;
  QT: number;
  KB: number;
  /** Loop headers of the initial state's term (0 without one). */
  stateLoop: number;
  /** Steps of KB keys the longest walk takes, split over dispatches. */
  walk: Walk;
}

function layoutOf(o: MlstmParallelOptions, target: KernelTarget): Layout {
  const head = mlstmHeadShape(o, KERNEL);
  const { T, DH, DHV } = head;
  // Measured on llvmpipe (B=8, NH=4, DH=64, T=128): 8 rows per invocation ran at about the linear
  // kernel's speed, 4 rows at ~85% of it, 2 at ~55%; two keys per step gained nothing and doubled the
  // compile time. 128 / DHV caps the registers of wide heads.
  const RB = o.rowsPerInvocation ?? Math.max(1, Math.min(8, Math.floor(128 / DHV), Math.ceil(T / 8)));
  const lanes = Math.min(o.lanes ?? 8, Math.ceil(T / RB), target.maxComputeInvocationsPerWorkgroup);
  const KB = o.keysPerStep ?? 1;
  for (const [what, v] of Object.entries({ 'rows per invocation': RB, lanes, 'keys per step': KB })) positiveInteger(KERNEL, what, v);
  const TQ = RB * lanes;
  // Loop headers per invocation: the row prefix loop (TQ), the walk's exit and the initial state's
  // loop over C₀'s rows, then one per step.
  const stateLoop = o.initialState ? DH + 1 : 0;
  const walk = splitWalk(KERNEL, `a tile of ${TQ} rows`, Math.ceil(T / KB), TQ + stateLoop, target);
  return { ...head, RB, lanes, TQ, QT: Math.ceil(T / TQ), KB, stateLoop, walk };
}

/** Elements of the `carry` scratch tensor (0 when the kernel runs as one dispatch). */
export function mlstmParallelCarryElements(o: MlstmParallelOptions, target: KernelTarget): number {
  const l = layoutOf(o, target);
  return l.walk.dispatches > 1 ? l.B * l.NH * (l.T * (l.DH + 2) + l.QT) : 0;
}

export function mlstmParallelKernels(o: MlstmParallelOptions, target: KernelTarget): KernelSpec[] {
  const l = layoutOf(o, target);
  const name = o.name ?? `mlstm_parallel_${l.B}x${l.T}x${l.NH}x${l.DH}`;
  const { dispatches } = l.walk;
  return Array.from({ length: dispatches }, (_, d) => dispatchKernel(o, l, target, dispatches > 1 ? `${name}_${d}` : name, d));
}

function dispatchKernel(o: MlstmParallelOptions, l: Layout, target: KernelTarget, name: string, d: number): KernelSpec {
  const { B, T, NH, I, VW, DHV, RB, TQ, QT, KB, walk } = l;
  const first = d === 0;
  const last = d === walk.dispatches - 1;
  const v = vectorCode(VW);
  const cols = range(DHV);
  const keys = range(KB);
  const rows = range(RB);
  const sum = (terms: string[]): string => terms.join(' + ');
  const perRow = (f: (r: number) => string[]): string[] => rows.flatMap(f);

  const body: string[] = [
    // Longest walks first: llvmpipe hands out workgroups in order.
    ...workgroupHead('QT', 'let qt = QT - 1u - wg % QT;'),
    'let q0 = qt * TQ;',
    'let top = min(q0 + TQ - 1u, T - 1u);',
    // The walk goes down from key `top`.
    ...walkSlice(first, 'top / KB + 1u'),
    ...perRow((r) => [
      `let t${r} = q0 + lid * RB + ${r}u;`,
      `let qRow${r} = headBase + min(t${r}, T - 1u) * ROW_V;`,
      ...cols.map((c) => `let query${r}_${c} = qkv[qRow${r} + ${c}u];`),
    ]),
    // R_t of the rows and R_top, summed inside the tile.
    ...tileDecaySums('TQ', 'q0', rows.map((r) => [`rRow${r}`, `t${r}`]), 'rTop'),
  ];
  if (first) {
    body.push(...perRow((r) => [`var M${r} = NO_MAX;`, `var Z${r} = 0.0;`, ...cols.map((c) => `var acc${r}_${c} = ${v.vec}(0.0);`)]), 'var rKey = rTop;');
  } else {
    body.push(
      ...perRow((r) => [
        `let carryRow${r} = bh * T + min(t${r}, T - 1u);`,
        `var M${r} = carry[MZ_AT + 2u * carryRow${r}];`,
        `var Z${r} = carry[MZ_AT + 2u * carryRow${r} + 1u];`,
        ...cols.map((c) => `var acc${r}_${c} = ${v.load('carry', `carryRow${r} * DH`, c)};`),
      ]),
      'var rKey = carry[R_AT + bh * QT + qt];',
    );
  }
  body.push(
    'for (var step = STEP_BEGIN; step < stepEnd; step++) {',
    '  let base = top - step * KB;',
    // Key s_j = base − j (while ≥ 0); R_{s_j} = R_{base} − L_{s_0} − … − L_{s_{j−1}}.
    ...keys.flatMap((j) => [
      `  let in${j} = base >= ${j}u;`,
      `  let s${j} = select(0u, base - ${j}u, in${j});`,
      // 0 before key 0, so the walk ends with rKey = R_{−1} = −F_{q0}.
      `  let l${j} = select(0.0, log_sigmoid(fgate[gateBase + s${j} * NH]), in${j});`,
      `  let r${j} = ${j === 0 ? 'rKey' : `r${j - 1} - l${j - 1}`};`,
      `  let ig${j} = igate[gateBase + s${j} * NH] - r${j};`,
      `  let keyAt${j} = headBase + s${j} * ROW_V + K_OFF;`,
      `  let valueAt${j} = headBase + s${j} * ROW_V + V_OFF;`,
      ...rows.map((r) => `  var sc${r}_${j} = 0.0;`),
    ]),
    `  rKey = r${KB - 1} - l${KB - 1};`,
    // Each key vector is read once and used for all RB rows: loads, not arithmetic, bound llvmpipe.
    ...cols.flatMap((c) =>
      keys.flatMap((j) => [`  let k${j}_${c} = qkv[keyAt${j} + ${c}u];`, ...rows.map((r) => `  sc${r}_${j} += ${v.dot(`query${r}_${c}`, `k${j}_${c}`)};`)]),
    ),
    ...perRow((r) => [
      ...keys.map((j) => `  let ok${r}_${j} = in${j} && s${j} <= t${r};`),
      ...keys.map((j) => `  let d${r}_${j} = select(NO_MAX, rRow${r} + ig${j}, ok${r}_${j});`),
      `  let mNew${r} = max(M${r}, ${keys.map((j) => `d${r}_${j}`).reduce((a, b) => `max(${a}, ${b})`)});`,
      `  let alpha${r} = exp(M${r} - mNew${r});`,
      ...keys.map((j) => `  let w${r}_${j} = select(0.0, sc${r}_${j} * SCALE * exp(d${r}_${j} - mNew${r}), ok${r}_${j});`),
      `  Z${r} = Z${r} * alpha${r} + ${sum(keys.map((j) => `w${r}_${j}`))};`,
      `  M${r} = mNew${r};`,
    ]),
    ...cols.flatMap((c) => [
      ...keys.map((j) => `  let v${j}_${c} = qkv[valueAt${j} + ${c}u];`),
      ...rows.map((r) => `  acc${r}_${c} = acc${r}_${c} * alpha${r} + ${sum(keys.map((j) => `w${r}_${j} * v${j}_${c}`))};`),
    ]),
    '}',
  );
  // The initial state as the last key: D = F_t + m₀ with F_t = R_t − R_{−1}.
  const stateTerm = !o.initialState
    ? []
    : [
        'let m0 = mState[bh];',
        ...cols.map((c) => `let n0_${c} = nState[bh * DHV + ${c}u];`),
        ...perRow((r) => [
          `let dState${r} = rRow${r} - rKey + m0;`,
          `let mWithState${r} = max(M${r}, dState${r});`,
          `let alphaState${r} = exp(M${r} - mWithState${r});`,
          `let wState${r} = exp(dState${r} - mWithState${r});`,
          `Z${r} = Z${r} * alphaState${r} + wState${r} * (${sum(cols.map((c) => v.dot(`query${r}_${c}`, `n0_${c}`)))});`,
          `M${r} = mWithState${r};`,
          ...cols.map((c) => `acc${r}_${c} *= alphaState${r};`),
        ]),
        'for (var a = 0u; a < DH; a++) {',
        ...perRow((r) => [`  let qa${r} = wState${r} * ${VW === 4 ? `qkv[qRow${r} + a / 4u][a % 4u]` : `qkv[qRow${r} + a]`};`]),
        ...cols.flatMap((c) => [`  let c0_${c} = cState[(bh * DH + a) * DHV + ${c}u];`, ...rows.map((r) => `  acc${r}_${c} += qa${r} * c0_${c};`)]),
        '}',
      ];
  const finish = [
    ...stateTerm,
    ...perRow((r) => [
      `if (t${r} < T) {`,
      `  let inv${r} = 1.0 / (max(abs(Z${r}), exp(-M${r})) + EPS);`,
      `  let hRow${r} = (b * T + t${r}) * I_V + hd * DHV;`,
      ...cols.map((c) => `  h[hRow${r} + ${c}u] = acc${r}_${c} * inv${r};`),
      '}',
    ]),
  ];
  const store = [
    ...perRow((r) => [
      `if (t${r} < T) {`,
      `  let carryRow${r} = bh * T + t${r};`,
      `  carry[MZ_AT + 2u * carryRow${r}] = M${r};`,
      `  carry[MZ_AT + 2u * carryRow${r} + 1u] = Z${r};`,
      ...cols.flatMap((c) => v.store('carry', `carryRow${r} * DH`, c, `acc${r}_${c}`).map((x) => `  ${x}`)),
      '}',
    ]),
    'if (lid == 0u) { carry[R_AT + bh * QT + qt] = rKey; }',
  ];
  if (last) body.push(...finish);
  else body.push('if (stepEnd == steps) {', ...finish.map((x) => `  ${x}`), '} else {', ...store.map((x) => `  ${x}`), '}');

  const split = walk.dispatches > 1;
  const vec4 = VW === 4 ? { view: 'vec4' as const } : {};
  const bindings: KernelBinding[] = [
    { name: 'qkv', access: 'read', type: 'f32', elements: B * T * 3 * I, ...vec4 },
    { name: 'igate', access: 'read', type: 'f32', elements: B * T * NH },
    { name: 'fgate', access: 'read', type: 'f32', elements: B * T * NH },
    { name: 'h', access: 'read_write', type: 'f32', elements: B * T * I, ...vec4 },
  ];
  if (o.initialState) {
    bindings.push(
      { name: 'cState', access: 'read', type: 'f32', elements: B * NH * l.DH * l.DH, ...vec4 },
      { name: 'nState', access: 'read', type: 'f32', elements: B * NH * l.DH, ...vec4 },
      { name: 'mState', access: 'read', type: 'f32', elements: B * NH },
    );
  }
  if (split) bindings.push({ name: 'carry', access: 'read_write', type: 'f32', elements: mlstmParallelCarryElements(o, target) });
  return buildKernel(
    {
      name,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary:
        `mLSTM parallel stabilised cell, ${B} batch rows × ${NH} heads of ${l.DH}, T=${T}, ${TQ} rows per workgroup ` +
        `(${RB} per invocation), ${KB} keys per step${o.initialState ? ', from a carried state' : ''}` +
        walkSummary(walk, d),
      bindings,
      constants: {
        T: u32(T),
        NH: u32(NH),
        DH: u32(l.DH),
        DHV: u32(DHV),
        RB: u32(RB),
        TQ: u32(TQ),
        QT: u32(QT),
        KB: u32(KB),
        ROW_V: u32((3 * I) / VW),
        I_V: u32(I / VW),
        K_OFF: u32(I / VW),
        V_OFF: u32((2 * I) / VW),
        STEP_BEGIN: u32(d * walk.perDispatch),
        STEPS: u32(walk.perDispatch),
        SCALE: f32(1 / Math.sqrt(l.DH)),
        EPS: f32(o.eps ?? 1e-6),
        NO_MAX: f32(NO_MAX),
        MZ_AT: u32(B * NH * T * l.DH),
        R_AT: u32(B * NH * T * (l.DH + 2)),
      },
      helpers: [LOG_SIGMOID_WGSL],
      workgroupSize: l.lanes,
      workgroups: B * NH * QT,
      loopIterations: TQ + 1 + l.stateLoop + walkedSteps(walk, d),
      body,
    },
    target,
  );
}
