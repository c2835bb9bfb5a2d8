import type { KernelBinding, KernelTarget } from './kernel.js';
import { f32, u32, type WgslConstant } from './wgsl.js';

/**
 * Shapes of the mLSTM parallel backward passes (`mlstm-parallel-backward.ts`): tiles, registers per
 * invocation, how each pass's walk splits over dispatches under the loop cap, and the scratch
 * tensors' layouts.
 */
export interface MlstmParallelBackwardOptions {
  batch: number;
  time: number;
  heads: number;
  headDim: number;
  /** The official 1e-6 by default. */
  eps?: number;
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
export interface WalkSplit {
  steps: number;
  perDispatch: number;
  dispatches: number;
  /** Offset of this pass's region in the carry tensor (only meaningful when dispatches > 1). */
  carryAt: number;
}

export interface MlstmBackwardLayout {
  B: number;
  T: number;
  NH: number;
  DH: number;
  I: number;
  /** Vector width of q/k/v/h/dh accesses (4 when DH allows) and vectors per head row. */
  VW: number;
  DHV: number;
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

function positive(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`mLSTM parallel backward: ${what} must be a positive integer, got ${v}`);
  return v;
}

function split(steps: number, fixedIterations: number, target: KernelTarget, what: string): Omit<WalkSplit, 'carryAt'> {
  const perDispatch = Math.min(steps, target.maxLoopIterationsPerInvocation - fixedIterations - 1);
  if (perDispatch < 1) throw new Error(`mLSTM parallel backward: the ${what} needs more loop iterations than the device allows`);
  return { steps, perDispatch, dispatches: Math.ceil(steps / perDispatch) };
}

export function mlstmBackwardLayout(o: MlstmParallelBackwardOptions, target: KernelTarget): MlstmBackwardLayout {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ B, T, NH, DH })) positive(dim, v);
  const VW = DH % 4 === 0 ? 4 : 1;
  const DHV = DH / VW;
  // Both passes hold four head-wide vectors per row or key in registers (the forward holds two).
  const perInvocation = Math.max(1, Math.min(8, Math.floor(64 / DHV), Math.ceil(T / 8)));
  const RB = positive('rows per invocation', o.rowsPerInvocation ?? perInvocation);
  const KR = positive('keys per invocation', o.keysPerInvocation ?? perInvocation);
  const lanes = positive('lanes', o.lanes ?? 8);
  const qLanes = Math.min(lanes, Math.ceil(T / RB), target.maxComputeInvocationsPerWorkgroup);
  const kLanes = Math.min(lanes, Math.ceil(T / KR), target.maxComputeInvocationsPerWorkgroup);
  const TQ = RB * qLanes;
  const TK = KR * kLanes;
  const QT = Math.ceil(T / TQ);
  const KT = Math.ceil(T / TK);
  // Loop headers besides the walk: the in-tile prefix loop (TQ or TK) and the walk's exit test.
  const q = split(T, TQ, target, 'query pass');
  const k = split(T, TK, target, 'key pass');
  const g = split(T, 0, target, 'gate pass');
  let carryElements = 0;
  const region = (s: Omit<WalkSplit, 'carryAt'>, elements: number): WalkSplit => {
    const at = carryElements;
    if (s.dispatches > 1) carryElements += elements;
    return { ...s, carryAt: at };
  };
  const query = region(q, B * NH * (T * (2 * DH + 3) + QT));
  const key = region(k, B * NH * KT);
  const gate = region(g, B * NH);
  return { B, T, NH, DH, I: NH * DH, VW, DHV, RB, qLanes, TQ, QT, KR, kLanes, TK, KT, query, key, gate, carryElements, eps: o.eps ?? 1e-6 };
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

/** "steps a..b of the walk (dispatch i of n)" for a split walk's summary line; empty when not split. */
export function walkSummary(walk: WalkSplit, d: number): string {
  if (walk.dispatches === 1) return '';
  const begin = d * walk.perDispatch;
  return `, steps ${begin}..${begin + walkedSteps(walk, d) - 1} of the walk (dispatch ${d + 1} of ${walk.dispatches})`;
}

/** Steps dispatch `d` of a walk takes at most. */
export function walkedSteps(walk: WalkSplit, d: number): number {
  return Math.min(walk.perDispatch, walk.steps - d * walk.perDispatch);
}
