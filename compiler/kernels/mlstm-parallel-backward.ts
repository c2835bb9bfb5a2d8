import type { KernelBinding, KernelSpec, KernelTarget } from './kernel.js';
import { mlstmBackwardKeyPass } from './mlstm-backward-key-pass.js';
import { mlstmBackwardLayout, passBinding, STAT, STATS_PER_ROW, type MlstmBackwardLayout, type MlstmParallelBackwardOptions, type WalkSplit } from './mlstm-backward-layout.js';
import { mlstmBackwardQueryPass } from './mlstm-backward-query-pass.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * Backward pass of the mLSTM parallel stabilised cell (`mlstm-parallel.ts`), flash-attention-2
 * style: no T×T matrix is stored; the decays are rebuilt on the fly. Per head, with L = log σ(f̃),
 * D[t,s] = F_t − F_s + ĩ_s, E = e^{D − m_t}, S = q_t·k_s/√DH, C = S·E, Z_t = Σ_s C (signed),
 * n_t = max(|Z_t|, e^{−m_t}), δ_t = n_t + eps, h_t = Σ_s C v_s / δ_t, PyTorch autograd gives
 *
 *   dδ_t = −dh_t·h_t / δ_t;  (a, e) = the shares of max(|Z|, e^{−m}) (half each at a tie)
 *   dZ_t = dδ_t · a · sign(Z_t),   dC[t,s] = dh_t·v_s / δ_t + dZ_t,   dD[t,s] = dC·C
 *   dq_t = Σ_s dC E k_s/√DH,  dk_s = Σ_t dC E q_t/√DH,  dv_s = Σ_t C dh_t / δ_t
 *   dm_t = −dδ_t · e · e^{−m_t} − Σ_s dD[t,s], routed to D[t, argmax_s D[t,s]] (first maximiser)
 *   dĩ_s = Σ_t dD[t,s] (including the routed dm),  df̃_r = σ(−f̃_r) Σ_{t≥r} Σ_{s<r} dD[t,s]
 *
 * Two identities keep every pass to one walk. Σ_s dD[t,s] = dh_t·h_t + dZ_t Z_t (h and Z absorb the
 * sums), so dm_t is a row term; and the full row sum ρ_t = Σ_s dD[t,s] (routed dm included)
 * = −dδ_t · e · e^{−m_t}, which turns the double sum of df̃ into a prefix sum over columns minus rows:
 * Σ_{t≥r} Σ_{s<r} dD = Σ_{s<r} (dĩ_s − ρ_s).
 *
 * Three passes, in order (each split over dispatches under the loop cap):
 *   1. query pass (`mlstm-backward-query-pass.ts`): per query tile, one walk over keys with the
 *      forward's online max; writes dq and the row statistics (m, argmax, 1/δ, dZ, dm, ρ);
 *   2. key pass (`mlstm-backward-key-pass.ts`): per key tile, one walk over the rows after it;
 *      writes dk, dv and dĩ;
 *   3. gate pass (here): per head, the prefix sum giving df̃.
 *
 * What the forward must provide: its output h (the identities above read it); the row maxima, sums
 * and argmaxes are recomputed by the query pass (the forward kernel keeps them in registers only).
 *
 * Precision (f32 against the float64 reference, relative to the largest entry of each gradient):
 * a few 1e-6, up to ~3e-5 at T = 2100. Degenerate shapes are not: with DH = 1 (or T = 1), h_t does
 * not change when q_t (or q_0, k_0) is scaled wherever |Z_t| beats the floor, so dq (dk) there is of
 * order eps, a cancellation of O(1) terms that f32 resolves only to ~1e-7 of their size; the same
 * goes for the gate gradients of a few keys of which one dominates every row.
 *
 * Bindings: qkv [B·T·3I] (concat(q,k,v)), igate, fgate [B·T·NH], h, dh [B·T·I]; outputs dqkv [B·T·3I]
 * (dq | dk | dv in the qkv layout), dIgate, dFgate [B·T·NH]; scratch stats [mlstmBackwardStatsElements]
 * and, when a pass is split, carry [mlstmBackwardCarryElements].
 */
export { mlstmBackwardCarryElements, mlstmBackwardStatsElements, type MlstmParallelBackwardOptions } from './mlstm-backward-layout.js';

/** The kernels in dispatch order: query pass, key pass, gate pass (several dispatches each when split). */
export function mlstmParallelBackwardKernels(o: MlstmParallelBackwardOptions, target: KernelTarget): KernelSpec[] {
  const l = mlstmBackwardLayout(o, target);
  const name = o.name ?? `mlstm_parallel_backward_${l.B}x${l.T}x${l.NH}x${l.DH}`;
  const src = o.source !== undefined ? { source: o.source } : {};
  const passes = (s: WalkSplit, pass: string, make: (d: number, kernelName: string) => KernelSpec): KernelSpec[] =>
    Array.from({ length: s.dispatches }, (_, d) => make(d, s.dispatches > 1 ? `${name}_${pass}_${d}` : `${name}_${pass}`));
  return [
    ...passes(l.query, 'query', (d, n) => mlstmBackwardQueryPass(l, d, n, src, target)),
    ...passes(l.key, 'key', (d, n) => mlstmBackwardKeyPass(l, d, n, src, target)),
    ...passes(l.gate, 'gate', (d, n) => gatePass(l, d, n, src, target)),
  ];
}

/** df̃_r = σ(−f̃_r) Σ_{s<r} (dĩ_s − ρ_s), one invocation per (batch, head) walking its rows in order. */
function gatePass(l: MlstmBackwardLayout, d: number, name: string, src: { source?: string }, target: KernelTarget): KernelSpec {
  const { B, T, NH, gate: s } = l;
  const begin = d * s.perDispatch;
  const end = Math.min(T, begin + s.perDispatch);
  const split = s.dispatches > 1;
  const size = Math.min(64, target.maxComputeInvocationsPerWorkgroup);
  const bindings: KernelBinding[] = [
    passBinding(l, 'fgate', 'read'),
    passBinding(l, 'dIgate', 'read'),
    passBinding(l, 'stats', 'read'),
    passBinding(l, 'dFgate', 'read_write'),
  ];
  if (split) bindings.push(passBinding(l, 'carry', 'read_write'));
  return buildKernel(
    {
      name,
      ...src,
      summary: `mLSTM backward: df̃ = σ(−f̃) · Σ_{s<r} (dĩ_s − ρ_s) per head, rows ${begin}..${end - 1}`,
      bindings,
      constants: { T: u32(T), NH: u32(NH), HEADS: u32(B * NH), BEGIN: u32(begin), END: u32(end), STATS: u32(STATS_PER_ROW), RHO: u32(STAT.rowSum), CARRY_AT: u32(s.carryAt) },
      workgroupSize: size,
      workgroups: Math.ceil((B * NH) / size),
      loopIterations: end - begin + 1,
      body: [
        'if (gid >= HEADS) { return; }',
        'let b = gid / NH;',
        'let hd = gid % NH;',
        d === 0 ? 'var acc = 0.0;' : 'var acc = carry[CARRY_AT + gid];',
        'for (var r = BEGIN; r < END; r++) {',
        '  let at = (b * T + r) * NH + hd;',
        '  dFgate[at] = acc / (1.0 + exp(fgate[at]));',
        '  acc += dIgate[at] - stats[(gid * T + r) * STATS + RHO];',
        '}',
        ...(split && end < T ? ['carry[CARRY_AT + gid] = acc;'] : []),
      ],
    },
    target,
  );
}
