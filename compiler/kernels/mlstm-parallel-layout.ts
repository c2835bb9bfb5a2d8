import type { KernelTarget } from './kernel.js';

/**
 * Shapes shared by the mLSTM parallel kernels (the forward in `mlstm-parallel.ts`, the backward passes
 * in `mlstm-parallel-backward.ts`): the head dimensions with the vector width of head-row accesses,
 * and how a walk over keys (or rows) splits over dispatches under the device's loop cap.
 */
export interface MlstmHeadShape {
  B: number;
  T: number;
  NH: number;
  DH: number;
  I: number;
  /** Vector width of the q/k/v/h accesses: 4 when DH allows vec4, else 1. */
  VW: number;
  /** Vectors per head row. */
  DHV: number;
}

export function positiveInteger(kernel: string, what: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${kernel}: ${what} must be a positive integer, got ${v}`);
  return v;
}

/** The shape of an mLSTM cell run, shared by the parallel forward and backward kernels' options. */
export interface MlstmCellDims {
  batch: number;
  time: number;
  heads: number;
  headDim: number;
  /** The official 1e-6 by default. */
  eps?: number;
}

export function mlstmHeadShape(o: MlstmCellDims, kernel: string): MlstmHeadShape {
  const { batch: B, time: T, heads: NH, headDim: DH } = o;
  for (const [dim, v] of Object.entries({ B, T, NH, DH })) positiveInteger(kernel, dim, v);
  const VW = DH % 4 === 0 ? 4 : 1;
  return { B, T, NH, DH, I: NH * DH, VW, DHV: DH / VW };
}

/** A walk of `steps` loop iterations split over dispatches of at most `perDispatch` each. */
export interface Walk {
  steps: number;
  perDispatch: number;
  dispatches: number;
}

/** Splits a walk so each dispatch's `fixedIterations` other loop headers, the walk's exit test and its slice fit the loop cap. */
export function splitWalk(kernel: string, what: string, steps: number, fixedIterations: number, target: KernelTarget): Walk {
  const perDispatch = Math.min(steps, target.maxLoopIterationsPerInvocation - fixedIterations - 1);
  if (perDispatch < 1) throw new Error(`${kernel}: ${what} needs more loop iterations than the device allows`);
  return { steps, perDispatch, dispatches: Math.ceil(steps / perDispatch) };
}

/** Steps dispatch `d` of a walk takes at most. */
export function walkedSteps(walk: Walk, d: number): number {
  return Math.min(walk.perDispatch, walk.steps - d * walk.perDispatch);
}

/** "steps a..b of the walk (dispatch i of n)" for a split walk's summary line; empty when not split. */
export function walkSummary(walk: Walk, d: number): string {
  if (walk.dispatches === 1) return '';
  const begin = d * walk.perDispatch;
  return `, steps ${begin}..${begin + walkedSteps(walk, d) - 1} of the walk (dispatch ${d + 1} of ${walk.dispatches})`;
}
