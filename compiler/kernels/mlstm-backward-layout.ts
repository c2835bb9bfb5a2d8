import type { KernelBinding, KernelTarget } from './kernel.js';
import { mlstmHeadShape, positiveInteger, splitWalk, type MlstmCellDims, type MlstmHeadShape, type Walk } from './mlstm-parallel-layout.js';
import { f32, u32, type WgslConstant } from './wgsl.js';

/**
 * Shapes of the mLSTM parallel backward passes (`mlstm-parallel-backward.ts`): tiles, registers per
 * invocation, how each pass's walk splits over dispatches under the loop cap, and the scratch
 * tensors' layouts.
 */
export interface MlstmParallelBackwardOptions extends MlstmCellDims {
  /** Query rows each invocation of the query pass carries. */
  rowsPerInvocation?: number;
  /** Keys each invocation of the key pass carries. */
  keysPerInvocation?: number;
  /** Invocations per workgroup in the query and key passes (default 8, llvmpipe's SIMD width). */
  lanes?: number;
  name?: string;
  source?: string;
}

/** Row statistics the query pass writes and the later passes read, per (batch, head, row). */
export const STAT = { max: 0, argmax: 1, invDenom: 2, dZ: 3, dMax: 4, rowSum: 5 } as const;
export const STATS_PER_ROW = 6;

/** One pass's split of its longest walk over dispatches. */
export interface WalkSplit extends Walk {
  /** Offset of this pass's region in the carry tensor (only meaningful when dispatches > 1). */
  carryAt: number;
}

export interface MlstmBackwardLayout extends MlstmHeadShape {
  /** Query pass: rows per invocation, invocations, rows per workgroup, tiles per head. */
  RB: number;
  qLanes: number;
  TQ: number;
  QT: number;
  /** Key pass: keys per invocation, invocations, keys per workgroup, tiles per head. */
  KR: number;
  kLanes: number;
  TK: number;
  KT: number;
  query: WalkSplit;
  key: WalkSplit;
  gate: WalkSplit;
  carryElements: number;
  eps: number;
}

const KERNEL = 'mLSTM parallel backward';

export function mlstmBackwardLayout(o: MlstmParallelBackwardOptions, target: KernelTarget): MlstmBackwardLayout {
  const head = mlstmHeadShape(o, KERNEL);
  const { B, T, NH, DH, DHV } = head;
  // Both passes hold four head-wide vectors per row or key in registers (the forward holds two).
  const perInvocation = Math.max(1, Math.min(8, Math.floor(64 / DHV), Math.ceil(T / 8)));
  const RB = positiveInteger(KERNEL, 'rows per invocation', o.rowsPerInvocation ?? perInvocation);
  const KR = positiveInteger(KERNEL, 'keys per invocation', o.keysPerInvocation ?? perInvocation);
  const lanes = positiveInteger(KERNEL, 'lanes', o.lanes ?? 8);
  const qLanes = Math.min(lanes, Math.ceil(T / RB), target.maxComputeInvocationsPerWorkgroup);
  const kLanes = Math.min(lanes, Math.ceil(T / KR), target.maxComputeInvocationsPerWorkgroup);
  const TQ = RB * qLanes;
  const TK = KR * kLanes;
  const QT = Math.ceil(T / TQ);
  const KT = Math.ceil(T / TK);
  // Loop headers besides the walk: the in-tile prefix loop (TQ or TK) and the walk's exit test.
  const q = splitWalk(KERNEL, 'the query pass', T, TQ, target);
  const k = splitWalk(KERNEL, 'the key pass', T, TK, target);
  const g = splitWalk(KERNEL, 'the gate pass', T, 0, target);
  let carryElements = 0;
  const region = (s: Walk, elements: number): WalkSplit => {
    const at = carryElements;
    if (s.dispatches > 1) carryElements += elements;
    return { ...s, carryAt: at };
  };
  const query = region(q, B * NH * (T * (2 * DH + 3) + QT));
  const key = region(k, B * NH * KT);
  const gate = region(g, B * NH);
  return { ...head, RB, qLanes, TQ, QT, KR, kLanes, TK, KT, query, key, gate, carryElements, eps: o.eps ?? 1e-6 };
}

/** Elements of the `stats` scratch tensor. */
export function mlstmBackwardStatsElements(o: MlstmParallelBackwardOptions): number {
  return o.batch * o.heads * o.time * STATS_PER_ROW;
}

/** Elements of the `carry` scratch tensor (0 when no pass is split). */
export function mlstmBackwardCarryElements(o: MlstmParallelBackwardOptions, target: KernelTarget): number {
  return mlstmBackwardLayout(o, target).carryElements;
}

/** The passes' bindings by name: head-row tensors as vec4 arrays when DH allows. */
export function passBinding(l: MlstmBackwardLayout, name: 'qkv' | 'dqkv' | 'h' | 'dh' | 'igate' | 'fgate' | 'dIgate' | 'dFgate' | 'stats' | 'carry', access: KernelBinding['access']): KernelBinding {
  const { B, T, NH, I } = l;
  const vec4 = l.VW === 4 ? { view: 'vec4' as const } : {};
  const elements = {
    qkv: [B * T * 3 * I, vec4],
    dqkv: [B * T * 3 * I, vec4],
    h: [B * T * I, vec4],
    dh: [B * T * I, vec4],
    igate: [B * T * NH, {}],
    fgate: [B * T * NH, {}],
    dIgate: [B * T * NH, {}],
    dFgate: [B * T * NH, {}],
    stats: [B * NH * T * STATS_PER_ROW, {}],
    carry: [l.carryElements, {}],
  } as const;
  const [count, view] = elements[name];
  return { name, access, type: 'f32', elements: count, ...view };
}

/** Constants of a walk's dispatch `d`: the head-row layout in vectors, the walk's slice, the carry region. */
export function walkConstants(l: MlstmBackwardLayout, walk: WalkSplit, d: number): Record<string, WgslConstant> {
  return {
    T: u32(l.T),
    NH: u32(l.NH),
    DH: u32(l.DH),
    DHV: u32(l.DHV),
    ROW_V: u32((3 * l.I) / l.VW),
    I_V: u32(l.I / l.VW),
    K_OFF: u32(l.I / l.VW),
    V_OFF: u32((2 * l.I) / l.VW),
    STEP_BEGIN: u32(d * walk.perDispatch),
    STEPS: u32(walk.perDispatch),
    STATS: u32(STATS_PER_ROW),
    SCALE: f32(1 / Math.sqrt(l.DH)),
    CARRY_AT: u32(walk.carryAt),
  };
}
