import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { LOG_SIGMOID_WGSL } from './log-sigmoid.js';
import { passBinding, STAT, walkConstants, type MlstmBackwardLayout } from './mlstm-backward-layout.js';
import { indent, tileDecaySums, vectorCode, walkSlice, workgroupHead } from './mlstm-parallel-codegen.js';
import { walkedSteps, walkSummary } from './mlstm-parallel-layout.js';
import { buildKernel, range, u32 } from './wgsl.js';

/**
 * Key pass of the mLSTM parallel backward (see `mlstm-parallel-backward.ts` for the math): one
 * workgroup per (batch, head, tile of TK keys), KR keys per invocation, walking the rows t from the
 * tile's first key s0 up to T − 1 with the row statistics of the query pass (m_t, 1/δ_t, dZ_t, the
 * routed dm_t and its key):
 *
 *   dv_s = Σ_t C[t,s] dh_t / δ_t,  dk_s = (1/√DH) Σ_t dC[t,s] E[t,s] q_t,
 *   dĩ_s = Σ_t dC[t,s] C[t,s] + Σ_{t: argmax_t = s} dm_t
 *
 * Decays are sums relative to s0: the keys' by a prefix inside the tile, the rows' carried up one
 * log σ(f̃) at a time, so the rows near the diagonal get short sums. Every invocation walks the same
 * rows (their q, dh and statistics are loaded once per step and serve KR keys); keys after a row mask
 * it out.
 *
 * Split walks add into the outputs from the second dispatch on and carry the row decay sum per tile.
 */
export function mlstmBackwardKeyPass(l: MlstmBackwardLayout, d: number, name: string, src: { source?: string }, target: KernelTarget): KernelSpec {
  const { B, T, NH, DH, VW, DHV, KR, TK, KT, key: walk } = l;
  const first = d === 0;
  const split = walk.dispatches > 1;
  const last = d === walk.dispatches - 1;
  const v = vectorCode(VW);
  const cols = range(DHV);
  const keys = range(KR);
  const perKey = (f: (r: number) => string[]): string[] => keys.flatMap(f);
  const op = first ? '=' : '+=';

  const body: string[] = [
    // Longest walks (first tiles) first: llvmpipe hands out workgroups in order.
    ...workgroupHead('KT', 'let kt = wg % KT;'),
    'let outBase = b * T * I_V + hd * DHV;',
    'let kFirst = kt * TK;',
    ...walkSlice(first, 'T - kFirst'),
    ...perKey((r) => [
      `let s${r} = kFirst + lid * KR + ${r}u;`,
      `let in${r} = s${r} < T;`,
      `let col${r} = min(s${r}, T - 1u);`,
      ...cols.map((c) => `let key${r}_${c} = qkv[headBase + col${r} * ROW_V + K_OFF + ${c}u];`),
      ...cols.map((c) => `let val${r}_${c} = qkv[headBase + col${r} * ROW_V + V_OFF + ${c}u];`),
    ]),
    ...tileDecaySums('TK', 'kFirst', keys.map((r) => [`rKey${r}`, `s${r}`])),
    ...perKey((r) => [
      `let ig${r} = igate[gateBase + col${r} * NH] - rKey${r};`,
      ...cols.flatMap((c) => [`var dk${r}_${c} = ${v.vec}(0.0);`, `var dv${r}_${c} = ${v.vec}(0.0);`]),
      `var di${r} = 0.0;`,
    ]),
    first ? 'var rRow = 0.0;' : 'var rRow = carry[CARRY_AT + bh * KT + kt];',
    'for (var step = STEP_BEGIN; step < stepEnd; step++) {',
    '  let t = kFirst + step;',
    '  rRow += select(0.0, log_sigmoid(fgate[gateBase + t * NH]), step > 0u);',
    '  let st = (bh * T + t) * STATS;',
    `  let mRow = stats[st + ${STAT.max}u];`,
    `  let argRow = u32(stats[st + ${STAT.argmax}u]);`,
    `  let inv = stats[st + ${STAT.invDenom}u];`,
    `  let dZ = stats[st + ${STAT.dZ}u];`,
    `  let dMax = stats[st + ${STAT.dMax}u];`,
    '  let qAt = headBase + t * ROW_V;',
    '  let gAt = outBase + t * I_V;',
    ...perKey((r) => [`  var sc${r} = 0.0;`, `  var gv${r} = 0.0;`]),
    ...cols.flatMap((c) => [`  let q${c} = qkv[qAt + ${c}u];`, ...keys.map((r) => `  sc${r} += ${v.dot(`q${c}`, `key${r}_${c}`)};`)]),
    ...cols.flatMap((c) => [`  let g${c} = dh[gAt + ${c}u];`, ...keys.map((r) => `  gv${r} += ${v.dot(`g${c}`, `val${r}_${c}`)};`)]),
    ...perKey((r) => [
      `  let ok${r} = in${r} && s${r} <= t;`,
      `  let e${r} = select(0.0, exp(rRow + ig${r} - mRow), ok${r});`,
      `  let c${r} = sc${r} * SCALE * e${r};`,
      `  let dC${r} = gv${r} * inv + dZ;`,
      `  let wv${r} = c${r} * inv;`,
      `  let wk${r} = dC${r} * e${r};`,
      `  di${r} += dC${r} * c${r} + select(0.0, dMax, ok${r} && argRow == s${r});`,
    ]),
    ...cols.flatMap((c) => keys.flatMap((r) => [`  dv${r}_${c} += wv${r} * g${c};`, `  dk${r}_${c} += wk${r} * q${c};`])),
    '}',
    ...perKey((r) => [
      `if (in${r}) {`,
      ...indent([
        ...cols.flatMap((c) => [
          `dqkv[headBase + s${r} * ROW_V + K_OFF + ${c}u] ${op} SCALE * dk${r}_${c};`,
          `dqkv[headBase + s${r} * ROW_V + V_OFF + ${c}u] ${op} dv${r}_${c};`,
        ]),
        `dIgate[gateBase + s${r} * NH] ${op} di${r};`,
      ]),
      '}',
    ]),
  ];
  if (!last) body.push('if (stepEnd < steps && lid == 0u) { carry[CARRY_AT + bh * KT + kt] = rRow; }');

  const bindings: KernelBinding[] = [
    passBinding(l, 'qkv', 'read'),
    passBinding(l, 'igate', 'read'),
    passBinding(l, 'fgate', 'read'),
    passBinding(l, 'dh', 'read'),
    passBinding(l, 'stats', 'read'),
    passBinding(l, 'dqkv', 'read_write'),
    passBinding(l, 'dIgate', 'read_write'),
  ];
  if (split) bindings.push(passBinding(l, 'carry', 'read_write'));
  return buildKernel(
    {
      name,
      ...src,
      summary: `mLSTM parallel backward, key pass: dk, dv and dĩ, ${B} batch rows × ${NH} heads of ${DH}, T=${T}, ${TK} keys per workgroup (${KR} per invocation)${walkSummary(walk, d)}`,
      bindings,
      constants: { ...walkConstants(l, walk, d), KR: u32(KR), TK: u32(TK), KT: u32(KT) },
      helpers: [LOG_SIGMOID_WGSL],
      workgroupSize: l.kLanes,
      workgroups: B * NH * KT,
      loopIterations: TK + 1 + walkedSteps(walk, d),
      body,
    },
    target,
  );
}
