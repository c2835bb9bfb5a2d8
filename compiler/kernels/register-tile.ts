import type { KernelTarget } from './kernel.js';

/**
 * Shared sizing for the register-blocked gradient matmuls (`grad-weight.ts`, `grad-input.ts`): each
 * invocation owns a tile of `rows` × `cols` outputs, cols in whole vec4 groups.
 */
export interface RegisterTile {
  rows: number;
  /** A multiple of 4. */
  cols: number;
}

/** Enough invocations to spread a long reduction over the device (llvmpipe: all cores) before big tiles. */
const WANTED_INVOCATIONS = 256;

/**
 * 8×8 outputs per invocation (DESIGN.md §7: register blocking is what makes llvmpipe fast), shrunk
 * while the whole problem would give fewer than `WANTED_INVOCATIONS` invocations.
 */
export function pickTile(groups: number, rows: number, cols: number, requested?: readonly [number, number]): RegisterTile {
  if (requested) {
    const [r, c] = requested;
    if (!Number.isInteger(r) || r < 1 || !Number.isInteger(c) || c < 4 || c % 4 !== 0) {
      throw new Error(`tile ${r}x${c}: rows must be a positive integer and columns a positive multiple of 4`);
    }
    return { rows: r, cols: c };
  }
  const tile = { rows: Math.min(8, rows), cols: cols <= 4 ? 4 : 8 };
  const invocations = (): number => groups * Math.ceil(rows / tile.rows) * Math.ceil(cols / tile.cols);
  while (invocations() < WANTED_INVOCATIONS) {
    if (tile.rows > 2) tile.rows = Math.ceil(tile.rows / 2);
    else if (tile.cols > 4) tile.cols = 4;
    else if (tile.rows > 1) tile.rows = 1;
    else break;
  }
  return tile;
}

/** At most `cap` invocations per workgroup, fewer when that leaves under four workgroups to share out. */
export function spreadWorkgroupSize(threads: number, target: KernelTarget, cap = 64): number {
  const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(Math.max(1, n)));
  return Math.min(floorPow2(cap), floorPow2(target.maxComputeInvocationsPerWorkgroup), floorPow2(Math.ceil(threads / 4)));
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
