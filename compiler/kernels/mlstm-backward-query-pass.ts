import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { LOG_SIGMOID_WGSL } from './log-sigmoid.js';
import { passBinding, STAT, walkConstants, type MlstmBackwardLayout } from './mlstm-backward-layout.js';
import { indent, NO_MAX, tileDecaySums, vectorCode, walkSlice, workgroupHead } from './mlstm-parallel-codegen.js';
import { walkedSteps, walkSummary } from './mlstm-parallel-layout.js';
import { MAXIMUM_SHARE_WGSL } from './tie-shares.js';
import { buildKernel, f32, range, u32 } from './wgsl.js';

/**
 * Query pass of the mLSTM parallel backward (see `mlstm-parallel-backward.ts` for the math): one
 * workgroup per (batch, head, tile of TQ query rows), RB rows per invocation, walking the keys from
 * the tile's last row down to 0 with the decays built as in the forward kernel (sums relative to the
 * tile's first row, so keys near the diagonal get short, accurate sums).
 *
 * dq_t = (1/√DH) Σ_s (dh_t·v_s / δ_t + dZ_t) E[t,s] k_s needs δ_t and dZ_t, known only once the
 * walk is complete, so the walk keeps the two sums U = Σ (dh_t·v_s) E k_s and W = Σ E k_s under the
 * forward's online maximum (rescaled by e^{M_old − M_new} whenever it moves; once every key is in, M
 * is m_t exactly), next to Z = Σ S E and the first maximising key. The end of the walk turns them
 * into dq and the row statistics the later passes read.
 *
 * Split walks carry M, Z, argmax, U, W per row and the key decay sum per tile in `carry`.
 */

export function mlstmBackwardQueryPass(
  l: MlstmBackwardLayout,
  d: number,
  name: string,
  src: { source?: string },
  target: KernelTarget,
): KernelSpec {
  const { B, T, NH, DH, VW, DHV, RB, TQ, QT, query: walk } = l;
  const first = d === 0;
  const split = walk.dispatches > 1;
  const last = d === walk.dispatches - 1;
  const v = vectorCode(VW);
  const cols = range(DHV);
  const rows = range(RB);
  const perRow = (f: (r: number) => string[]): string[] => rows.flatMap(f);
  // Carry layout (scalars, from CARRY_AT): U [rows × DH], W [rows × DH], (M, Z, argmax) per row, key sum per tile.
  const carryRow = (r: number): string => `(bh * T + min(t${r}, T - 1u))`;
  const uAt = (r: number): string => `CARRY_AT + ${carryRow(r)} * DH`;
  const wAt = (r: number): string => `CARRY_AT + W_AT + ${carryRow(r)} * DH`;
  const mzAt = (r: number): string => `CARRY_AT + MZ_AT + 3u * ${carryRow(r)}`;

  const body: string[] = [
    // Longest walks first: llvmpipe hands out workgroups in order.
    ...workgroupHead('QT', 'let qt = QT - 1u - wg % QT;'),
    'let outBase = b * T * I_V + hd * DHV;',
    'let q0 = qt * TQ;',
    'let top = min(q0 + TQ - 1u, T - 1u);',
    ...walkSlice(first, 'top + 1u'),
    ...perRow((r) => [
      `let t${r} = q0 + lid * RB + ${r}u;`,
      `let row${r} = min(t${r}, T - 1u);`,
      ...cols.map((c) => `let query${r}_${c} = qkv[headBase + row${r} * ROW_V + ${c}u];`),
      ...cols.map((c) => `let grad${r}_${c} = dh[outBase + row${r} * I_V + ${c}u];`),
    ]),
    ...tileDecaySums('TQ', 'q0', rows.map((r) => [`rRow${r}`, `t${r}`]), 'rTop'),
  ];
  if (first) {
    body.push(
      ...perRow((r) => [
        `var M${r} = NO_MAX;`,
        `var Z${r} = 0.0;`,
        `var arg${r} = 0u;`,
        ...cols.flatMap((c) => [`var U${r}_${c} = ${v.vec}(0.0);`, `var W${r}_${c} = ${v.vec}(0.0);`]),
      ]),
      'var rKey = rTop;',
    );
  } else {
    body.push(
      ...perRow((r) => [
        `var M${r} = carry[${mzAt(r)}];`,
        `var Z${r} = carry[${mzAt(r)} + 1u];`,
        `var arg${r} = u32(carry[${mzAt(r)} + 2u]);`,
        ...cols.flatMap((c) => [`var U${r}_${c} = ${v.load('carry', uAt(r), c)};`, `var W${r}_${c} = ${v.load('carry', wAt(r), c)};`]),
      ]),
      'var rKey = carry[CARRY_AT + RK_AT + bh * QT + qt];',
    );
  }
  body.push(
    'for (var step = STEP_BEGIN; step < stepEnd; step++) {',
    '  let s = top - step;',
    '  let ig = igate[gateBase + s * NH] - rKey;',
    '  rKey -= log_sigmoid(fgate[gateBase + s * NH]);',
    '  let keyAt = headBase + s * ROW_V + K_OFF;',
    '  let valueAt = headBase + s * ROW_V + V_OFF;',
    ...perRow((r) => [`  var sc${r} = 0.0;`, `  var gv${r} = 0.0;`]),
    // Each key and value vector is loaded once and serves all RB rows.
    ...cols.flatMap((c) => [`  let k${c} = qkv[keyAt + ${c}u];`, ...rows.map((r) => `  sc${r} += ${v.dot(`query${r}_${c}`, `k${c}`)};`)]),
    ...cols.flatMap((c) => [`  let v${c} = qkv[valueAt + ${c}u];`, ...rows.map((r) => `  gv${r} += ${v.dot(`grad${r}_${c}`, `v${c}`)};`)]),
    ...perRow((r) => [
      `  let ok${r} = s <= t${r};`,
      `  let d${r} = select(NO_MAX, rRow${r} + ig, ok${r});`,
      // Keys come in descending order: >= leaves the smallest maximising key, PyTorch's first argmax.
      `  if (ok${r} && d${r} >= M${r}) { arg${r} = s; }`,
      `  let mNew${r} = max(M${r}, d${r});`,
      `  let alpha${r} = exp(M${r} - mNew${r});`,
      `  let e${r} = select(0.0, exp(d${r} - mNew${r}), ok${r});`,
      `  Z${r} = Z${r} * alpha${r} + sc${r} * SCALE * e${r};`,
      `  let du${r} = gv${r} * e${r};`,
      `  M${r} = mNew${r};`,
    ]),
    ...cols.flatMap((c) =>
      rows.flatMap((r) => [`  U${r}_${c} = U${r}_${c} * alpha${r} + du${r} * k${c};`, `  W${r}_${c} = W${r}_${c} * alpha${r} + e${r} * k${c};`]),
    ),
    '}',
  );
  // e^{−m}/δ where the floor wins is 1/(1 + eps·e^{m}): finite even where e^{−m} overflows f32.
  const floorShare = (r: number): string => (l.eps > 0 ? ` / (1.0 + EPS * exp(M${r}))` : '');
  const finish = perRow((r) => [
    `if (t${r} < T) {`,
    ...indent([
      `let floor${r} = exp(-M${r});`,
      `let absZ${r} = abs(Z${r});`,
      `let inv${r} = 1.0 / (max(absZ${r}, floor${r}) + EPS);`,
      `var hdot${r} = 0.0;`,
      ...cols.map((c) => `hdot${r} += ${v.dot(`grad${r}_${c}`, `h[outBase + t${r} * I_V + ${c}u]`)};`),
      `let toAbs${r} = maximum_share(absZ${r}, floor${r});`,
      `let dZ${r} = -hdot${r} * inv${r} * toAbs${r} * sign(Z${r});`,
      `let rho${r} = select(0.0, hdot${r} * (1.0 - toAbs${r})${floorShare(r)}, toAbs${r} < 1.0);`,
      `let dMax${r} = rho${r} - (hdot${r} + dZ${r} * Z${r});`,
      ...cols.map((c) => `dqkv[headBase + t${r} * ROW_V + ${c}u] = SCALE * (inv${r} * U${r}_${c} + dZ${r} * W${r}_${c});`),
      `let st${r} = (bh * T + t${r}) * STATS;`,
      `stats[st${r} + ${STAT.max}u] = M${r};`,
      `stats[st${r} + ${STAT.argmax}u] = f32(arg${r});`,
      `stats[st${r} + ${STAT.invDenom}u] = inv${r};`,
      `stats[st${r} + ${STAT.dZ}u] = dZ${r};`,
      `stats[st${r} + ${STAT.dMax}u] = dMax${r};`,
      `stats[st${r} + ${STAT.rowSum}u] = rho${r};`,
    ]),
    '}',
  ]);
  const store = [
    ...perRow((r) => [
      `if (t${r} < T) {`,
      ...indent([
        `carry[${mzAt(r)}] = M${r};`,
        `carry[${mzAt(r)} + 1u] = Z${r};`,
        `carry[${mzAt(r)} + 2u] = f32(arg${r});`,
        ...cols.flatMap((c) => [...v.store('carry', uAt(r), c, `U${r}_${c}`), ...v.store('carry', wAt(r), c, `W${r}_${c}`)]),
      ]),
      '}',
    ]),
    'if (lid == 0u) { carry[CARRY_AT + RK_AT + bh * QT + qt] = rKey; }',
  ];
  if (last) body.push(...finish);
  else body.push('if (stepEnd == steps) {', ...indent(finish), '} else {', ...indent(store), '}');

  const bindings: KernelBinding[] = [
    passBinding(l, 'qkv', 'read'),
    passBinding(l, 'igate', 'read'),
    passBinding(l, 'fgate', 'read'),
    passBinding(l, 'h', 'read'),
    passBinding(l, 'dh', 'read'),
    passBinding(l, 'stats', 'read_write'),
    passBinding(l, 'dqkv', 'read_write'),
  ];
  if (split) bindings.push(passBinding(l, 'carry', 'read_write'));
  return buildKernel(
    {
      name,
      ...src,
      summary: `mLSTM parallel backward, query pass: dq and row statistics, ${B} batch rows × ${NH} heads of ${DH}, T=${T}, ${TQ} rows per workgroup (${RB} per invocation)${walkSummary(walk, d)}`,
      bindings,
      constants: {
        ...walkConstants(l, walk, d),
        RB: u32(RB),
        TQ: u32(TQ),
        QT: u32(QT),
        EPS: f32(l.eps),
        NO_MAX: f32(NO_MAX),
        W_AT: u32(B * NH * T * DH),
        MZ_AT: u32(2 * B * NH * T * DH),
        RK_AT: u32(B * NH * T * (2 * DH + 3)),
      },
      helpers: [LOG_SIGMOID_WGSL, MAXIMUM_SHARE_WGSL],
      workgroupSize: l.qLanes,
      workgroups: B * NH * QT,
      loopIterations: TQ + 1 + walkedSteps(walk, d),
      body,
    },
    target,
  );
}
